"""The CSV's fast path gives what the general path gives: compiled cells against the column-by-column
lookup (masked places, arrays shorter or longer than their columns, values of unexpected shapes), the
answers read with orjson against json.loads, the JST time cached by the hour against zoneinfo, and the
plain-tuple keyset batches against the ORM rows on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import Session, select

from forms_engine.config import Settings
from forms_engine.exports import columns as cols
from forms_engine.exports import repository
from forms_engine.exports.cells import JstClock, Overflow, Unusual, exact_answers, parse_answers
from forms_engine.exports.csv_writer import ArraysGrew, CsvExporter
from forms_engine.exports.schemas import ExportContext
from forms_engine.exports.service import Source
from forms_engine.models import Submission
from forms_engine.submissions.protection import Keyring
from tests.exports.conftest import DEFS, gamma
from tests.exports.test_api import URL, bearer
from tests.staff.conftest import engine_of, file

NESTED = {
    "type": "object",
    "$defs": {"secret": {"type": "object", "x-sensitive": True,
                         "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}},
    "properties": {
        "name": {"type": "string", "title": "氏名"},
        "secret": {"$ref": "#/$defs/secret", "title": "秘密"},
        "kids": {"type": "array", "title": "子", "items": {"type": "object", "properties": {
            "name": {"type": "string", "title": "名"},
            "id": {"type": "string", "title": "番号", "x-sensitive": True},
            "tags": {"type": "array", "title": "札", "items": {"type": "string"}}}}},
        "flag": {"type": "boolean", "title": "可否"},
        "amount": {"type": "integer", "title": "金額"},
    },
}
GAMMA = json.loads((DEFS / "gamma.json").read_text(encoding="utf-8"))

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**25, 10**25), st.floats(allow_nan=False),
                  st.sampled_from(["", "=1+1", "-5", "@x", "\tx", "山田", "a=b", "+81"]))
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.sampled_from(["a", "b", "name", "id"]), inner, max_size=3), max_leaves=6)
_kid = st.one_of(_json, st.fixed_dictionaries({}, optional={
    "name": _json, "id": _json, "tags": st.one_of(_json, st.lists(_leaf, max_size=4))}))
_answers = st.one_of(_json, st.fixed_dictionaries({}, optional={
    "name": _json, "secret": _json, "kids": st.one_of(_json, st.lists(_kid, max_size=4)), "flag": _json,
    "amount": _json, "my_number": _json, "kind": _json, "note": _json,
    "children": st.one_of(_json, st.lists(_kid, max_size=4))}))


def _exporter(document: dict[str, Any], show_sensitive: bool, tmp: Path) -> CsvExporter:
    documents = {"sha": document}
    source = Source("p", None, datetime.now(UTC), documents, show_sensitive, Keyring({"k": b"k" * 32}))
    return CsvExporter(ExportContext(Settings(data_dir=tmp, secret_key="test"), "p", "utf-8-sig", None,
                                     datetime.now(UTC), documents, show_sensitive, source))


def _outcome(call: Any) -> Any:
    try:
        return call()
    except (Overflow, ArraysGrew):
        return "overflow"
    except Unusual:
        return "unusual"


@pytest.mark.parametrize("document", [NESTED, GAMMA], ids=["nested", "gamma"])
@pytest.mark.parametrize("show_sensitive", [False, True], ids=["masked", "shown"])
@settings(max_examples=300, deadline=None)
@given(answers=_answers)
def test_compiled_cells_equal_the_general_path(document: dict[str, Any], show_sensitive: bool, answers: Any,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    exporter = _exporter(document, show_sensitive, tmp_path_factory.getbasetemp())
    exporter.counts.update({("kids",): 2, ("kids", "[]", "tags"): 2, ("children",): 2})
    layout = cols.layout(exporter.tree, exporter.counts)
    plan = exporter._plan(layout, "sha")

    def fast() -> list[str]:
        out: list[str] = []
        plan.emit(answers, out)
        return out

    compiled = _outcome(fast)
    general = _outcome(lambda: exporter._cells("0000-0000-0000", "sha", answers, plan))
    if compiled == "unusual":  # the writer takes such a row through the general path (read exactly)
        return
    assert compiled == general
    if compiled != "overflow":
        assert len(compiled) == len(layout.columns)


def test_compiled_cells_mask_and_number_as_the_columns_say(tmp_path: Path) -> None:
    exporter = _exporter(NESTED, False, tmp_path)
    exporter.counts.update({("kids",): 2, ("kids", "[]", "tags"): 1})
    layout = cols.layout(exporter.tree, exporter.counts)
    assert [c.header for c in layout.columns] == ["氏名", "秘密・a", "秘密・b", "子1・名", "子1・番号", "子1・札1", "子2・名",
                                                "子2・番号", "子2・札1", "可否", "金額"]
    plan = exporter._plan(layout, "sha")
    out: list[str] = []
    plan.emit({"name": "=A1", "secret": {"a": "x"}, "kids": [{"name": "花", "id": "9", "tags": ["-t"]}],
               "flag": False, "amount": -3}, out)
    assert out == ["'=A1", "●●●●", "●●●●", "花", "●●●●", "'-t", "", "", "", "false", "'-3"]
    with pytest.raises(Overflow):
        plan.emit({"kids": [{}, {}, {}]}, [])
    with pytest.raises(Unusual):  # an object where a leaf was expected: masked by the general path
        plan.emit({"name": {"id": "secret?"}}, [])


@pytest.mark.parametrize("text", [
    '{"a":9223372036854775807,"b":-9223372036854775808}', '{"a":NaN,"b":Infinity,"c":-Infinity}', '{"a":1e400}',
    '{"a":0.1,"b":-0.0,"c":1E5,"d":"１２３４５６７８９０１２３４５６７８９０１２３","e":1.7976931348623157e308}',
    '{"a":"\\ud83d\\ude00 \\u0041","b":[true,false,null],"b":"last"}', '[]', '"s"'])
def test_answers_read_with_orjson_equal_json_loads(text: str) -> None:
    assert repr(parse_answers(text)) == repr(json.loads(text))


@pytest.mark.parametrize("number", [2**64, -(2**64), 10**30])
def test_an_integer_orjson_cannot_hold_is_refused_by_the_cells(number: int, tmp_path: Path) -> None:
    text = json.dumps({"amount": number})
    fast = parse_answers(text)
    assert isinstance(fast["amount"], float)
    exporter = _exporter(NESTED, False, tmp_path)
    plan = exporter._plan(cols.layout(exporter.tree, exporter.counts), "sha")
    with pytest.raises(Unusual):
        plan.emit(fast, [])
    assert exporter._cells("n", "sha", exact_answers(text), plan)[-1] == ("'" if number < 0 else "") + str(number)


def test_csv_writes_a_large_integer_exactly(client: TestClient) -> None:
    """orjson reads it as a float: that row is read again by json.loads (SQLite TEXT, PostgreSQL JSONB)."""
    number = file(client, "gamma", gamma("山田"))
    with Session(engine_of(client)) as session:
        found = session.exec(select(Submission).where(Submission.receipt_number == number)).one()
        found.answers = {**found.answers, "note": 123456789012345678901234567890}
        session.add(found)
        session.commit()
    answer = client.get(URL, headers=bearer(client, "eve", ("dept-a", "exporter")))
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert rows[1][0] == number and rows[1][4:8] == ["山田", "●●●●", "new", "123456789012345678901234567890"]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Asia/Kolkata", "America/St_Johns", "Europe/London"])
@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1880, 1, 1), max_value=datetime(2100, 1, 1)))
def test_jst_clock_equals_zoneinfo(zone: str, moment: datetime) -> None:
    clock = JstClock(ZoneInfo(zone))
    for instant in (moment, moment + timedelta(minutes=17, seconds=3), moment - timedelta(hours=1)):
        expected = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
        assert clock(instant.strftime("%Y-%m-%d %H:%M:%S.%f")) == expected


def test_jst_clock_around_tokyo_summer_time() -> None:
    clock = JstClock()
    start = datetime(1948, 4, 1, tzinfo=UTC)
    for minutes in range(0, 60 * 24 * 400, 37):
        instant = start + timedelta(minutes=minutes)
        assert clock(instant.strftime("%Y-%m-%d %H:%M:%S.%f")) == \
            instant.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S")


def test_flat_batches_are_the_orm_rows_as_text(client: TestClient) -> None:
    numbers = [file(client, "gamma", gamma(f"氏名{i}", [{"name": "子"}] * i)) for i in range(5)]
    same = datetime(2025, 4, 1, 3, 4, 5, 678901, tzinfo=UTC)
    with Session(engine_of(client)) as session:  # ties on received_at are broken by id
        table = Submission.__table__  # type: ignore[attr-defined]
        session.execute(update(table).where(table.c.receipt_number.in_(numbers[1:4])).values(received_at=same))
        session.commit()
        until = datetime.now(UTC)
        orm = [r for b in repository.batches(session, "gamma", None, until, 2) for r in b]
        flat = list(repository.flat_batches(session, "gamma", None, until, 2))
    assert [len(b) for b in flat] == [2, 2, 1]
    rows = [r for b in flat for r in b]
    assert [r[0] for r in rows] == [r.id for r in orm]
    assert [r[1:3] for r in rows][1] == (orm[1].receipt_number, "2025-04-01 03:04:05.678901")
    for row, expected in zip(rows, orm, strict=True):
        _, number, received, status, version, sha, text = row
        assert datetime.fromisoformat(received).replace(tzinfo=UTC) == expected.received_at
        assert (number, status, version, sha) == (expected.receipt_number, expected.status,
                                                  expected.procedure_version, expected.definition_sha256)
        assert parse_answers(text) == expected.answers
