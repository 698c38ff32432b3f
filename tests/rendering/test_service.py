"""build_form and parse_form without HTTP: ids, names, widgets, types, and the round trip."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.defaults import default_answers
from forms_engine.rendering.parsing import apply_action, form_items, parse_choices, parse_form
from forms_engine.rendering.service import build_form
from forms_engine.rendering.views import FieldView, field_id
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry
from forms_engine.validation.schemas import FieldError

from .conftest import OWN_DEFINITIONS, OWN_FIXTURES, minimal, write_definition


def catalogue(*folders: Path) -> DefinitionCatalogue:
    formats = default_registry()
    definitions, problems = check(list(folders), lint_context(default_widgets(), formats), None)
    assert not problems, "\n".join(map(str, problems))
    return DefinitionCatalogue.build(definitions, formats)


@pytest.fixture(scope="module")
def sink() -> DefinitionCatalogue:
    return catalogue(OWN_DEFINITIONS)


def fields(view: Any) -> dict[str, FieldView]:
    return {f.pointer: f for f in view.fields() if f.widget != "alternatives"}


def one(tmp_path: Path, properties: dict[str, Any], required: list[str] | None = None, **meta: Any) -> Any:
    folder = write_definition(tmp_path / "defs", minimal("one", properties, required, **meta))
    cat = catalogue(folder)
    return cat.get("one"), cat.validator("one")


def test_ids_names_and_labels_follow_the_pointer(sink: DefinitionCatalogue) -> None:
    answers = json.loads((OWN_FIXTURES / "kitchen-sink.valid.json").read_text(encoding="utf-8"))
    view = build_form(sink.get("kitchen-sink"), sink.validator("kitchen-sink"), answers, [])  # type: ignore[arg-type]
    by = fields(view)
    family = by["/children/1/name/family"]
    assert (family.id, family.name, family.label, family.required) == (
        "f-children-1-name-family", "/children/1/name/family", "姓", True)
    assert by["/children/1"].label == "子ども（2件目）" and by["/children/1"].remove_action == "remove:/children/1"
    assert by["/children"].add_action == "add:/children"
    assert by["/name/family"].autocomplete == "family-name"
    assert by["/address/prefecture"].autocomplete == "address-level1"
    assert by["/kana/family"].autocomplete is None  # furigana has no token
    assert by["/birth_date"].autocomplete == "bday"
    assert by["/children/0/birth_date"].autocomplete is None
    assert by["/phone"].hint == "例：090-1234-5678"
    ids = [f.id for f in view.fields()]
    assert len(ids) == len(set(ids))
    assert field_id(["a b", "日本"]) == "f-a_20_b-_65e5__672c_"


def test_default_widgets(sink: DefinitionCatalogue) -> None:
    view = build_form(sink.get("kitchen-sink"), sink.validator("kitchen-sink"), {}, [])  # type: ignore[arg-type]
    widgets = {p: f.widget for p, f in fields(view).items()}
    assert widgets["/kind"] == "radio"
    assert widgets["/prefecture"] == "select"  # 9 values
    assert widgets["/topics"] == "checkboxes"
    assert widgets["/has_pet"] == "yes-no"
    assert widgets["/count"] == "number" and fields(view)["/count"].inputmode == "numeric"
    assert fields(view)["/ratio"].inputmode == "decimal"
    assert widgets["/birth_date"] == "date" and widgets["/era_date"] == "wareki-date"
    assert widgets["/note"] == "textarea"
    assert widgets["/email"] == "email" and fields(view)["/email"].input_type == "email"
    assert widgets["/phone"] == "tel"
    assert widgets["/address/postal_code"] == "postal-code"
    assert widgets["/office"] == "readonly" and fields(view)["/office"].value == "市民課"
    assert widgets["/attachment"] == "file" and view.multipart
    assert widgets["/agree"] == "consent"
    assert "/pet_name" not in widgets  # appears once has_pet is answered
    alternatives = [f for f in view.fields() if f.widget == "alternatives"]
    assert [o.label for o in alternatives[0].options] == ["電話", "郵便"] and not alternatives[0].children
    assert [s.title for s in view.sections] == ["申請する人", "内容"]


def test_dependent_questions_appear_after_their_trigger(sink: DefinitionCatalogue) -> None:
    view = build_form(sink.get("kitchen-sink"), sink.validator("kitchen-sink"), {"has_pet": True}, [])  # type: ignore[arg-type]
    order = [f.pointer for f in view.sections[1].fields]
    assert order.index("/pet_name") == order.index("/has_pet") + 1
    assert fields(view)["/pet_name"].required is True
    no_pet = build_form(sink.get("kitchen-sink"), sink.validator("kitchen-sink"), {"has_pet": False}, [])  # type: ignore[arg-type]
    assert "/pet_name" not in fields(no_pet)


def test_alternative_chosen_shows_its_fields(sink: DefinitionCatalogue) -> None:
    definition, validator = sink.get("kitchen-sink"), sink.validator("kitchen-sink")
    view = build_form(definition, validator, {}, [], choices={"/contact_by@choice": 0})  # type: ignore[arg-type]
    alternative = next(f for f in view.fields() if f.widget == "alternatives")
    assert [c.pointer for c in alternative.children] == ["/contact_by/phone_time"]
    assert alternative.options[0].selected
    assert parse_choices([("/contact_by@choice", "0"), ("/x", "1")]) == {"/contact_by@choice": 0}


def test_errors_attach_to_fields_and_summary_in_page_order(sink: DefinitionCatalogue) -> None:
    definition, validator = sink.get("kitchen-sink"), sink.validator("kitchen-sink")
    answers = {"kind": "new", "count": "三", "children": [{}]}
    errors = validator.validate(validator.normalise(answers))
    view = build_form(definition, validator, answers, errors)  # type: ignore[arg-type]
    by = fields(view)
    assert by["/count"].value == "三" and by["/count"].errors == ["人数は整数（半角数字）で入力してください"]
    assert by["/count"].describedby == "f-count--error" and by["/count"].invalid
    assert by["/kind"].describedby is None and not by["/kind"].invalid
    targets = [i.target for i in view.summary]
    assert targets[:3] == ["f-name-family", "f-kana-family", "f-address-postal_code"]
    assert "f-children-0-name-family" in targets and "f-agree--0" in targets
    assert [i.message for i in view.summary] == [m for f in view.fields() for m in f.errors]


def test_parse_types_from_the_schema(sink: DefinitionCatalogue) -> None:
    definition = sink.get("kitchen-sink")
    assert definition is not None
    parsed = parse_form(definition, [
        ("_csrf", "x"), ("/count", "１２"), ("/ratio", "1,000.5"), ("/has_pet", "false"), ("/note", ""),
        ("/name/family", "  "), ("/birth_date@year", "２０２５"), ("/birth_date@month", "2"),
        ("/birth_date@day", "30"), ("/era_date@era", "令和"), ("/era_date@year", "元"), ("/era_date@month", "5"),
        ("/era_date@day", "1"), ("/topics", "health"), ("/topics", "school"), ("/kind", "new"),
        ("/children@length", "2"), ("/children/1/name/family", "山田"), ("/agree", "true")])
    assert parsed == {"count": 12, "ratio": 1000.5, "has_pet": False, "birth_date": "2025-02-30",
                      "era_date": "2019-05-01", "topics": ["health", "school"], "kind": "new",
                      "children": [{}, {"name": {"family": "山田"}}], "agree": True, "office": "市民課"}
    kept = parse_form(definition, [("/count", "3人"), ("/birth_date@year", "2025"), ("/era_date@era", "平成"),
                                   ("/era_date@year", "31"), ("/era_date@month", "5"), ("/era_date@day", "1")])
    assert kept["count"] == "3人" and kept["birth_date"] == "2025--" and kept["era_date"] == "平成31-05-01"


def test_wareki_date_outside_its_era_says_which_date_was_meant(sink: DefinitionCatalogue) -> None:
    definition, validator = sink.get("kitchen-sink"), sink.validator("kitchen-sink")
    answers = {"era_date": "平成31-05-01"}
    view = build_form(definition, validator, answers, validator.validate(answers))  # type: ignore[arg-type]
    era = fields(view)["/era_date"]
    assert era.parts == {"era": "平成", "year": "31", "month": "5", "day": "1"}
    assert era.errors == ["転入した日の日付が元号と合っていません（平成は31年4月30日までです）。令和元年5月1日のことであれば、"
                          "元号を「令和」、年を「元」にしてください"]


def test_add_and_remove_keep_everything_else(sink: DefinitionCatalogue) -> None:
    definition = sink.get("kitchen-sink")
    assert definition is not None
    answers = {"kind": "new", "children": [{"name": {"family": "A"}}, {"name": {"family": "B"}},
                                           {"name": {"family": "C"}}]}
    removed, _, changed = apply_action(definition, answers, {}, "remove:/children/1")
    assert changed == "/children" and removed == {"kind": "new", "children": [{"name": {"family": "A"}},
                                                                             {"name": {"family": "C"}}]}
    added, _, changed = apply_action(definition, {"kind": "new"}, {}, "add:/children")
    assert changed == "/children" and added == {"kind": "new", "children": [{}]}
    full, _, changed = apply_action(definition, answers, {}, "add:/children")  # maxItems 3
    assert changed is None and full == answers
    _, choices, _ = apply_action(definition, answers, {"/children/2@choice": 1, "/children/1@choice": 0},
                                 "remove:/children/1")
    assert choices == {"/children/1@choice": 1}


def test_defaults_prefill_an_empty_form(tmp_path: Path) -> None:
    definition, validator = one(tmp_path, {
        "copies": {"title": "通数", "type": "integer", "default": 1},
        "items": {"title": "品目", "type": "array", "minItems": 2, "items": {"type": "string", "default": "なし"}},
        "nullable": {"title": "年齢", "type": ["integer", "null"]}}, ["nullable"])
    assert default_answers(definition) == {"copies": 1, "items": ["なし", "なし"]}
    view = build_form(definition, validator, default_answers(definition), [])
    assert fields(view)["/copies"].value == "1" and fields(view)["/nullable"].required is False
    assert parse_form(definition, [("/nullable", "")]) == {"nullable": None}


def test_non_object_root_renders_one_field(tmp_path: Path) -> None:
    document = minimal("single", {})
    del document["properties"], document["required"]
    document.update({"type": "string", "title": "ひとこと"})
    cat = catalogue(write_definition(tmp_path / "defs", document))
    definition, validator = cat.get("single"), cat.validator("single")
    view = build_form(definition, validator, "こんにちは", [])  # type: ignore[arg-type]
    (root,) = list(view.fields())
    assert (root.name, root.id, root.value, root.label) == ("$", "f", "こんにちは", "ひとこと")
    assert parse_form(definition, form_items(view)) == "こんにちは"  # type: ignore[arg-type]


def test_recursive_schema_renders_only_as_deep_as_the_answers(tmp_path: Path) -> None:
    node = {"type": "object", "properties": {"name": {"type": "string", "title": "名前"},
                                             "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                                             "parent": {"$ref": "#/$defs/node"}}}
    document = minimal("tree", {"tree": {"title": "木", "$ref": "#/$defs/node"}})
    document["$defs"] = {"node": node}
    cat = catalogue(write_definition(tmp_path / "defs", document))
    definition, validator = cat.get("tree"), cat.validator("tree")
    empty = fields(build_form(definition, validator, {}, []))  # type: ignore[arg-type]
    assert set(empty) == {"/tree", "/tree/name", "/tree/children"}
    deep = {"tree": {"children": [{"children": [{"name": "孫"}]}]}}
    shown = fields(build_form(definition, validator, deep, []))  # type: ignore[arg-type]
    assert "/tree/children/0/children/0/name" in shown and "/tree/parent" not in shown
    assert parse_form(definition, form_items(build_form(definition, validator, deep, []))) == deep  # type: ignore[arg-type]


# -- round trip, property-based ------------------------------------------------------------------
ROUND_TRIP = minimal("round-trip", {
    "title": {"title": "件名", "type": "string"},
    "count": {"title": "数", "type": "integer"},
    "share": {"title": "割合", "type": "number"},
    "flag": {"title": "はい・いいえ", "type": "boolean"},
    "day": {"title": "日付", "type": "string", "format": "date"},
    "era_day": {"title": "和暦の日付", "type": "string", "format": "date", "x-widget": "wareki-date"},
    "colour": {"title": "色", "enum": ["赤", "青", 3]},
    "tags": {"title": "分類", "type": "array", "uniqueItems": True,
             "items": {"oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}, {"const": "c", "title": "C"}]}},
    "people": {"title": "人", "type": "array", "items": {"type": "object", "properties": {
        "name": {"title": "名前", "type": "string"}, "age": {"title": "年齢", "type": "integer"}}}},
})
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: bool(s.strip()))
people = st.lists(st.fixed_dictionaries({}, optional={"name": text, "age": st.integers(-10**6, 10**6)}), max_size=3)
answers_strategy = st.fixed_dictionaries({}, optional={
    "title": text, "count": st.integers(-10**9, 10**9),
    "share": st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: abs(f) < 1e15),
    "flag": st.booleans(),
    "day": st.dates(date(1000, 1, 1), date(9999, 12, 31)).map(date.isoformat),
    "era_day": st.dates(date(1868, 1, 25), date(2200, 12, 31)).map(date.isoformat),
    "colour": st.sampled_from(["赤", "青", 3]),
    "tags": st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True).map(sorted),
    "people": people.filter(bool),
})


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> DefinitionCatalogue:
    return catalogue(write_definition(tmp_path_factory.mktemp("rt"), ROUND_TRIP))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=answers_strategy)
def test_parse_form_inverts_the_rendered_fields(round_trip: DefinitionCatalogue, answers: dict[str, Any]) -> None:
    definition, validator = round_trip.get("round-trip"), round_trip.validator("round-trip")
    view = build_form(definition, validator, answers, [])  # type: ignore[arg-type]
    assert parse_form(definition, form_items(view)) == answers  # type: ignore[arg-type]


def test_errors_without_a_field_go_to_the_nearest_shown_one(sink: DefinitionCatalogue) -> None:
    definition, validator = sink.get("kitchen-sink"), sink.validator("kitchen-sink")
    errors = [FieldError("/children/0/unknown", "additionalProperties", "余計な項目です")]
    view = build_form(definition, validator, {"children": [{}]}, errors)  # type: ignore[arg-type]
    assert fields(view)["/children/0"].errors == ["余計な項目です"]
    assert view.summary[0].target == "f-children-0-name-family"
