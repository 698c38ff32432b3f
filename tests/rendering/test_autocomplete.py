"""1.3.5 (input purpose) on the rendered pages: the resident's own name, address, phone, e-mail and birth date carry
HTML autofill tokens; an answer about someone else (`x-autocomplete: off` on a child, a spouse, a companion) carries
none on any of its parts, so the browser's autofill does not offer the resident's own values there. A 和暦 year is
not the Western year `bday-year` means: only its month and day get `bday-month` / `bday-day`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from .conftest import OWN_DEFINITIONS, SAMPLES_DIR, minimal
from .htmlform import HtmlForm
from .jp import Resident, app_fixture, build, value_in

ADDRESS: dict[str, Any] = {
    "title": "住所", "x-widget": "address", "type": "object",
    "properties": {"postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号"},
                   "prefecture": {"type": "string", "title": "都道府県"},
                   "city": {"type": "string", "title": "市区町村"},
                   "street": {"type": "string", "title": "町域・番地"},
                   "building": {"type": "string", "title": "建物名・部屋番号"}}}
P = "autofill-parts"
DOCUMENT = minimal(P, {
    "own_address": ADDRESS,
    "other_address": {**ADDRESS, "title": "代理人の住所", "x-autocomplete": "off"},
    "other_email": {"title": "連絡先（家族）", "type": "string", "format": "email", "x-autocomplete": "off"},
    "other_number": {"title": "家族の個人番号", "type": "string", "format": "jp-my-number", "x-widget": "my-number",
                     "x-sensitive": True, "x-autocomplete": "off"},
})

app = app_fixture(DOCUMENT, P)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield build(SAMPLES_DIR, tmp_path_factory.mktemp("samples-data"))


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield build(OWN_DEFINITIONS, tmp_path_factory.mktemp("sink-data"))


def tokens(page: str, *prefixes: str) -> dict[str, str | None]:
    """name -> `autocomplete` of every control a resident types in or picks from whose name starts with a prefix."""
    return {c.name: c.attrs.get("autocomplete") for c in HtmlForm(page).controls
            if c.tag != "button" and c.type not in ("hidden", "radio", "checkbox") and c.name.startswith(prefixes)}


def step(app: FastAPI, procedure_id: str, step_id: str) -> str:
    resident = Resident(app, procedure_id)
    page = resident.client.get(resident.url(step_id))
    assert page.status_code == 200, page.text[:2000]
    return page.text


def test_the_applicant_has_tokens_and_the_wareki_birth_date_only_month_and_day(samples: FastAPI) -> None:
    page = step(samples, "jidou-teate", "applicant")
    assert tokens(page, "/applicant_", "/my_number", "/address", "/phone") == {
        "/applicant_name/family": "family-name", "/applicant_name/given": "given-name",
        "/applicant_kana/family": None, "/applicant_kana/given": None,  # HTML has no token for フリガナ
        "/applicant_birth_date@era": None, "/applicant_birth_date@year": None,
        "/applicant_birth_date@month": "bday-month", "/applicant_birth_date@day": "bday-day",
        "/my_number": "off",
        "/address/postal_code": "postal-code", "/address/prefecture": "address-level1",
        "/address/city": "address-level2", "/address/street": "address-line1", "/address/building": "address-line2",
        "/phone": "tel",
    }


def test_the_spouse_has_no_token_but_the_sensitive_number_stays_off(samples: FastAPI) -> None:
    page = step(samples, "jidou-teate", "spouse")
    assert tokens(page, "/spouse_") == {
        "/spouse_name/family": None, "/spouse_name/given": None,
        "/spouse_birth_date@era": None, "/spouse_birth_date@year": None,
        "/spouse_birth_date@month": None, "/spouse_birth_date@day": None,
        "/spouse_my_number": "off",
    }
    assert "bday" not in page and "family-name" not in page


def test_a_child_has_no_token_on_any_part(samples: FastAPI) -> None:
    page = step(samples, "jidou-teate", "children")
    found = tokens(page, "/children/")
    assert {"/children/0/name/family", "/children/0/name/given", "/children/0/birth_date@month",
            "/children/0/separate_address"} <= set(found)
    assert set(found.values()) == {None}
    assert 'autocomplete="' not in page.split("<main", 1)[1]


def test_juminhyo_and_event_mark_their_people(samples: FastAPI) -> None:
    subject = step(samples, "juminhyo-copy", "subject")
    assert tokens(subject, "/subject_name", "/subject_birth_date") == {
        "/subject_name/family": "family-name", "/subject_name/given": "given-name",
        "/subject_birth_date@era": None, "/subject_birth_date@year": None,
        "/subject_birth_date@month": "bday-month", "/subject_birth_date@day": "bday-day",
    }
    requester = step(samples, "juminhyo-copy", "requester")
    assert tokens(requester, "/requester_name") == {"/requester_name/family": "family-name",
                                                    "/requester_name/given": "given-name"}
    participant = step(samples, "event-sankaka", "participant")
    assert tokens(participant, "/name", "/email", "/phone") == {
        "/name/family": "family-name", "/name/given": "given-name", "/email": "email", "/phone": "tel"}
    companions = step(samples, "event-sankaka", "companions")
    assert tokens(companions, "/companions/0/name", "/childcare_ages") == {
        "/companions/0/name": None, "/childcare_ages": None}


def test_a_western_birth_date_of_the_resident_has_all_three_parts(sink: FastAPI) -> None:
    page = step(sink, "kitchen-sink", "person")
    assert tokens(page, "/birth_date", "/era_date") == {
        "/birth_date@year": "bday-year", "/birth_date@month": "bday-month", "/birth_date@day": "bday-day",
        "/era_date@era": None, "/era_date@year": None, "/era_date@month": None, "/era_date@day": None,
    }


def test_off_leaves_every_token_out_and_keeps_the_postal_lookup(app: FastAPI) -> None:
    resident = Resident(app, P)
    page = resident.first.text
    assert tokens(page, "/") == {
        "/own_address/postal_code": "postal-code", "/own_address/prefecture": "address-level1",
        "/own_address/city": "address-level2", "/own_address/street": "address-line1",
        "/own_address/building": "address-line2",
        "/other_address/postal_code": None, "/other_address/prefecture": None, "/other_address/city": None,
        "/other_address/street": None, "/other_address/building": None,
        "/other_email": None,  # no token, and no autocomplete="off" either: only sensitive numbers have that
        "/other_number": "off",
    }
    buttons = [b.value for b in HtmlForm(page).buttons() if b.value.startswith("postal:")]
    assert buttons == ["postal:/own_address", "postal:/other_address"]
    filled = resident.post("form", [("/other_address/postal_code", "1000001")], "postal:/other_address")
    assert filled.status_code == 200
    assert [value_in(filled.text, f"/other_address/{k}") for k in ("prefecture", "city", "street")] == [
        "東京都", "千代田区", "千代田"]
    assert tokens(filled.text, "/other_address") == dict.fromkeys(
        [f"/other_address/{k}" for k in ("postal_code", "prefecture", "city", "street", "building")])
