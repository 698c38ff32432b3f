"""The `email` check."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats.email_address import is_email


@pytest.mark.parametrize(
    "value",
    ["taro@example.jp", "t.yamada+x@city.example.lg.jp", "taro.@ezweb.ne.jp", "a..b@docomo.ne.jp", "x@xn--r8jz45g.jp",
     "x@例え.jp", "o'brien@example.com"],
)
def test_valid(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize(
    "value",
    ["", "@", "a@b", "taro@localhost", "taro@example.jp.", "taro@.example.jp", "taro@example-.jp", "たろう@example.jp",
     "taro@exa mple.jp", "taro＠example.jp", "a" * 65 + "@example.jp", "a@" + "b" * 250 + ".jp", "taro@example.j",
     "taro@[192.0.2.1]"],
)
def test_invalid(value: str) -> None:
    assert not is_email(value)
