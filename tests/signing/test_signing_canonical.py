"""The signed bytes: NFC everywhere, then RFC 8785; floats and unsafe integers refused."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signing import canonical_payload, payload_sha256
from signing.canonical import MAX_SAFE_INTEGER

NFD_GA = "か\u3099"  # か + combining dakuten, NFC is が


def test_rfc8785_order_and_format():
    data = {"b": [1, True, None], "a": "x", "\u20ac": 0, "\r": "\u0000", "1": {"z": -0, "y": ""}}
    assert canonical_payload(data) == b'{"\\r":"\\u0000","1":{"y":"","z":0},"a":"x","b":[1,true,null],"\xe2\x82\xac":0}'


def test_keys_and_values_are_nfc():
    assert canonical_payload({NFD_GA: NFD_GA}) == canonical_payload({"が": "が"}) == '{"が":"が"}'.encode()
    # full-width and half-width stay distinct: NFC is not NFKC
    assert canonical_payload({"a": "ｶ"}) != canonical_payload({"a": "カ"})


def test_keys_colliding_after_nfc_are_refused():
    with pytest.raises(ValueError, match="collide"):
        canonical_payload({NFD_GA: 1, "が": 2})


@pytest.mark.parametrize("bad", [1.5, 0.0, float("nan"), MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 10**20])
def test_floats_and_unsafe_integers_are_refused(bad):
    with pytest.raises(ValueError, match=r"/answers/n"):
        canonical_payload({"answers": {"n": bad}})


@pytest.mark.parametrize("bad", [{1: "x"}, {"a": {1, 2}}, {"a": b"bytes"}, ["not", "an", "object"]])
def test_non_json_is_refused(bad):
    with pytest.raises(ValueError):
        canonical_payload(bad)


def test_lone_surrogates_are_refused():
    with pytest.raises(ValueError):
        canonical_payload({"a": "\ud800"})


def test_safe_integer_bounds_are_kept():
    assert canonical_payload({"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER}) == (
        b'{"m":-9007199254740991,"n":9007199254740991}')


def test_payload_sha256():
    assert payload_sha256(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def nfd(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, list):
        return [nfd(v) for v in value]
    if isinstance(value, dict):
        return {nfd(k): nfd(v) for k, v in value.items()}
    return value


def nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    return value


def unique_after_normalisation(value):
    if isinstance(value, list):
        return all(unique_after_normalisation(v) for v in value)
    if isinstance(value, dict):
        for form in ("NFC", "NFD"):
            if len({unicodedata.normalize(form, k) for k in value}) != len(value):
                return False
        return all(unique_after_normalisation(v) for v in value.values())
    return True


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5).filter(unique_after_normalisation))
def test_canonical_form_is_stable_under_normalisation(data):
    encoded = canonical_payload(data)
    assert canonical_payload(nfd(data)) == encoded
    assert canonical_payload(json.loads(encoded)) == encoded
    assert json.loads(encoded) == nfc(data)
    assert unicodedata.is_normalized("NFC", encoded.decode("utf-8"))
