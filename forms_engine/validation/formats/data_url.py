"""`data-url`: RFC 2397 `data:[<mediatype>][;base64],<data>`; base64 data must decode."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote_to_bytes

_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"  # RFC 2045 token (with % for escapes)
_URIC = r"(?:[A-Za-z0-9;/?:@&=+$,\-_.!~*'()]|%[0-9A-Fa-f]{2})"  # RFC 2396 uric
_DATA_URL = re.compile(
    rf"data:(?:{_TOKEN}/{_TOKEN})?(?:;{_TOKEN}={_TOKEN})*(?P<base64>;base64)?,(?P<data>{_URIC}*)",
    re.ASCII | re.IGNORECASE,
)


def is_data_url(value: str) -> bool:
    match = _DATA_URL.fullmatch(value)
    if match is None:
        return False
    if match["base64"] is None:
        return True
    try:
        base64.b64decode(unquote_to_bytes(match["data"]), validate=True)
    except binascii.Error:
        return False
    return True
