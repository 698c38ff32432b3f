"""A realistic submission for the receipt tests and the benchmark: 児童手当 認定請求書."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from forms_engine.receipts import AttachmentInfo, ReceiptData

YOSHI = "\U00020BB7"  # 𠮷 (つちよし), outside JIS X 0213 and outside IPAex Gothic
RECEIPT_NUMBER = "1234-5678-9013"
RECEIVED_AT = datetime(2025, 4, 1, 5, 5, tzinfo=UTC)  # 令和7年4月1日 14時05分 JST
MY_NUMBER = "123456789018"

NAME: dict[str, Any] = {
    "type": "object",
    "x-widget": "name",
    "properties": {
        "family": {"type": "string", "title": "姓", "maxLength": 30},
        "given": {"type": "string", "title": "名", "maxLength": 30},
    },
    "required": ["family"],
}

DEFINITION: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "児童手当 認定請求書",
    "type": "object",
    "x-procedure": {
        "id": "child-allowance",
        "version": "2.1.0",
        "department": "kodomo",
        "department_name": "こども家庭課",
        "summary": "児童手当を受けるための認定請求",
        "signature": "optional",
        "contact": "こども家庭課 手当係 083-000-0000（平日 8時30分〜17時15分）",
        "steps": [
            {"id": "applicant", "title": "請求者の情報",
             "properties": ["applicant_name", "applicant_kana", "birth_date", "my_number", "address", "phone", "email"]},
            {"id": "spouse", "title": "配偶者の情報", "properties": ["has_spouse", "spouse_name", "spouse_income"]},
            {"id": "children", "title": "児童の情報", "properties": ["children"]},
            {"id": "account", "title": "振込先口座", "properties": ["account"]},
            {"id": "confirm", "title": "確認事項", "properties": ["documents", "proof_file", "remarks", "agree"]},
        ],
    },
    "$defs": {"name": NAME},
    "definitions": {
        "bank_account": {
            "type": "object",
            "properties": {
                "bank_name": {"type": "string", "title": "金融機関名"},
                "branch_name": {"type": "string", "title": "支店名"},
                "account_type": {"title": "預金種目", "oneOf": [
                    {"const": "ordinary", "title": "普通"}, {"const": "current", "title": "当座"}]},
                "account_number": {"type": "string", "title": "口座番号", "pattern": "^[0-9]{7}$"},
                "holder_kana": {"type": "string", "format": "katakana", "title": "口座名義（カナ）"},
            },
        },
    },
    "properties": {
        "applicant_name": {"$ref": "#/$defs/name", "title": "請求者氏名"},
        "applicant_kana": {"title": "フリガナ", "x-widget": "furigana", "type": "object", "properties": {
            "family": {"type": "string", "format": "katakana", "title": "セイ"},
            "given": {"type": "string", "format": "katakana", "title": "メイ"}}},
        "birth_date": {"title": "生年月日", "type": "string", "format": "date", "x-widget": "wareki-date"},
        "my_number": {"title": "個人番号", "type": "string", "format": "jp-my-number",
                      "x-widget": "my-number", "x-sensitive": True},
        "address": {"title": "住所", "x-widget": "address", "type": "object", "properties": {
            "postal_code": {"type": "string", "format": "jp-postal-code", "title": "郵便番号"},
            "prefecture": {"type": "string", "title": "都道府県"},
            "city": {"type": "string", "title": "市区町村"},
            "street": {"type": "string", "title": "町域・番地"},
            "building": {"type": "string", "title": "建物名・部屋番号"}}},
        "phone": {"title": "電話番号", "type": "string", "format": "jp-phone", "x-order": 5},
        "email": {"title": "メールアドレス", "type": "string", "format": "email", "x-order": 6},
        "has_spouse": {"title": "配偶者の有無", "type": "boolean"},
        "spouse_name": {"$ref": "#/$defs/name", "title": "配偶者氏名"},
        "spouse_income": {"title": "配偶者の所得", "oneOf": [
            {"const": "under", "title": "所得制限限度額未満"}, {"const": "over", "title": "所得制限限度額以上"}]},
        "children": {"title": "児童", "type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {
                "name": {"$ref": "#/$defs/name", "title": "氏名"},
                "birth_date": {"title": "生年月日", "type": "string", "format": "date"},
                "relationship": {"title": "続柄", "oneOf": [
                    {"const": "child", "title": "子"}, {"const": "grandchild", "title": "孫"},
                    {"const": "other", "title": "その他"}]},
                "living_together": {"title": "同居している", "type": "boolean"},
            },
        }},
        "account": {"$ref": "#/definitions/bank_account", "title": "振込先口座"},
        "documents": {"title": "提出する書類", "type": "array", "uniqueItems": True, "items": {"anyOf": [
            {"const": "insurance", "title": "健康保険証の写し"}, {"const": "bankbook", "title": "通帳の写し"},
            {"const": "residence", "title": "住民票の写し"}]}},
        "proof_file": {"title": "本人確認書類", "type": "string", "x-widget": "file"},
        "remarks": {"title": "備考", "type": "string", "x-widget": "textarea", "maxLength": 4000},
        "agree": {"title": "記載内容に誤りがないことを確認しました", "type": "boolean", "x-widget": "consent"},
    },
    "required": ["applicant_name", "birth_date", "address", "children", "agree"],
}

ANSWERS: dict[str, Any] = {
    "applicant_name": {"family": f"{YOSHI}田", "given": "太郎"},
    "applicant_kana": {"family": "ヨシダ", "given": "タロウ"},
    "birth_date": "1985-04-01",
    "my_number": MY_NUMBER,
    "address": {"postal_code": "753-0000", "prefecture": "山口県", "city": "山口市",
                "street": "亀山町2-1", "building": "髙﨑コーポ201"},
    "phone": "083-922-0000",
    "email": "",
    "has_spouse": True,
    "spouse_name": {"family": f"{YOSHI}田", "given": "花子"},
    "spouse_income": "under",
    "children": [
        {"name": {"family": f"{YOSHI}田", "given": "一郎"}, "birth_date": "2019-05-01",
         "relationship": "child", "living_together": True},
        {"name": {"family": "髙﨑", "given": "陽菜"}, "birth_date": "2016-01-07",
         "relationship": "grandchild", "living_together": False},
    ],
    "account": {"bank_name": "山口中央銀行", "branch_name": "県庁前支店", "account_type": "ordinary",
                "account_number": "1234567", "holder_kana": "ヨシダ タロウ"},
    "documents": ["insurance", "bankbook"],
    "proof_file": "att-1",
    "remarks": "孫の陽菜は令和6年10月から同居していません。\n住所変更の届出は別途済ませています。",
    "agree": True,
}

ATTACHMENTS: list[AttachmentInfo] = [
    {"id": "att-1", "name": "運転免許証_表裏.jpg", "media_type": "image/jpeg", "size": 1_234_567,
     "sha256": hashlib.sha256(b"license").hexdigest()},
    {"id": "att-2", "name": "健康保険証.pdf", "media_type": "application/pdf", "size": 245_760,
     "sha256": hashlib.sha256(b"insurance").hexdigest()},
]

SIGNATURE: dict[str, Any] = {
    "status": "valid",
    "failure": None,
    "certificate": {
        "fingerprint_sha256": hashlib.sha256(b"certificate").hexdigest(),
        "subject": "CN=example",
        "issuer": "OU=公的個人認証サービス署名用,O=JPKI,C=JP",
        "serial": "1a2b3c4d5e6f",
    },
    "revocation": {"status": "good", "source": "crl", "checked_at": "2025-04-01T05:04:58+00:00"},
    "payload_sha256": hashlib.sha256(b"payload").hexdigest(),
    "received_at": "2025-04-01T05:04:59+00:00",
}

SUBMISSION_SHA256 = hashlib.sha256(b"the stored submission").hexdigest()


def typical_receipt(**changes: Any) -> ReceiptData:
    values: dict[str, Any] = {
        "organisation": "山口市",
        "department_name": "こども家庭課",
        "procedure_title": DEFINITION["title"],
        "procedure_version": DEFINITION["x-procedure"]["version"],
        "definition_document": DEFINITION,
        "receipt_number": RECEIPT_NUMBER,
        "submission_sha256": SUBMISSION_SHA256,
        "received_at": RECEIVED_AT,
        "answers": ANSWERS,
        "attachments": ATTACHMENTS,
        "signature": SIGNATURE,
        "fee": None,
        "contact": "",
    }
    values.update(changes)
    return ReceiptData(**values)
