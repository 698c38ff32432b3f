"""A registry of signature verifier factories, filled by decorators or by package entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any, TypeVar

from signing.protocols import SignatureVerifier

__all__ = ["ENTRY_POINT_GROUP", "VerifierFactory", "VerifierRegistry"]

#: Entry point group other packages use to offer verifiers.
ENTRY_POINT_GROUP = "forms_engine.signature_verifiers"

VerifierFactory = Callable[..., SignatureVerifier]
F = TypeVar("F", bound=Callable[..., Any])


class VerifierRegistry:
    """Named verifier factories; a name can be registered once."""

    def __init__(self) -> None:
        self._factories: dict[str, VerifierFactory] = {}

    def add(self, name: str, factory: VerifierFactory) -> None:
        """Register ``factory`` under ``name``; ``ValueError`` if the name is taken or empty."""
        if not name or not name.strip():
            raise ValueError("a verifier name must not be empty")
        if name in self._factories:
            raise ValueError(f"a signature verifier named {name!r} is already registered")
        if not callable(factory):
            raise ValueError(f"the factory registered as {name!r} is not callable")
        self._factories[name] = factory

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator form of :meth:`add`: ``@registry.register("jpki")``."""

        def decorate(factory: F) -> F:
            self.add(name, factory)
            return factory

        return decorate

    def get(self, name: str) -> VerifierFactory:
        """The factory registered under ``name``; ``KeyError`` naming the known ones otherwise."""
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise KeyError(f"no signature verifier named {name!r} (registered: {known})") from None

    def create(self, name: str, *args: Any, **kwargs: Any) -> SignatureVerifier:
        """Call the factory registered under ``name`` with the given arguments."""
        return self.get(name)(*args, **kwargs)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every entry point of ``group`` under its name; returns the names added."""
        added: list[str] = []
        for entry_point in metadata.entry_points(group=group):
            self.add(entry_point.name, entry_point.load())
            added.append(entry_point.name)
        return added

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._factories)
