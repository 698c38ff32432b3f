"""The verifier is chosen by name (FORMS_ENGINE_SIGNATURE_VERIFIER) from the registry: the built-in ``jpki`` or one
an installed package offers through the ``forms_engine.signature_verifiers`` entry point group, as a municipality
plugs in its platform operator's verifier. The plug-in here is a real installed distribution (a dist-info folder
on sys.path), found by importlib.metadata like any other."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.bootstrap import StartupRefused, build_app
from forms_engine.config import Settings
from forms_engine.models import Submission
from forms_engine.signatures.service import VerifierConfigError, build_verifier
from signing import JpkiVerifier, SignatureVerifier, VerifierRegistry
from tests.conftest import SAMPLES_DIR
from tests.signing.jpki_testkit import Pki

from .conftest import ANSWERS
from .test_signing_api import BASE, sign

PLUGIN = "acme_jpki_platform"
PLUGIN_SOURCE = '''
"""A platform operator's verifier: the reference checks, then its own, under its own name and version."""
from dataclasses import replace

from signing import Check, JpkiVerifier


class AcmeVerifier:
    name = "acme-platform"

    def __init__(self, anchors, revocation=None, purpose="sign"):
        self.inner = JpkiVerifier(anchors, revocation, purpose=purpose)

    def verify(self, payload, fmt, signature, certificate_der, received_at, prior_checks=()):
        result = self.inner.verify(payload, fmt, signature, certificate_der, received_at, prior_checks)
        audit = Check("acme-platform-audit", True, "logged with the platform operator")
        return replace(result, checks=[*result.checks, audit], verifier=self.name, verifier_version="acme 2.3")
'''


def _install(folder: Path, entry_points: str) -> None:
    (folder / f"{PLUGIN}.py").write_text(textwrap.dedent(PLUGIN_SOURCE), encoding="utf-8")
    info = folder / f"{PLUGIN}-2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 2.3\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    _install(folder, f"""
        [forms_engine.signature_verifiers]
        acme-platform = {PLUGIN}:AcmeVerifier
        """)
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield folder
    sys.modules.pop(PLUGIN, None)


def test_the_configured_plugin_verifies_and_its_record_is_stored(
        installed_plugin: Path, make_client: Callable[..., TestClient], anchors: Path, crl_dir: Path, pki: Pki,
        db_engine: Engine) -> None:
    client = make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, crl_dir=crl_dir,
                         signature_verifier="acme-platform")
    verifier = client.app.state.forms_engine.sign_verifier  # type: ignore[attr-defined]
    assert type(verifier).__module__ == PLUGIN and isinstance(verifier, SignatureVerifier)
    request_id, verdict = sign(client, pki)
    assert verdict["status"] == "valid"
    assert verdict["checks"][-1]["name"] == "acme-platform-audit"
    filed = client.post(f"{BASE}/submissions", json={"answers": ANSWERS, "signing_request": request_id})
    assert filed.status_code == 201, filed.text
    with Session(db_engine) as s:
        stored = s.get(Submission, filed.json()["id"])
        assert stored is not None and stored.signature is not None
        assert stored.signature["verifier"] == "acme-platform"
        assert stored.signature["verifier_version"] == "acme 2.3"


def test_the_plugin_says_invalid_where_the_reference_does(
        installed_plugin: Path, make_client: Callable[..., TestClient], anchors: Path, crl_dir: Path,
        pki: Pki) -> None:
    client = make_client(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, crl_dir=crl_dir,
                         signature_verifier="acme-platform")
    _, verdict = sign(client, pki, cert="revoked")
    assert verdict["status"] == "invalid"


def test_the_default_is_the_reference_jpki_verifier(anchors: Path) -> None:
    settings = Settings(jpki_sign_anchors=anchors, jpki_allow_test_policy=True)
    assert settings.signature_verifier == "jpki"
    assert isinstance(build_verifier(settings), JpkiVerifier)


def test_a_registry_built_in_a_test_is_used_instead_of_the_installed_one(anchors: Path) -> None:
    made: list[str] = []

    def factory(anchors_: object, revocation: object, purpose: str = "sign") -> JpkiVerifier:
        made.append(purpose)
        return JpkiVerifier(anchors_, revocation, purpose="sign")  # type: ignore[arg-type]

    registry = VerifierRegistry()
    registry.add("mine", factory)
    settings = Settings(jpki_sign_anchors=anchors, jpki_allow_test_policy=True, signature_verifier="mine")
    assert isinstance(build_verifier(settings, registry), JpkiVerifier) and made == ["sign"]
    with pytest.raises(VerifierConfigError, match=r"'jpki'.*registered: mine"):
        build_verifier(Settings(jpki_sign_anchors=anchors), registry)


def test_a_factory_that_returns_no_verifier_is_refused(anchors: Path) -> None:
    registry = VerifierRegistry()
    registry.add("broken", lambda *args, **kwargs: object())
    with pytest.raises(VerifierConfigError, match="not a SignatureVerifier"):
        build_verifier(Settings(jpki_sign_anchors=anchors, signature_verifier="broken"), registry)


def test_without_anchors_no_verifier_is_built_whatever_is_chosen(installed_plugin: Path) -> None:
    assert build_verifier(Settings(signature_verifier="acme-platform")) is None


def test_an_unknown_name_stops_the_engine_at_start_with_the_names_it_knows(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", definitions_dir=SAMPLES_DIR, secret_key="test-secret",
                        signature_verifier="acme-platfrom")
    with pytest.raises(StartupRefused) as refused:
        build_app(settings)
    assert refused.value.lines == [
        "FORMS_ENGINE_SIGNATURE_VERIFIER: no signature verifier named 'acme-platfrom' (registered: jpki)"]


def test_two_packages_offering_one_name_stop_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    _install(folder, f"""
        [forms_engine.signature_verifiers]
        jpki = {PLUGIN}:AcmeVerifier
        """)
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    with pytest.raises(VerifierConfigError, match="'jpki' is already registered"):
        build_verifier(Settings())
