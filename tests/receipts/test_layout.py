"""build_rows: order, $ref, groups, arrays, choices, dates, empty answers and masking."""

from __future__ import annotations

from typing import Any

from forms_engine.receipts.layout import MASKED, OTHER_HEADING, UNANSWERED, Row, build_rows

from .sample_data import ANSWERS, DEFINITION, MY_NUMBER, YOSHI


def _values(rows: list[Row]) -> dict[str, str | None]:
    return {row.label: row.value_text for row in rows}


def test_sample_rows_in_order() -> None:
    rows = build_rows(DEFINITION, ANSWERS)
    assert rows[:9] == [
        Row(0, "請求者の情報", None),
        Row(1, "請求者氏名", f"{YOSHI}田 太郎"),
        Row(1, "フリガナ", "ヨシダ タロウ"),
        Row(1, "生年月日", "昭和60年（1985年）4月1日"),
        Row(1, "個人番号", MY_NUMBER),
        Row(1, "住所", "〒753-0000 山口県山口市亀山町2-1 髙﨑コーポ201"),
        Row(1, "電話番号", "083-922-0000"),
        Row(1, "メールアドレス", UNANSWERED),
        Row(0, "配偶者の情報", None),
    ]
    labels = [row.label for row in rows]
    assert labels.index("児童 1") < labels.index("児童 2") < labels.index("振込先口座")
    child = rows[labels.index("児童 1") : labels.index("児童 2")]
    assert child == [
        Row(1, "児童 1", None),
        Row(2, "氏名", f"{YOSHI}田 一郎"),
        Row(2, "生年月日", "令和元年（2019年）5月1日"),
        Row(2, "続柄", "子"),
        Row(2, "同居している", "はい"),
    ]
    # The account step holds one group named like the step: no second heading for it.
    account = labels.index("振込先口座")
    assert rows[account] == Row(0, "振込先口座", None)
    assert rows[account + 1] == Row(1, "金融機関名", "山口中央銀行")
    values = _values(rows)
    assert values["預金種目"] == "普通"
    assert values["提出する書類"] == "健康保険証の写し、通帳の写し"
    assert values["記載内容に誤りがないことを確認しました"] == "はい"
    assert values["配偶者の所得"] == "所得制限限度額未満"
    assert values["本人確認書類"] == "添付ファイル（ID att-1）"


def test_masking_and_file_names() -> None:
    rows = build_rows(DEFINITION, ANSWERS, mask_sensitive=True, attachment_names={"att-1": "免許証.jpg"})
    values = _values(rows)
    assert values["個人番号"] == MASKED
    assert values["本人確認書類"] == "免許証.jpg（添付書類を参照）"
    assert all(MY_NUMBER not in (row.value_text or "") for row in rows)


def _definition(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


def test_x_order_and_no_steps() -> None:
    definition = _definition({
        "a": {"title": "A", "type": "string"},
        "b": {"title": "B", "type": "string", "x-order": 0},
        "c": {"title": "C", "type": "string"},
    })
    rows = build_rows(definition, {"a": "1", "b": "2", "c": "3"})
    assert rows == [Row(1, "B", "2"), Row(1, "A", "1"), Row(1, "C", "3")]


def test_refs_nested_objects_and_unknown_answers() -> None:
    definition = _definition(
        {
            "person": {"$ref": "#/definitions/person", "title": "本人"},
            "loop": {"$ref": "#/$defs/loop"},
        },
        definitions={"person": {"type": "object", "properties": {
            "age": {"type": "integer", "title": "年齢"},
            "pets": {"type": "array", "title": "ペット", "items": {"type": "string"}},
            "score": {"type": "number", "title": "点数"},
        }}},
        **{"$defs": {"loop": {"$ref": "#/$defs/loop", "title": "循環"}}},
    )
    rows = build_rows(definition, {"person": {"age": 30, "pets": ["犬", "猫"], "score": 2.5, "note": "追記"}, "x": True})
    assert rows == [
        Row(1, "本人", None),
        Row(2, "年齢", "30"),
        Row(2, "ペット", "犬、猫"),
        Row(2, "点数", "2.5"),
        Row(2, "note", "追記"),
        Row(1, "循環", UNANSWERED),
        Row(1, "x", "はい"),
    ]


def test_conditional_properties_show_only_when_answered() -> None:
    definition = _definition(
        {"married": {"type": "boolean", "title": "婚姻"}},
        **{"if": {"properties": {"married": {"const": True}}},
           "then": {"properties": {"spouse": {"type": "string", "title": "配偶者"}}},
           "dependentSchemas": {"married": {"properties": {"since": {"type": "string", "format": "date", "title": "婚姻日"}}}}},
    )
    assert build_rows(definition, {"married": False}) == [Row(1, "婚姻", "いいえ")]
    rows = build_rows(definition, {"married": True, "spouse": "山田 花子", "since": "2020-02-29"})
    assert rows == [Row(1, "婚姻", "はい"), Row(1, "配偶者", "山田 花子"), Row(1, "婚姻日", "令和2年（2020年）2月29日")]


def test_steps_leave_nothing_out() -> None:
    definition = _definition(
        {"a": {"title": "A", "type": "string"}, "b": {"title": "B", "type": "string"}},
        **{"x-procedure": {"steps": [{"id": "s", "title": "手順", "properties": ["a"]}]}},
    )
    rows = build_rows(definition, {"a": "1", "b": "2", "extra": "3"})
    assert rows == [Row(0, "手順", None), Row(1, "A", "1"), Row(0, OTHER_HEADING, None), Row(1, "B", "2"), Row(1, "extra", "3")]


def test_values_and_edge_cases() -> None:
    definition = _definition({
        "old": {"type": "string", "format": "date", "title": "古い日付"},
        "bad": {"type": "string", "format": "date", "title": "不正な日付"},
        "moment": {"type": "string", "format": "date-time", "title": "日時"},
        "color": {"enum": ["赤", "青"], "title": "色"},
        "flag": {"anyOf": [{"const": 1, "title": "一"}, {"const": True, "title": "真"}], "title": "旗"},
        "secret": {"type": "object", "x-sensitive": True, "title": "秘密", "properties": {"code": {"type": "string"}}},
        "kids": {"type": "array", "title": "子", "items": {"type": "object", "properties": {"n": {"type": "string", "title": "名"}}}},
        "empty_list": {"type": "array", "title": "空", "items": {"type": "string"}},
    })
    answers = {
        "old": "1860-01-01", "bad": "2025-02-30", "moment": "2025-04-01T05:05:00Z", "color": "青",
        "flag": True, "secret": {"code": "x"}, "kids": [{"n": "一"}, {"n": "二"}], "empty_list": [],
    }
    values = _values(build_rows(definition, answers, mask_sensitive=True))
    assert values["古い日付"] == "1860年1月1日"
    assert values["不正な日付"] == "2025-02-30"
    assert values["日時"] == "令和7年4月1日 14時05分（JST）"
    assert values["色"] == "青"
    assert values["旗"] == "真"
    assert values["秘密"] == MASKED
    assert values["子 1"] is None and values["子 2"] is None
    assert values["空"] == UNANSWERED
    assert _values(build_rows(definition, answers))["code"] == "x"
