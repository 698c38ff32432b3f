"""Standard formats: really checked (date-time and uri need their optional validator packages)."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats.standard import ENTRIES

BY_NAME = {entry.name: entry for entry in ENTRIES}

VALID = {
    "date": ["2025-04-01", "2024-02-29"],
    "date-time": ["2025-04-01T09:00:00+09:00", "2025-04-01T00:00:00Z", "2025-04-01T09:00:00.123+09:00"],
    "time": ["09:00:00+09:00", "23:59:59Z"],
    "email": ["taro@example.jp", "taro.yamada+form@mail.city.example.lg.jp", "taro..@docomo.ne.jp", "info@例え.jp"],
    "uri": ["https://www.city.example.lg.jp/", "mailto:taro@example.jp", "urn:isbn:9784000000000"],
    "uri-reference": ["/guide/index.html", "https://example.jp/a?b=c#d", "../up"],
    "hostname": ["www.example.jp", "localhost"],
    "ipv4": ["192.0.2.1"],
    "ipv6": ["2001:db8::1", "::1"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000"],
    "regex": ["^[0-9]+$", "(?:ア|イ)"],
    "data-url": ["data:text/plain;base64,SGVsbG8=", "data:,Hello%2C%20World!", "data:,"],
}
INVALID = {
    "date": ["not a date", "2025-02-30", "2025-4-1", "20250401", "２０２５-04-01", "2025-04-01T09:00:00Z"],
    "date-time": ["not a date", "2025-04-01T09:00:00", "2025-04-01 09:00", "2025-02-30T09:00:00Z", "2025-04-01"],
    "time": ["09:00:00", "25:00:00Z", "9:00"],
    "email": ["a@b", "@example.jp", "taro@", "taro", "taro yamada@example.jp", "taro@example..jp", "taro@-a.jp",
              "taro@example.1", "taro@@example.jp", "taro@exam_ple.jp"],
    "uri": ["not a uri", "http://exa mple.jp/", "/relative/path", "https://example.jp/%zz", "https://例え.jp/"],
    "uri-reference": ["http://exa mple.jp/", "%zz"],
    "hostname": ["-bad.jp", "exa mple.jp", "例え.jp", "a" * 64 + ".jp"],
    "ipv4": ["256.0.0.1", "192.0.2", "01.1.1.1", "１92.0.2.1"],
    "ipv6": ["2001:db8:::1", "192.0.2.1", "fe80::1%eth0"],
    "uuid": ["123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400", "１23e4567-e89b-12d3-a456-426614174000"],
    "regex": ["(unclosed", "[z-a]", "*", "a{99999999999}", "(" * 2000 + ")" * 2000],
    "data-url": ["data:text/plain;base64,SGVsbG8", "data:text/plain,no spaces", "text/plain,Hello", "data:text/plain",
                 "data:;base64,@@@@"],
}


def test_every_standard_format_is_covered() -> None:
    names = {"date", "date-time", "time", "email", "uri", "uri-reference", "hostname", "ipv4", "ipv6", "uuid",
             "regex", "data-url"}
    assert set(BY_NAME) == names == set(VALID) == set(INVALID)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in VALID.items() for v in vs])
def test_valid(name: str, value: str) -> None:
    assert BY_NAME[name].check(value) is True


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in INVALID.items() for v in vs])
def test_invalid(name: str, value: str) -> None:
    assert BY_NAME[name].check(value) is False


def test_email_normaliser_widens_and_strips() -> None:
    entry = BY_NAME["email"]
    assert entry.normalise("　ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ ") == "taro@example.jp"
    assert entry.check(entry.normalise("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"))


@pytest.mark.parametrize("name", sorted(set(BY_NAME) - {"email"}))
def test_other_normalisers_are_identity(name: str) -> None:
    assert BY_NAME[name].normalise(" ２０２５ ") == " ２０２５ "


def test_messages() -> None:
    assert BY_NAME["date"].message_ja.format(title="生年月日") == "生年月日は実在する日付を年・月・日で入力してください（例：2025年4月1日）"
    assert BY_NAME["email"].message_ja.format(title="メールアドレス") == (
        "メールアドレスはメールアドレスの形式で入力してください（例：taro@example.jp）"
    )


def test_input_hints() -> None:
    assert (BY_NAME["email"].autocomplete, BY_NAME["email"].inputmode) == ("email", "email")
    assert (BY_NAME["uri"].autocomplete, BY_NAME["uri"].inputmode) == ("url", "url")
    assert BY_NAME["date"].autocomplete is None
