"""The registry, its FormatChecker, and properties every built-in entry must have."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from forms_engine.validation.formats import FormatEntry, FormatRegistry, default_registry, identity

BUILT_IN_NAMES = {
    "jp-postal-code", "jp-phone", "katakana", "jp-my-number", "jp-corporate-number",
    "date", "date-time", "time", "email", "uri", "uri-reference", "hostname", "ipv4", "ipv6", "uuid", "regex",
    "data-url",
}
NOISY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３-‐−ー－ｰ()（） 　+〒@＠.:/ａAアあｱﾞ\u3099わ%;,=data"),
)


def _entry(name: str = "shout") -> FormatEntry:
    return FormatEntry(name=name, check=str.isupper, message_ja="{title}は大文字で", message_en="{title}: capitals")


def test_register_get_contains_names() -> None:
    registry = FormatRegistry()
    entry = _entry()
    assert registry.register(entry) is entry
    assert registry.get("shout") is entry
    assert registry.get("whisper") is None
    assert "shout" in registry
    assert "whisper" not in registry
    assert 42 not in registry
    assert registry.names() == frozenset({"shout"})


def test_duplicate_name_raises() -> None:
    registry = FormatRegistry()
    registry.register(_entry())
    with pytest.raises(ValueError, match="shout"):
        registry.register(_entry())


def test_entry_defaults() -> None:
    entry = _entry()
    assert entry.normalise is identity
    assert entry.normalise("  Ａ ") == "  Ａ "
    assert (entry.autocomplete, entry.inputmode) == (None, None)


def test_default_registry_is_fresh_and_complete() -> None:
    first, second = default_registry(), default_registry()
    assert first is not second
    assert first.names() == second.names() == BUILT_IN_NAMES
    first.register(_entry())
    assert "shout" in first
    assert "shout" not in second


def test_format_checker_has_exactly_the_registry_entries() -> None:
    registry = FormatRegistry()
    registry.register(_entry())
    checker = registry.format_checker()
    assert set(checker.checkers) == {"shout"}
    assert checker.conforms("LOUD", "shout")
    assert not checker.conforms("quiet", "shout")
    assert checker.conforms(12, "shout")  # format applies to strings only
    assert checker.conforms(None, "shout")
    assert set(default_registry().format_checker().checkers) == BUILT_IN_NAMES


@pytest.mark.parametrize(
    ("name", "bad"),
    [("date-time", "not a date"), ("uri", "not a uri"), ("date", "2025-02-30"), ("jp-postal-code", "1000001"),
     ("jp-phone", "03-1234-567"), ("katakana", "山田"), ("jp-my-number", "123456789010"),
     ("jp-corporate-number", "8000012050002"), ("email", "a@b"), ("data-url", "data:;base64,x")],
)
def test_format_checker_rejects_bad_values_in_a_validator(name: str, bad: str) -> None:
    validator = Draft202012Validator({"format": name}, format_checker=default_registry().format_checker())
    assert not validator.is_valid(bad)
    assert validator.is_valid(7)
    assert validator.is_valid(["not", "a", "string"])


def test_format_checker_accepts_good_values() -> None:
    checker = default_registry().format_checker()
    assert checker.conforms("100-0001", "jp-postal-code")
    assert checker.conforms("03-1234-5678", "jp-phone")
    assert checker.conforms("123456789018", "jp-my-number")
    assert checker.conforms("2025-04-01T09:00:00+09:00", "date-time")


@pytest.mark.parametrize("name", sorted(BUILT_IN_NAMES))
def test_messages_name_the_field_and_show_how_to_fix(name: str) -> None:
    entry = default_registry().get(name)
    assert entry is not None
    ja, en = entry.message_ja.format(title="項目X"), entry.message_en.format(title="Field X")
    assert ja.startswith("項目Xは") and "ください" in ja
    assert "Field X" in en and en.startswith("Enter ")


@pytest.mark.parametrize("name", sorted(BUILT_IN_NAMES))
@given(value=NOISY_TEXT)
def test_normalise_is_idempotent_and_check_total(name: str, value: str) -> None:
    entry = default_registry().get(name)
    assert entry is not None
    once = entry.normalise(value)
    assert entry.normalise(once) == once
    assert entry.check(once) in (True, False)
    assert entry.check(value) in (True, False)
