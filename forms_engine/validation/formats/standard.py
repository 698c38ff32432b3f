"""Standard JSON Schema formats, reusing jsonschema's draft 2020-12 checkers where it has them."""

from __future__ import annotations

from collections.abc import Callable

from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from forms_engine.validation.formats.data_url import is_data_url
from forms_engine.validation.formats.email_address import is_email
from forms_engine.validation.formats.entry import FormatEntry
from forms_engine.validation.formats.normalise import nfkc


def _reuse(name: str, *, ascii_only: bool = True) -> Callable[[str], bool]:
    """jsonschema's checker for `name`; fails loudly when its optional validator package is missing."""
    checker = Draft202012Validator.FORMAT_CHECKER
    if name not in checker.checkers:
        raise RuntimeError(f"jsonschema cannot check format {name!r}: install jsonschema[format-nongpl]")

    def check(value: str) -> bool:
        # Only ASCII: int() and friends would otherwise accept full-width digits (UUID('１…')).
        if ascii_only and not value.isascii():
            return False
        try:
            return bool(checker.conforms(value, name))
        except (OverflowError, RecursionError):  # re.compile('a{99999999999}'), deeply nested groups
            return False

    return check


def _entry(
    name: str, check: Callable[[str], bool], ja: str, en: str, autocomplete: str | None = None, inputmode: str | None = None
) -> FormatEntry:
    return FormatEntry(name, check, ja, en, autocomplete=autocomplete, inputmode=inputmode)


ENTRIES: tuple[FormatEntry, ...] = (
    _entry("date", _reuse("date"), "{title}は実在する日付を年・月・日で入力してください（例：2025年4月1日）",
           "Enter {title} as a real date with year, month and day, for example 1 April 2025"),
    _entry("date-time", _reuse("date-time"),
           "{title}は日付と時刻を時差付きで入力してください（例：2025-04-01T09:00:00+09:00）",
           "Enter {title} as a date and time with its UTC offset, for example 2025-04-01T09:00:00+09:00"),
    _entry("time", _reuse("time"), "{title}は時刻を時差付きで入力してください（例：09:00:00+09:00）",
           "Enter {title} as a time with its UTC offset, for example 09:00:00+09:00"),
    FormatEntry(name="email", check=is_email, normalise=nfkc, autocomplete="email", inputmode="email",
                message_ja="{title}はメールアドレスの形式で入力してください（例：taro@example.jp）",
                message_en="Enter {title} as an email address, for example taro@example.jp"),
    _entry("uri", _reuse("uri"), "{title}はURLの形式で入力してください（例：https://www.example.jp/）",
           "Enter {title} as a full URL, for example https://www.example.jp/", autocomplete="url", inputmode="url"),
    _entry("uri-reference", _reuse("uri-reference"),
           "{title}はURLまたはパスの形式で入力してください（例：https://www.example.jp/、/guide/）",
           "Enter {title} as a URL or a path, for example https://www.example.jp/ or /guide/", inputmode="url"),
    _entry("hostname", _reuse("hostname"), "{title}はホスト名の形式で入力してください（例：www.example.jp）",
           "Enter {title} as a host name, for example www.example.jp", inputmode="url"),
    _entry("ipv4", _reuse("ipv4"), "{title}はIPv4アドレスの形式で入力してください（例：192.0.2.1）",
           "Enter {title} as an IPv4 address, for example 192.0.2.1"),
    _entry("ipv6", _reuse("ipv6"), "{title}はIPv6アドレスの形式で入力してください（例：2001:db8::1）",
           "Enter {title} as an IPv6 address, for example 2001:db8::1"),
    _entry("uuid", _reuse("uuid"),
           "{title}はUUIDの形式（8-4-4-4-12桁の16進数）で入力してください（例：123e4567-e89b-12d3-a456-426614174000）",
           "Enter {title} as a UUID (8-4-4-4-12 hex digits), for example 123e4567-e89b-12d3-a456-426614174000"),
    _entry("regex", _reuse("regex", ascii_only=False), "{title}は正しい正規表現で入力してください（例：^[0-9]+$）",
           "Enter {title} as a valid regular expression, for example ^[0-9]+$"),
    _entry("data-url", is_data_url,
           "{title}はdata URLの形式で入力してください（例：data:text/plain;base64,SGVsbG8=）",
           "Enter {title} as a data URL, for example data:text/plain;base64,SGVsbG8="),
)
