"""Reading a definition's schema the way a form needs it.

A field is described by several schema objects at once: the property's own schema, what its `$ref`
points to, its `allOf` members and, depending on the answers so far, `then`/`else` branches,
`dependentSchemas` (draft-07 `dependencies`) and the branch of a `oneOf`/`anyOf` picked out by an
answer already given. These helpers collect those "parts" (own keywords first, so a local `title`
wins over the one of a `$ref` target) and read the facts a form needs from them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from referencing._core import Resolver
from referencing.exceptions import Unresolvable

from forms_engine.definitions.dialects import ref_registry, validator_class
from forms_engine.definitions.schemas import Definition
from forms_engine.validation.formats import FormatRegistry

_MAX_PARTS = 256
MAX_REMEMBERED = 20_000
"""What one SchemaNav remembers at most (a schema has a bounded number of parts; this only guards the bound)."""
MAX_NAVS = 64
"""Definitions whose SchemaNav is kept at once by `nav_for` (a catalogue has a few; tests build many)."""
T = TypeVar("T")
_NOT_YET = object()
_CONDITIONAL = ("then", "else", "oneOf", "anyOf")
_TYPES_OF = {bool: "boolean", str: "string", dict: "object", list: "array", type(None): "null"}


@dataclass(frozen=True)
class Part:
    """One schema object describing a location, the resolver for its `$ref`s and the answers it depends on."""

    schema: dict[str, Any]
    resolver: Resolver[Any]
    triggers: tuple[str, ...] = ()


def json_type(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _TYPES_OF[type(value)]
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return _TYPES_OF.get(type(value), "string")


def _identity(parts: Iterable[Part]) -> tuple[Hashable, ...]:
    """The schema objects, resolvers and triggers of parts: a memo key, valid while the parts are held."""
    return tuple((id(p.schema), id(p.resolver), p.triggers) for p in parts)


class SchemaNav:
    """One definition's schema, navigated. What does not depend on an answer (the parts a list of parts
    flattens to, the parts of a child, a `$ref`'s target) is worked out once and remembered: every key names
    schema objects and resolvers by identity, and the remembered entry holds them, so an identity is never
    reused for another object while its entry exists. Nothing of an answer is kept."""

    def __init__(self, definition: Definition, formats: FormatRegistry | None = None) -> None:
        doc = definition.document
        self.definition = definition  # held: the schema objects the memo names stay alive
        self.registry = ref_registry(definition.dialect, definition.base_uri, doc, definition.extra_resources)
        self.root = Part(doc if isinstance(doc, dict) else {}, self.registry.resolver(base_uri=definition.base_uri))
        self._cls = validator_class(definition.dialect)
        self.formats = formats
        self._checker = formats.format_checker() if formats is not None else None
        self._memo: dict[Hashable, Any] = {}

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per key while fewer than MAX_REMEMBERED are kept (threads may race: both compute the
        same thing, one is kept)."""
        found = self._memo.get(key, _NOT_YET)
        if found is _NOT_YET:
            found = compute()
            if len(self._memo) < MAX_REMEMBERED:
                self._memo[key] = found
        result: T = found
        return result

    # -- collecting parts ----------------------------------------------------------------------
    def flatten(self, parts: Iterable[Part], *, loose: bool = False) -> list[Part]:
        """The parts with their `$ref` targets and `allOf` members (and, when loose, every conditional branch)."""
        given = tuple(parts)
        _, found = self.remember(("flatten", loose, _identity(given)),
                                 lambda: (given, tuple(self._flatten(given, loose))))
        return list(found)

    def _flatten(self, parts: Iterable[Part], loose: bool) -> list[Part]:
        out: list[Part] = []
        seen: set[int] = set()
        todo = list(parts)
        while todo and len(out) < _MAX_PARTS:
            part = todo.pop(0)
            if id(part.schema) in seen:
                continue
            seen.add(id(part.schema))
            out.append(part)
            todo[:0] = list(self._members(part, loose))
        return out

    def _members(self, part: Part, loose: bool) -> Iterator[Part]:
        schema, resolver = part.schema, part.resolver
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._lookup(part, ref)
            if target is not None:
                yield Part(target.schema, target.resolver, part.triggers)
        keys = ("allOf", *_CONDITIONAL) if loose else ("allOf",)
        for key in keys:
            for sub in _schemas(schema.get(key)):
                yield Part(sub, resolver, part.triggers)
        if loose:
            for sub in dependent_schemas(schema).values():
                yield Part(sub, resolver, part.triggers)

    def _lookup(self, part: Part, ref: str) -> Part | None:
        """The target of a `$ref` with its resolver (the same objects every time, so keys stay stable)."""

        def resolve() -> tuple[Part, Part | None]:
            try:
                resolved = part.resolver.lookup(ref)
            except Unresolvable:
                return part, None
            contents = resolved.contents
            return part, Part(contents, resolved.resolver) if isinstance(contents, dict) else None

        return self.remember(("ref", id(part.schema), id(part.resolver), ref), resolve)[1]

    def applied(self, parts: list[Part], value: Any) -> list[Part]:
        """`parts` plus every conditional part that applies to `value`, the answer at this location."""
        result = list(parts)
        seen = {id(p.schema) for p in result}
        declared = set(properties(parts))
        i = 0
        while i < len(result) and len(result) < _MAX_PARTS:
            part = result[i]
            i += 1
            for extra in self._conditional(part, value, declared):
                for p in self.flatten([extra]):
                    if id(p.schema) not in seen:
                        seen.add(id(p.schema))
                        result.append(p)
        return result

    def _conditional(self, part: Part, value: Any, declared: set[str]) -> Iterator[Part]:
        schema, resolver = part.schema, part.resolver
        if isinstance(schema.get("if"), dict):
            verdict = self.condition(schema["if"], resolver, value)
            taken = {True: "then", False: "else"}.get(verdict) if verdict is not None else None
            if taken is not None and isinstance(schema.get(taken), dict):
                yield Part(schema[taken], resolver, part.triggers + condition_names(schema["if"]))
        if isinstance(value, dict):
            for name, sub in dependent_schemas(schema).items():
                if name in value:
                    yield Part(sub, resolver, (*part.triggers, name))
        for key in ("oneOf", "anyOf"):
            branches = [Part(s, resolver) for s in _schemas(schema.get(key))]
            keys = self.discriminators(branches, declared)
            if keys is None:
                continue
            for branch, names in zip(branches, keys, strict=True):
                if self._matches(branch, names, value):
                    yield Part(branch.schema, resolver, part.triggers + tuple(names))
                    if key == "oneOf":
                        break

    def discriminators(self, branches: list[Part], declared: set[str]) -> list[list[str]] | None:
        """For alternatives picked by an answer given elsewhere (a const/enum on a declared property),
        the names of those properties per branch; None when the resident must choose."""
        if not branches:
            return None
        out: list[list[str]] = []
        for branch in branches:
            props = properties(self.flatten([branch]))
            names = [n for n, subs in props.items() if n in declared and any(
                "const" in s.schema or "enum" in s.schema for s in self.flatten(subs))]
            if not names:
                return None
            out.append(names)
        return out

    def _matches(self, branch: Part, names: list[str], value: Any) -> bool:
        if not isinstance(value, dict) or not all(n in value for n in names):
            return False
        props = properties(self.flatten([branch]))
        return all(self.valid(p.schema, p.resolver, value[n]) for n in names for p in props[n])

    def condition(self, schema: Any, resolver: Resolver[Any], value: Any) -> bool | None:
        """Whether `if` holds; None while it holds only because the answers it looks at are not given yet."""
        valid = self.valid(schema, resolver, value)
        if valid and isinstance(value, dict) and isinstance(schema, dict):
            looked_at = set(schema.get("properties", {})) if isinstance(schema.get("properties"), dict) else set()
            if looked_at and not looked_at <= set(value):
                return None
        return valid

    def valid(self, schema: Any, resolver: Resolver[Any], value: Any) -> bool:
        def build() -> tuple[Any, Any, Any]:
            # `_resolver` makes `$ref`s inside a subschema resolve against the file it came from.
            return schema, resolver, self._cls(schema, registry=self.registry, format_checker=self._checker,
                                               _resolver=resolver)  # type: ignore[call-arg]

        validator = self.remember(("validator", id(schema), id(resolver)), build)[2]
        return bool(validator.is_valid(value))

    # -- walking down --------------------------------------------------------------------------
    def child_parts(self, parts: list[Part], token: str | int) -> list[Part]:
        """The parts of a property or an item, from parts of its parent."""
        given = tuple(parts)

        def compute() -> tuple[tuple[Part, ...], tuple[Part, ...]]:
            found: list[Part] = []
            if isinstance(token, int):
                for p in given:
                    sub = item_schema(p.schema, token)
                    if isinstance(sub, dict):
                        found.append(Part(sub, p.resolver))
            else:
                found = properties(given).get(token, [])
            return given, tuple(self.flatten(found))

        return list(self.remember(("child", _identity(given), type(token), token), compute)[1])

    def loose_at(self, path: list[str | int]) -> list[Part]:
        """Every part that may describe the answer at `path`, whatever the other answers are."""

        def compute() -> tuple[Part, ...]:
            parts = self.flatten([self.root], loose=True)
            for token in path:
                parts = self.flatten(self.child_parts(parts, token), loose=True)
                if not parts:
                    break
            return tuple(parts)

        return list(self.remember(("loose_at", *((type(t), t) for t in path)), compute))


# -- facts read from parts ----------------------------------------------------------------------
def _schemas(value: Any) -> list[dict[str, Any]]:
    return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []


def dependent_schemas(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key in ("dependentSchemas", "dependencies"):
        if isinstance(schema.get(key), dict):
            out.update({k: v for k, v in schema[key].items() if isinstance(v, dict)})
    return out


def dependent_required(parts: list[Part], value: Any) -> set[str]:
    names: set[str] = set()
    if not isinstance(value, dict):
        return names
    for p in parts:
        for key in ("dependentRequired", "dependencies"):
            deps = p.schema.get(key)
            if isinstance(deps, dict):
                for trigger, required in deps.items():
                    if trigger in value and isinstance(required, list):
                        names.update(n for n in required if isinstance(n, str))
    return names


def condition_names(schema: Any) -> tuple[str, ...]:
    if not isinstance(schema, dict):
        return ()
    names = list(schema.get("properties", {})) if isinstance(schema.get("properties"), dict) else []
    names += [n for n in schema.get("required", []) if isinstance(n, str) and n not in names]
    return tuple(names)


def first(parts: list[Part], key: str) -> Any:
    for p in parts:
        if key in p.schema:
            return p.schema[key]
    return None


def properties(parts: Iterable[Part]) -> dict[str, list[Part]]:
    """Property name -> the parts declaring it, in the order the parts declare them."""
    out: dict[str, list[Part]] = {}
    for p in parts:
        props = p.schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                if isinstance(sub, dict):
                    out.setdefault(name, []).append(Part(sub, p.resolver, p.triggers))
    return out


def required(parts: Iterable[Part]) -> set[str]:
    names: set[str] = set()
    for p in parts:
        if isinstance(p.schema.get("required"), list):
            names.update(n for n in p.schema["required"] if isinstance(n, str))
    return names


def item_schema(schema: dict[str, Any], index: int) -> Any:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        return prefix[index] if index < len(prefix) else schema.get("items")
    items = schema.get("items")
    if isinstance(items, list):  # draft-07 tuple
        return items[index] if index < len(items) else schema.get("additionalItems")
    return items


def prefix_length(parts: list[Part]) -> int:
    for p in parts:
        prefix = p.schema.get("prefixItems")
        if isinstance(prefix, list):
            return len(prefix)
        if isinstance(p.schema.get("items"), list):
            return len(p.schema["items"])
    return 0


def choice_list(branches: list[dict[str, Any]]) -> list[tuple[Any, str | None]] | None:
    """`oneOf`/`anyOf` of `{"const": v, "title": t}` (or a one-value `enum`): the choices, else None."""
    out: list[tuple[Any, str | None]] = []
    for b in branches:
        if "const" in b:
            value = b["const"]
        elif isinstance(b.get("enum"), list) and len(b["enum"]) == 1:
            value = b["enum"][0]
        else:
            return None
        title = b.get("title")
        out.append((value, title if isinstance(title, str) else None))
    return out or None


def choices(parts: list[Part]) -> list[tuple[Any, str | None]] | None:
    """The values a field offers, with their labels: `enum`, or a titled `oneOf`/`anyOf` of consts."""
    for p in parts:
        if isinstance(p.schema.get("enum"), list) and p.schema["enum"]:
            return [(v, None) for v in p.schema["enum"]]
        for key in ("oneOf", "anyOf"):
            found = choice_list(_schemas(p.schema.get(key)))
            if found is not None:
                return found
    return None


def types(parts: list[Part], *, union: bool = False) -> set[str]:
    """The JSON types allowed here (intersection over the parts that say, or their union), inferred when none does."""
    allowed: set[str] | None = None
    for p in parts:
        t = p.schema.get("type")
        kinds = {t} if isinstance(t, str) else {k for k in t if isinstance(k, str)} if isinstance(t, list) else None
        if kinds is not None:
            if "number" in kinds:
                kinds.add("integer")
            allowed = kinds if allowed is None else (allowed | kinds if union else allowed & kinds)
    if allowed is not None:
        return allowed
    if any("properties" in p.schema for p in parts):
        return {"object"}
    if any("items" in p.schema or "prefixItems" in p.schema for p in parts):
        return {"array"}
    found = choices(parts)
    if found is not None:
        return {json_type(v) for v, _ in found}
    const = [p.schema["const"] for p in parts if "const" in p.schema]
    return {json_type(const[0])} if const else set()


def object_alternatives(nav: SchemaNav, part: Part, declared: set[str]) -> list[tuple[str, list[Part]]]:
    """`oneOf`/`anyOf` of this part between sets of fields the resident picks from: (keyword, branches)."""
    found: list[tuple[str, list[Part]]] = []
    for key in ("oneOf", "anyOf"):
        branches = [Part(s, part.resolver) for s in _schemas(part.schema.get(key))]
        if not branches or choice_list([b.schema for b in branches]) is not None:
            continue
        if nav.discriminators(branches, declared) is not None:
            continue
        if any("object" in types(nav.flatten([b])) for b in branches):
            found.append((key, branches))
    return found


_NAVS: dict[tuple[int, int], SchemaNav] = {}


def nav_for(definition: Definition, formats: FormatRegistry | None = None) -> SchemaNav:
    """The SchemaNav of this definition read with these formats, shared by every request (the most recent
    MAX_NAVS definitions are kept)."""
    key = (id(definition), id(formats))
    found = _NAVS.get(key)
    if found is None or found.definition is not definition or found.formats is not formats:
        found = SchemaNav(definition, formats)
        while len(_NAVS) >= MAX_NAVS:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                _NAVS.pop(next(iter(_NAVS)))
        _NAVS[key] = found
    return found
