"""What a compiled check is made of: `Compiled`, jsonschema's type predicates, scalar keys for `equal`."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator

Check = Callable[[Any], bool]
STANDARD_TYPES = (Draft202012Validator.TYPE_CHECKER, Draft7Validator.TYPE_CHECKER)  # drafts 6 to 2020-12


def _is_integer(x: Any) -> bool:  # draft 6+: 1.0 is an integer, True is not
    return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())


# `TYPE_CHECKER.is_type(x, name)` of STANDARD_TYPES, as jsonschema._types defines it.
PREDICATES: dict[str, Check] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": lambda x: isinstance(x, numbers.Number) and not isinstance(x, bool),
    "integer": _is_integer,
}


def always(_: Any) -> bool:
    return True


def never(_: Any) -> bool:
    return False


def implies(asserted: str, guard: str) -> bool:
    """Whether every instance of type `asserted` is of type `guard` (else none is, for these guards)."""
    return asserted == guard or (asserted == "integer" and guard == "number")


class Unsupported(Exception):
    """This keyword is left to jsonschema's own function."""


@dataclass(frozen=True)
class Compiled:
    """A subschema's (or one keyword's) check: True exactly when jsonschema finds no error in the instance."""

    check: Check
    context_free: bool  # the verdict does not depend on where `$ref`s resolve
    asserts: str | None = None  # `type` with this one standard type
    guard: str | None = None  # the keyword applies to instances of this type only (others pass) ...
    inner: Check | None = None  # ... and this is its check of an instance known to be of that type


_NULL_KEY = (2, None)


def key(value: Any) -> tuple[int, Any] | None:
    """A hashable stand-in equal for two JSON scalars exactly when jsonschema's `equal` says they are:
    True is not 1, 1 is 1.0, a string equals only a string. None for anything else."""
    kind = type(value)
    if kind is str:
        return (0, value)
    if kind is bool:
        return (1, value)
    if value is None:
        return _NULL_KEY
    if kind is int or kind is float:
        return (3, value)
    return None


def all_of(checks: list[Check]) -> Check:
    """One check for several, tried in order."""
    if not checks:
        return always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    if len(checks) == 3:
        a, b, c = checks
        return lambda x: a(x) and b(x) and c(x)
    fixed = tuple(checks)

    def every(x: Any) -> bool:
        for check in fixed:  # noqa: SIM110 - a loop: all() over a generator costs more on this hot path
            if not check(x):
                return False
        return True

    return every
