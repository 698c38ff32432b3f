"""`data-url` (RFC 2397)."""

from __future__ import annotations

import pytest

from forms_engine.validation.formats.data_url import is_data_url


@pytest.mark.parametrize(
    "value",
    [
        "data:,A%20brief%20note",
        "data:text/plain;charset=iso-8859-7,%be%d3%be",  # RFC 2397's own example
        "data:image/png;base64,iVBORw0KGgo=",
        "DATA:TEXT/PLAIN;BASE64,SGVsbG8=",
        "data:;charset=utf-8,%E3%81%82",
        "data:;base64,",
        "data:application/pdf;name=a.pdf;base64,JVBERi0=",
        "data:;base64,SGVs%62G8=",  # escapes are decoded before base64
    ],
)
def test_valid(value: str) -> None:
    assert is_data_url(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "data:",
        "data:text/plain",  # no comma
        "data:text,plain",  # a type without its subtype
        "data:text/plain;base64,SGVsbG8",  # bad padding
        "data:text/plain;base64,SGVs bG8=",
        "data:text/plain;base64,SGVsbG8=\n",
        "data:text/plain,%zz",
        "data:text/plain,#fragment",
        "data:text/plain;charset,x",  # parameter without value
        "data:text/pla\u017fn,x",  # ſ must not match [a-z] case-insensitively
        "http://example.jp/",
        " data:,x",
    ],
)
def test_invalid(value: str) -> None:
    assert not is_data_url(value)
