"""What an empty form starts with: every `default`, `minItems` empty list items; and a fresh item for 「追加」."""

from __future__ import annotations

import copy
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.schema_nav import Part, SchemaNav, nav_for
from forms_engine.rendering.views import MISSING

MAX_PREFILLED_ITEMS = 20


def default_answers(definition: Definition) -> Any:
    """What an empty form starts with: every `default`, and `minItems` empty items of lists."""
    nav = nav_for(definition)
    found = _defaults(nav, nav.flatten([nav.root]), 0)
    return {} if found is MISSING and "object" in sn.types(nav.flatten([nav.root])) else found


def _defaults(nav: SchemaNav, parts: list[Part], depth: int) -> Any:
    default = sn.first(parts, "default")
    if default is not None or depth > 8:
        return copy.deepcopy(default) if default is not None else MISSING
    kinds = sn.types(parts)
    if "object" in kinds:
        out = {}
        for name, subs in sn.properties(parts).items():
            value = _defaults(nav, nav.flatten(subs), depth + 1)
            if value is not MISSING:
                out[name] = value
        return out or MISSING
    if "array" in kinds and sn.choices(nav.child_parts(parts, 0)) is None:
        minimum = sn.first(parts, "minItems")
        count = max(min(minimum if isinstance(minimum, int) else 0, MAX_PREFILLED_ITEMS), sn.prefix_length(parts))
        return [new_item(nav, nav.child_parts(parts, i), depth + 1) for i in range(count)] or MISSING
    return MISSING


def new_item(nav: SchemaNav, parts: list[Part], depth: int = 0) -> Any:
    """A fresh list item: its defaults, else an empty object or an empty (null) answer."""
    value = _defaults(nav, parts, depth)
    if value is not MISSING:
        return value
    return {} if sn.types(parts) == {"object"} else None
