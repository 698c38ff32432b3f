"""One function per jsonschema keyword function it mirrors: the keyword's value compiled into a check.

Each gives exactly the verdict of the jsonschema function of the same name (jsonschema/_keywords.py and
_legacy_keywords.py, read beside this file): the same type guards, comparisons, `re.search`, `equal`.
A guarded keyword (minLength applies to strings only…) also gives its check without the guard, for a
subschema whose `type` already asserts it. `MIRRORS` maps jsonschema's functions to these.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jsonschema import _keywords, _legacy_keywords
from jsonschema._utils import equal

from forms_engine.validation.checks import STANDARD_TYPES, Check, Compiled, Unsupported, always, key

if TYPE_CHECKING:
    from forms_engine.validation.compiled import Compiler

Mirror = Callable[["Compiler", Any, Any], Compiled]


def guarded(c: Compiler, kind: str, inner: Check, free: bool = True) -> Compiled:
    pred = c.is_type(kind)
    return Compiled(lambda x: not pred(x) or inner(x), free, guard=kind, inner=inner)


def type_(c: Compiler, value: Any, schema: Any) -> Compiled:
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise Unsupported
    preds = [c.is_type(t) for t in types]
    if len(preds) == 1:
        return Compiled(preds[0], True, asserts=types[0] if c.type_checker in STANDARD_TYPES else None)
    return Compiled(lambda x: any(p(x) for p in preds), True)


def enum(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, list):
        raise Unsupported
    found = [key(e) for e in value]
    if any(k is None for k in found):
        raise Unsupported
    keys = frozenset(found)

    def check(x: Any) -> bool:
        k = key(x)
        return k in keys if k is not None else any(equal(e, x) for e in value)

    return Compiled(check, True)


def const(c: Compiler, value: Any, schema: Any) -> Compiled:
    wanted = key(value)

    def check(x: Any) -> bool:
        k = key(x)
        return k == wanted if k is not None and wanted is not None else bool(equal(x, value))

    return Compiled(check, True)


def _bounded(kind: str, fails: Callable[[Any, Any], bool]) -> Mirror:
    def mirror(c: Compiler, value: Any, schema: Any) -> Compiled:
        return guarded(c, kind, lambda x: not fails(x, value))

    return mirror


def pattern(c: Compiler, value: Any, schema: Any) -> Compiled:
    search = re.compile(value).search
    return guarded(c, "string", lambda x: search(x) is not None)


def format_(c: Compiler, value: Any, schema: Any) -> Compiled:
    checker = c.format_checker
    if checker is None or value not in checker.checkers:
        return Compiled(always, True)
    func, raises = checker.checkers[value]

    def check(x: Any) -> bool:
        try:
            return bool(func(x))
        except raises:
            return False

    return Compiled(check, True)


def required(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, list):
        raise Unsupported
    names = tuple(value)
    return guarded(c, "object", lambda x: all(n in x for n in names))


def dependent_required(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, dict):
        raise Unsupported
    pairs = tuple(value.items())
    return guarded(c, "object", lambda x: all(all(each in x for each in deps) for name, deps in pairs if name in x))


def properties(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, dict):
        raise Unsupported
    parts = [(name, c.sub(s)) for name, s in value.items()]
    pairs = tuple((name, s.check) for name, s in parts if s.check is not always)

    def inner(x: Any) -> bool:
        for name, sub in pairs:  # noqa: SIM110 - a loop: all() over a generator costs more on this hot path
            if name in x and not sub(x[name]):
                return False
        return True

    return guarded(c, "object", inner, all(s.context_free for _, s in parts))


def pattern_properties(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, dict):
        raise Unsupported
    parts = [(re.compile(p).search, c.sub(s)) for p, s in value.items()]
    return guarded(c, "object", lambda x: all(s.check(v) for search, s in parts for k, v in x.items() if search(k)),
                   all(s.context_free for _, s in parts))


def additional_properties(c: Compiler, value: Any, schema: Any) -> Compiled:
    props = schema.get("properties", {})  # jsonschema._utils.find_additional_properties
    patterns = "|".join(schema.get("patternProperties", {}))
    search = re.compile(patterns).search if patterns else None
    sub = c.sub(value) if c.is_type("object")(value) else None

    def inner(x: Any) -> bool:
        extras = [k for k in x if k not in props and not (search is not None and search(k))]
        if sub is not None:
            return all(sub.check(x[k]) for k in extras)
        return bool(value) or not extras

    return guarded(c, "object", inner, sub is None or sub.context_free)


def property_names(c: Compiler, value: Any, schema: Any) -> Compiled:
    sub = c.sub(value)
    return guarded(c, "object", lambda x: all(sub.check(k) for k in x), sub.context_free)


def dependent_schemas(c: Compiler, value: Any, schema: Any) -> Compiled:
    if not isinstance(value, dict):
        raise Unsupported
    parts = [(name, c.sub(s)) for name, s in value.items()]
    return guarded(c, "object", lambda x: all(s.check(x) for name, s in parts if name in x),
                   all(s.context_free for _, s in parts))


def dependencies(c: Compiler, value: Any, schema: Any) -> Compiled:  # draft-07
    if not isinstance(value, dict):
        raise Unsupported
    is_array = c.is_type("array")
    parts = [(name, None if is_array(dep) else c.sub(dep), dep) for name, dep in value.items()]

    def inner(x: Any) -> bool:
        for name, sub, dep in parts:
            if name in x and not (all(e in x for e in dep) if sub is None else sub.check(x)):
                return False
        return True

    return guarded(c, "object", inner, all(s is None or s.context_free for _, s, _ in parts))


def items(c: Compiler, value: Any, schema: Any) -> Compiled:  # 2020-12
    prefix = len(schema.get("prefixItems", []))
    sub = c.sub(value)
    return guarded(c, "array", lambda x: len(x) <= prefix or (
        value is not False and all(sub.check(e) for e in x[prefix:])), sub.context_free)


def prefix_items(c: Compiler, value: Any, schema: Any) -> Compiled:
    subs = c.subs(value)
    return guarded(c, "array", lambda x: all(s.check(e) for s, e in zip(subs, x, strict=False)),
                   all(s.context_free for s in subs))


def legacy_items(c: Compiler, value: Any, schema: Any) -> Compiled:  # draft-07: a schema, or a list (tuple)
    if c.is_type("array")(value):
        return prefix_items(c, value, schema)
    sub = c.sub(value)
    return guarded(c, "array", lambda x: all(sub.check(e) for e in x), sub.context_free)


def additional_items(c: Compiler, value: Any, schema: Any) -> Compiled:  # draft-07
    is_object = c.is_type("object")
    if is_object(schema.get("items", {})):
        return Compiled(always, True)
    length = len(schema.get("items", []))
    if is_object(value):
        sub = c.sub(value)
        return guarded(c, "array", lambda x: all(sub.check(e) for e in x[length:]), sub.context_free)
    return guarded(c, "array", lambda x: bool(value) or len(x) <= length)


def all_of(c: Compiler, value: Any, schema: Any) -> Compiled:
    subs = c.subs(value)
    checks = tuple(s.check for s in subs)
    return Compiled(lambda x: all(check(x) for check in checks), all(s.context_free for s in subs))


def _alternatives(c: Compiler, value: Any, passes: Callable[[int], bool]) -> Compiled:
    subs = c.subs(value, evolved=True)  # oneOf tries the branches after the first valid one with evolve()
    checks = tuple(s.check for s in subs)

    def count(x: Any) -> int:
        return sum(1 for check in checks if check(x))

    consts = [c.pure_const(s) for s in value]
    if all(k is not None for k in consts):  # a labelled choice list: one look-up, not a branch each
        counts = Counter(consts)

        def choice(x: Any) -> bool:
            k = key(x)
            return passes(counts.get(k, 0) if k is not None else count(x))

        return Compiled(choice, True)
    return Compiled(lambda x: passes(count(x)), all(s.context_free for s in subs))


def any_of(c: Compiler, value: Any, schema: Any) -> Compiled:
    return _alternatives(c, value, lambda count: count >= 1)


def one_of(c: Compiler, value: Any, schema: Any) -> Compiled:
    return _alternatives(c, value, lambda count: count == 1)


def not_(c: Compiler, value: Any, schema: Any) -> Compiled:
    sub = c.subs([value], evolved=True)[0]
    return Compiled(lambda x: not sub.check(x), sub.context_free)


def if_(c: Compiler, value: Any, schema: Any) -> Compiled:
    cond = c.subs([value], evolved=True)[0]
    then = c.sub(schema["then"]) if "then" in schema else None
    other = c.sub(schema["else"]) if "else" in schema else None

    def check(x: Any) -> bool:
        branch = then if cond.check(x) else other
        return branch is None or branch.check(x)

    return Compiled(check, all(s is None or s.context_free for s in (cond, then, other)))


def contains(c: Compiler, value: Any, schema: Any) -> Compiled:  # 2020-12, with minContains / maxContains
    sub = c.subs([value], evolved=True)[0]
    least = schema.get("minContains", 1)

    def inner(x: Any) -> bool:
        matches = sum(1 for e in x if sub.check(e))
        return matches <= schema.get("maxContains", len(x)) and not matches < least

    return guarded(c, "array", inner, sub.context_free)


def legacy_contains(c: Compiler, value: Any, schema: Any) -> Compiled:  # draft-07
    sub = c.subs([value], evolved=True)[0]
    return guarded(c, "array", lambda x: any(sub.check(e) for e in x), sub.context_free)


def ref(c: Compiler, value: Any, schema: Any) -> Compiled:
    """The target's check when it does not depend on the resolver; never context-free itself."""
    target = c.resolve(value)
    if not target.context_free:
        raise Unsupported
    return Compiled(target.check, False)


MIRRORS: dict[Any, Mirror] = {
    _keywords.type: type_, _keywords.enum: enum, _keywords.const: const, _keywords.pattern: pattern,
    _keywords.format: format_, _keywords.required: required, _keywords.dependentRequired: dependent_required,
    _keywords.minLength: _bounded("string", lambda x, v: len(x) < v),
    _keywords.maxLength: _bounded("string", lambda x, v: len(x) > v),
    _keywords.minimum: _bounded("number", lambda x, v: x < v),
    _keywords.maximum: _bounded("number", lambda x, v: x > v),
    _keywords.exclusiveMinimum: _bounded("number", lambda x, v: x <= v),
    _keywords.exclusiveMaximum: _bounded("number", lambda x, v: x >= v),
    _keywords.minItems: _bounded("array", lambda x, v: len(x) < v),
    _keywords.maxItems: _bounded("array", lambda x, v: len(x) > v),
    _keywords.minProperties: _bounded("object", lambda x, v: len(x) < v),
    _keywords.maxProperties: _bounded("object", lambda x, v: len(x) > v),
    _keywords.properties: properties, _keywords.patternProperties: pattern_properties,
    _keywords.additionalProperties: additional_properties, _keywords.propertyNames: property_names,
    _keywords.dependentSchemas: dependent_schemas, _keywords.items: items, _keywords.prefixItems: prefix_items,
    _keywords.allOf: all_of, _keywords.anyOf: any_of, _keywords.oneOf: one_of, _keywords.not_: not_,
    _keywords.if_: if_, _keywords.contains: contains, _keywords.ref: ref,
    _legacy_keywords.items_draft6_draft7_draft201909: legacy_items,
    _legacy_keywords.additionalItems: additional_items,
    _legacy_keywords.contains_draft6_draft7: legacy_contains,
    _legacy_keywords.dependencies_draft4_draft6_draft7: dependencies,
}
