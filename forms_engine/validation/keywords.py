"""The engine's own assertions, beside JSON Schema's.

- `x-postal-exists`: in an object with `x-widget: "address"`, a `postal_code` of valid format must exist
  (checked with the injected `PostalLookup`). A jsonschema keyword on `x-widget`.
- `x-charset: "jisx0213"`: every string of the value must encode as EUC-JIS-2004. A jsonschema keyword.
- `x-control-characters`: no string answer may hold a control character (Unicode Cc); TAB, LF and CR
  are allowed where the field is multi-line. Checked by walking the answers (`control_characters`),
  because it applies to every string, whatever its schema says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from jsonschema import validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from forms_engine.postal.service import PostalLookup, normalise_code

POSTAL_EXISTS = "x-postal-exists"
CHARSET = "x-charset"
CONTROL_CHARACTERS = "x-control-characters"

ENGINE_KEYWORDS = frozenset({"x-widget", CHARSET})  # the jsonschema keywords `extend` adds

CODECS = {"jisx0213": "euc_jis_2004"}
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # exactly Unicode Cc (tests check every code point)
CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # Cc less TAB, LF and CR
MULTILINE_MIN_LENGTH = 200  # a maxLength above this makes a field multi-line

Path = list[str | int]
Keyword = Callable[[Validator, Any, Any, dict[str, Any]], Iterator[ValidationError]]


def extend(cls: type[Validator], lookup: PostalLookup) -> type[Validator]:
    """`cls` with the engine's keywords, postal codes checked against `lookup`."""
    extended = validators.extend(cls, {"x-widget": _widget(lookup), CHARSET: _charset})  # type: ignore[no-untyped-call, unused-ignore]
    return cast("type[Validator]", extended)


def inert(keyword: str, value: Any) -> bool:
    """Whether one of the engine's keywords with this value can never report an error."""
    if keyword == "x-widget":
        return bool(value != "address")
    return keyword == CHARSET and not (isinstance(value, str) and value in CODECS)


# -- x-postal-exists ----------------------------------------------------------------------------------
_KNOWN_CODES: ContextVar[dict[str, bool] | None] = ContextVar("known_postal_codes", default=None)


@contextmanager
def postal_codes_asked_once() -> Iterator[None]:
    """Within: each postal code is looked up once, however many times the answers are checked."""
    token = _KNOWN_CODES.set({})
    try:
        yield
    finally:
        _KNOWN_CODES.reset(token)


def _exists(lookup: PostalLookup, code: str) -> bool:
    known = _KNOWN_CODES.get()
    if known is None:
        return bool(lookup.lookup(code))
    if code not in known:
        known[code] = bool(lookup.lookup(code))
    return known[code]


def _widget(lookup: PostalLookup) -> Keyword:
    def x_widget(validator: Validator, widget: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if widget != "address" or not validator.is_type(instance, "object"):
            return
        value = instance.get("postal_code")
        code = normalise_code(value) if isinstance(value, str) else None
        if code is None or _exists(lookup, code):  # a malformed code is the format keyword's error
            return
        yield ValidationError(f"postal code {code} does not exist", validator=POSTAL_EXISTS, validator_value=code,
                              instance=value, path=["postal_code"])

    return x_widget


# -- x-charset ----------------------------------------------------------------------------------------
def _charset(validator: Validator, charset: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    codec = CODECS.get(charset) if isinstance(charset, str) else None
    if codec is None:  # the linter refuses unknown charsets
        return
    for path, text in strings(instance):
        bad = first_unencodable(text, codec)
        if bad is not None:
            yield ValidationError(f"{bad!r} cannot be encoded in {charset}", validator=CHARSET,
                                  validator_value=charset, instance=text, path=path)


def is_selector(char: str) -> bool:
    """A variation selector (VS1–16 or the ideographic variation selectors VS17–256)."""
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def first_unencodable(text: str, codec: str = "euc_jis_2004") -> str | None:
    """The first character the codec cannot write, with its variation selector(s): what the resident sees."""
    try:
        text.encode(codec)
        return None
    except UnicodeEncodeError as exc:
        start = exc.start
    begin = start - 1 if is_selector(text[start]) and start > 0 else start
    end = start + 1
    while end < len(text) and is_selector(text[end]):
        end += 1
    return text[begin:end]


# -- x-control-characters -----------------------------------------------------------------------------
def has_control_character(text: str, multiline: bool) -> bool:
    return (CONTROL_BUT_LINES if multiline else CONTROL).search(text) is not None


def is_multiline(schemas: list[dict[str, Any]]) -> bool:
    """A textarea, or a text longer than a line is: TAB, LF and CR are allowed there."""
    for schema in schemas:
        limit = schema.get("maxLength")
        if schema.get("x-widget") == "textarea" or (isinstance(limit, int | float) and limit > MULTILINE_MIN_LENGTH):
            return True
    return False


def control_characters(answers: Any, schemas_at: Callable[[Path], list[dict[str, Any]]]) -> Iterator[Path]:
    """The path of every string answer holding a control character it may not hold."""
    if CONTROL.search("".join(_texts(answers))) is None:  # the usual answers: one search, no paths
        return
    for path, text in strings(answers):
        if CONTROL.search(text) and has_control_character(text, is_multiline(schemas_at(path))):
            yield path


def _texts(value: Any) -> list[str]:
    """Every string in a JSON value, in no particular order."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def strings(value: Any) -> Iterator[tuple[Path, str]]:
    """Every string in a JSON value with its path, in document order (object keys are not values)."""
    stack: list[tuple[Path, Any]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            yield path, item
        elif isinstance(item, dict):
            stack.extend(reversed([([*path, k], v) for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([([*path, i], v) for i, v in enumerate(item)]))
