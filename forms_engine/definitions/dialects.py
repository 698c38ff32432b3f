"""The JSON Schema drafts a definition may be written in, and $ref resolution over its files."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator
from referencing import Registry, Resource, Specification
from referencing.jsonschema import DRAFT7, DRAFT202012

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"

_DIALECTS: dict[str, tuple[type[Validator], Specification[Any]]] = {
    DRAFT_2020_12: (Draft202012Validator, DRAFT202012),
    DRAFT_07: (Draft7Validator, DRAFT7),
}
_ALIASES = {
    "https://json-schema.org/draft/2020-12/schema#": DRAFT_2020_12,
    "http://json-schema.org/draft-07/schema": DRAFT_07,
    "https://json-schema.org/draft-07/schema#": DRAFT_07,
    "https://json-schema.org/draft-07/schema": DRAFT_07,
}


def dialect_of(document: Any) -> str | None:
    """The canonical dialect URI, 2020-12 when `$schema` is absent, None when it is not supported."""
    if not isinstance(document, dict) or "$schema" not in document:
        return DRAFT_2020_12
    uri = document["$schema"]
    if not isinstance(uri, str):
        return None
    uri = _ALIASES.get(uri, uri)
    return uri if uri in _DIALECTS else None


def validator_class(dialect: str) -> type[Validator]:
    return _DIALECTS[dialect][0]


def ref_registry(dialect: str, base_uri: str, document: Any, neighbours: dict[str, Any]) -> Registry[Any]:
    """A registry holding the definition and the files beside it; nothing is fetched from the network."""
    spec = _DIALECTS[dialect][1]
    resources = [(base_uri, Resource.from_contents(document, default_specification=spec))]
    resources += [(uri, Resource.from_contents(doc, default_specification=spec)) for uri, doc in neighbours.items()]
    return Registry().with_resources(resources)
