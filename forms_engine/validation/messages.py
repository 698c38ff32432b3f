"""Message catalogues per JSON Schema keyword: each names the field by its title and says how to fix it."""

from __future__ import annotations

from typing import Any

Lang = str

CATALOGUES: dict[Lang, dict[str, str]] = {
    "ja": {
        "required": "{title}は必須です",
        "type": "{title}は{expected}で入力してください",
        "choice": "{title}は選択肢の中から選んでください",
        "const": "{title}は「{expected}」でなければなりません",
        "consent": "{title}に同意してください",
        "minLength": "{title}は{limit}文字以上で入力してください",
        "maxLength": "{title}は{limit}文字以内で入力してください",
        "pattern": "{title}の形式が正しくありません。説明にある形式で入力し直してください",
        "patternExample": "{title}の形式が正しくありません。例にならって入力してください（例：{example}）",
        "minimum": "{title}は{limit}以上の値を入力してください",
        "maximum": "{title}は{limit}以下の値を入力してください",
        "exclusiveMinimum": "{title}は{limit}より大きい値を入力してください",
        "exclusiveMaximum": "{title}は{limit}より小さい値を入力してください",
        "multipleOf": "{title}は{limit}の倍数で入力してください",
        "minItems": "{title}は{limit}件以上入力してください",
        "maxItems": "{title}は{limit}件以内にしてください",
        "uniqueItems": "{title}に同じものが重複しています。重複を取り除いてください",
        "contains": "{title}には条件に合うものを1件以上入れてください",
        "minContains": "{title}には条件に合うものを{limit}件以上入れてください",
        "maxContains": "{title}の条件に合うものは{limit}件以内にしてください",
        "minProperties": "{title}は{limit}項目以上入力してください",
        "maxProperties": "{title}は{limit}項目以内にしてください",
        "additionalProperties": "「{title}」という項目は受け付けていません。取り除いてください",
        "unevaluatedProperties": "{title}に受け付けていない項目があります。取り除いてください",
        "unevaluatedItems": "{title}に受け付けていない項目があります。余分なものを取り除いてください",
        "propertyNames": "{title}の項目名「{name}」は使えません。取り除いてください",
        "false": "{title}はこの手続では入力できません。取り除いてください",
        "alternatives": "{title}はどれか1つの形式に合わせて入力してください",
        "not": "{title}にその値は使えません。別の値を入力してください",
        "format": "{title}の形式が正しくありません。説明にある形式で入力し直してください",
        "x-postal-exists": "{title} {value} は見つかりません。番号をご確認ください",
        "x-control-characters": "{title}に目に見えない制御文字が含まれています。制御文字を取り除いて入力し直してください",
        "x-charset": "{title}の「{char}」はこの手続では使えません。代わりの字で入力し、正しい字は備考欄に書いてください",
        "other": "{title}の入力内容を確認してください",
    },
    "en": {
        "required": "Enter {title}",
        "type": "{title} must be {expected}",
        "choice": "Select {title} from the options",
        "const": "{title} must be \"{expected}\"",
        "consent": "You must agree to {title}",
        "minLength": "{title} must be at least {limit} characters",
        "maxLength": "{title} must be {limit} characters or fewer",
        "pattern": "{title} is not in the right format: enter it as the hint says",
        "patternExample": "{title} is not in the right format: enter it like the example ({example})",
        "minimum": "{title} must be {limit} or more",
        "maximum": "{title} must be {limit} or less",
        "exclusiveMinimum": "{title} must be more than {limit}",
        "exclusiveMaximum": "{title} must be less than {limit}",
        "multipleOf": "{title} must be a multiple of {limit}",
        "minItems": "Enter at least {limit} entries for {title}",
        "maxItems": "Enter {limit} entries or fewer for {title}",
        "uniqueItems": "{title} contains duplicates: remove them",
        "contains": "Add at least one matching entry to {title}",
        "minContains": "Add at least {limit} matching entries to {title}",
        "maxContains": "{title} may have at most {limit} matching entries: remove the others",
        "minProperties": "{title} needs at least {limit} fields",
        "maxProperties": "{title} accepts at most {limit} fields",
        "additionalProperties": "\"{title}\" is not a field of this form: remove it",
        "unevaluatedProperties": "{title} has fields this form does not accept: remove them",
        "unevaluatedItems": "{title} has entries this form does not accept: remove the extra ones",
        "propertyNames": "{title} cannot have a field named \"{name}\": remove it",
        "false": "{title} cannot be given in this procedure: remove it",
        "alternatives": "{title} must match one of the allowed forms",
        "not": "{title} cannot take that value: enter another one",
        "format": "{title} is not in the right format: enter it as the hint says",
        "x-postal-exists": "{title} {value} was not found: check the number",
        "x-control-characters": "{title} contains invisible control characters: remove them and enter it again",
        "x-charset": ("The character \"{char}\" in {title} cannot be used in this procedure: enter a substitute "
                      "and write the correct character in the remarks (備考) field"),
        "other": "Check {title}",
    },
}

TYPE_NAMES: dict[Lang, dict[str, str]] = {
    "ja": {"string": "文字", "integer": "整数（半角数字）", "number": "数値（半角数字）", "boolean": "はい・いいえ",
           "object": "項目のまとまり", "array": "一覧", "null": "空欄"},
    "en": {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "yes or no",
           "object": "a group of fields", "array": "a list", "null": "empty"},
}
ROOT_TITLE = {"ja": "入力内容", "en": "Your answer"}


def pick_language(accept_language: str | None) -> Lang:
    """`en` when the first language the client prefers is English, Japanese otherwise."""
    if not accept_language:
        return "ja"
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((weight, tag.strip().lower()))
    for _, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("ja"):
            return "ja"
    return "ja"


def render(key: str, lang: Lang, title: str, **params: Any) -> str:
    catalogue = CATALOGUES.get(lang, CATALOGUES["ja"])
    if "expected" in params and key == "type":
        names = TYPE_NAMES.get(lang, TYPE_NAMES["ja"])
        expected = params["expected"]
        kinds = expected if isinstance(expected, list) else [expected]
        params["expected"] = (" / ".join(names.get(str(k), str(k)) for k in kinds if k != "null")) or names["null"]
    return catalogue.get(key, catalogue["other"]).format(title=title, **params)
