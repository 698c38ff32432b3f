"""The verifier registry: decorator registration, duplicates refused, entry points."""

from __future__ import annotations

from importlib import metadata

import pytest

import signing.registry
from signing import JpkiVerifier, SignatureVerifier, TrustAnchors, VerifierRegistry, default_registry


def test_register_decorator_and_get():
    registry = VerifierRegistry()

    @registry.register("jpki")
    def make(anchors):
        return JpkiVerifier(anchors)

    assert registry.get("jpki") is make
    assert "jpki" in registry and registry.names() == ["jpki"] and len(registry) == 1
    assert isinstance(registry.create("jpki", TrustAnchors.empty()), SignatureVerifier)


def test_duplicate_names_are_refused():
    registry = VerifierRegistry()
    registry.add("jpki", JpkiVerifier)
    with pytest.raises(ValueError, match="already registered"):
        registry.add("jpki", JpkiVerifier)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("jpki")(JpkiVerifier)
    with pytest.raises(ValueError):
        registry.add("", JpkiVerifier)


def test_unknown_name():
    with pytest.raises(KeyError, match="registered: none"):
        VerifierRegistry().get("nope")


def test_registries_are_independent():
    first, second = VerifierRegistry(), VerifierRegistry()
    first.add("jpki", JpkiVerifier)
    assert "jpki" not in second


def test_load_entry_points(monkeypatch):
    found = [metadata.EntryPoint("jpki", "signing.jpki:JpkiVerifier", "forms_engine.signature_verifiers")]
    asked = []

    def fake_entry_points(*, group):
        asked.append(group)
        return [ep for ep in found if ep.group == group]

    monkeypatch.setattr(signing.registry.metadata, "entry_points", fake_entry_points)
    registry = VerifierRegistry()
    assert registry.load_entry_points() == ["jpki"]
    assert asked == ["forms_engine.signature_verifiers"]
    assert registry.get("jpki") is JpkiVerifier
    with pytest.raises(ValueError, match="already registered"):
        registry.load_entry_points()


def test_default_registry_has_jpki():
    registry = default_registry()
    assert registry.get("jpki") is JpkiVerifier
    assert default_registry() is not registry
