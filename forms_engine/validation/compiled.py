"""Each subschema of a definition compiled once into a check: "would jsonschema find an error here?".

jsonschema walks a schema by building a new validator object for every subschema it descends into, and
tries labelled choice lists (`oneOf: [{"const": …, "title": …}, …]`) branch by branch: that walk was most
of the cost of a submission. Here every subschema is turned, when the definition is loaded, into a
closure giving jsonschema's verdict for it — no error, or at least one — without the walk. A check never
makes an error itself: the engine uses the checks only to skip work whose outcome is already known.

- `Compiler(validator).top.check(answers)`: True when jsonschema has nothing to report; it is not run then.
- `install(cls, compiler)` makes the validator class skip `descend` into a subschema whose check passes:
  an invalid submission costs a jsonschema walk of its failing parts only, and the errors are jsonschema's.

Each keyword is mirrored from jsonschema's own function (mirrors.py); one that is not is run through that
function. A check that depends on where `$ref`s resolve (`context_free` False) is used only where the
resolver is the root's, as it is at the top and below it down to the first `$ref`. A subschema with `$id`
or `$schema` (a new base URI, another dialect) is left to jsonschema. tests/validation/test_compiled.py
compares the verdicts with plain jsonschema on the samples, the rjsf corpus and random mutations of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jsonschema import _keywords
from jsonschema.protocols import Validator

from forms_engine.validation import keywords as engine_keywords
from forms_engine.validation.checks import (
    PREDICATES,
    STANDARD_TYPES,
    Check,
    Compiled,
    Unsupported,
    all_of,
    always,
    implies,
    key,
    never,
)
from forms_engine.validation.mirrors import MIRRORS

_SPECIAL = ("$id", "$schema")  # a subschema that changes the base URI or the dialect: left to jsonschema
_LEAVES = frozenset({  # keyword functions that look at nothing but the instance and their own value
    _keywords.type, _keywords.enum, _keywords.const, _keywords.minLength, _keywords.maxLength, _keywords.pattern,
    _keywords.format, _keywords.minimum, _keywords.maximum, _keywords.exclusiveMinimum,
    _keywords.exclusiveMaximum, _keywords.multipleOf, _keywords.minItems, _keywords.maxItems,
    _keywords.uniqueItems, _keywords.minProperties, _keywords.maxProperties, _keywords.required,
    _keywords.dependentRequired,
})


def _no_error(errors: Iterable[Any] | None) -> bool:
    for _ in errors or ():
        return False
    return True


def _special(schema: Any) -> bool:
    return isinstance(schema, dict) and any(k in schema for k in _SPECIAL)


class Compiler:
    """The checks of every subschema reachable from the root of `validator` (a validator of a definition)."""

    def __init__(self, validator: Validator) -> None:
        self.root: Any = validator  # a jsonschema validator: its descend() and _resolver are not in the Protocol
        self.format_checker: Any = getattr(validator, "format_checker", None)
        cls = type(validator)
        self.keywords: dict[str, Any] = dict(cls.VALIDATORS)
        self.applicable: Callable[[dict[str, Any]], Iterable[tuple[str, Any]]] = cls._APPLICABLE_VALIDATORS  # type: ignore[attr-defined]
        self.type_checker = cls.TYPE_CHECKER
        self.table: dict[int, Compiled] = {}  # by id() of the subschema
        self._busy: set[int] = set()
        self._keep: list[Any] = []  # the subschemas whose id() are keys of `table`, alive as long as it is
        self.top = self._node(validator.schema)

    # -- what keyword mirrors ask --------------------------------------------------------------
    def sub(self, schema: Any) -> Compiled:
        """The check of a subschema (as `descend` validates it)."""
        if schema is True or schema is False:
            return Compiled(always if schema else never, True)
        known = self.table.get(id(schema))
        if known is not None:
            return known
        if id(schema) in self._busy or not isinstance(schema, dict) or _special(schema):
            root = self.root  # a recursive $ref, or a schema jsonschema validates in another context
            return Compiled(lambda x: _no_error(root.descend(x, schema)), False)
        compiled = self._node(schema)
        self.table[id(schema)] = compiled
        self._keep.append(schema)
        return compiled

    def subs(self, schemas: Any, evolved: bool = False) -> list[Compiled]:
        """Subschemas of a list; `evolved` ones jsonschema validates with evolve() (no new base URI)."""
        if not isinstance(schemas, list) or (evolved and any(_special(s) for s in schemas)):
            raise Unsupported
        return [self.sub(s) for s in schemas]

    def is_type(self, name: str) -> Check:
        """`validator.is_type(x, name)`, for the type checker of drafts 6 to 2020-12 (the engine's)."""
        if self.type_checker not in STANDARD_TYPES or name not in PREDICATES:
            raise Unsupported(name)
        return PREDICATES[name]

    def resolve(self, ref: Any) -> Compiled:
        """The check of a `$ref` target, resolved from the root, as jsonschema resolves it there."""
        resolver = getattr(self.root, "_resolver", None)
        if resolver is None or not isinstance(ref, str):
            raise Unsupported
        try:
            target = resolver.lookup(ref).contents
        except Exception as exc:  # jsonschema raises it when validating: let it
            raise Unsupported from exc
        if _special(target):
            raise Unsupported
        return self.sub(target)

    def pure_const(self, schema: Any) -> tuple[int, Any] | None:
        """The key of a branch that asserts nothing but `const` (its other words are annotations)."""
        if not isinstance(schema, dict) or "const" not in schema or _special(schema):
            return None
        words = [k for k, _ in self.applicable(schema) if k in self.keywords]
        if words != ["const"] or self.keywords["const"] is not _keywords.const:
            return None
        return key(schema["const"])

    # -- compiling -----------------------------------------------------------------------------
    def _node(self, schema: Any) -> Compiled:
        if isinstance(schema, bool):
            return Compiled(always if schema else never, True)
        if not isinstance(schema, dict):
            root = self.root
            return Compiled(lambda x: bool(root.is_valid(x)), False)
        self._busy.add(id(schema))
        try:
            parts = [self._keyword(k, v, schema) for k, v in self.applicable(schema) if k in self.keywords]
        finally:
            self._busy.discard(id(schema))
        free = all(p.context_free for p in parts)
        asserted = next((p for p in parts if p.asserts is not None), None)
        if asserted is None:
            return Compiled(all_of([p.check for p in parts if p.check is not always]), free)
        # `type` first; then the keywords it makes apply without their own type test, and not those it excludes.
        rest = [p.check if p.guard is None else p.inner for p in parts
                if p is not asserted and (p.guard is None or implies(str(asserted.asserts), p.guard))]
        return Compiled(all_of([asserted.check, *(c for c in rest if c is not None and c is not always)]), free)

    def _keyword(self, name: str, value: Any, schema: dict[str, Any]) -> Compiled:
        fn = self.keywords[name]
        root = self.root
        if name in engine_keywords.ENGINE_KEYWORDS:
            if engine_keywords.inert(name, value):
                return Compiled(always, True)
            return Compiled(lambda x: _no_error(fn(root, value, x, schema)), True)
        mirror = MIRRORS.get(fn)
        if mirror is not None:
            try:
                return mirror(self, value, schema)
            except Exception:  # not mirrored (or a schema jsonschema fails on when validating): its own function
                pass
        # jsonschema's function given the root validator: the same class and checkers, the root's resolver.
        return Compiled(lambda x: _no_error(fn(root, value, x, schema)), fn in _LEAVES)


def install(cls: type[Validator], compiler: Compiler) -> None:
    """Make `cls` (made for this one definition) skip `descend` into a subschema whose check passes."""
    klass: Any = cls  # descend() is not in jsonschema's Validator Protocol
    original = klass.descend
    table = compiler.table
    root_resolver = getattr(compiler.root, "_resolver", None)

    def descend(self: Validator, instance: Any, schema: Any, path: Any = None, schema_path: Any = None,
                resolver: Any = None) -> Iterator[Any]:
        entry = table.get(id(schema))
        if entry is not None and (entry.context_free or (
                resolver is None and getattr(self, "_resolver", None) is root_resolver
                and getattr(self, "_ref_resolver", None) is None)):
            try:
                if entry.check(instance):
                    return iter(())  # an iterator, as descend's generator is (jsonschema calls next() on it)
            except Exception:  # jsonschema decides, and raises if it raises
                pass
        errors: Iterator[Any] = original(self, instance, schema, path=path, schema_path=schema_path, resolver=resolver)
        return errors

    klass.descend = descend
