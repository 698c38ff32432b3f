"""Definitions are checked twice: the draft's meta-schema, then semantic checks collecting every problem."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from referencing.exceptions import Unresolvable

from forms_engine.definitions import pointers, staff_search
from forms_engine.definitions.canonical import definition_sha256
from forms_engine.definitions.dialects import dialect_of, ref_registry, validator_class
from forms_engine.definitions.loader import SourceFile, discover, read_source
from forms_engine.definitions.schemas import SEMVER_PATTERN, SLUG_PATTERN, Definition, Problem, ProcedureMeta

KNOWN_X_KEYWORDS = frozenset({
    "x-widget", "x-error-messages", "x-autocomplete", "x-sensitive", "x-accept", "x-max-bytes",
    "x-order", "x-charset", "x-title-en", "x-description-en", staff_search.KEYWORD,
})
KNOWN_CHARSETS = frozenset({"jisx0213"})
AUTOFILL_FIELD_NAMES = frozenset({  # the autofill field names of the HTML standard (one token, no section-*)
    "name", "honorific-prefix", "given-name", "additional-name", "family-name", "honorific-suffix", "nickname",
    "username", "new-password", "current-password", "one-time-code", "organization-title", "organization",
    "street-address", "address-line1", "address-line2", "address-line3", "address-level4", "address-level3",
    "address-level2", "address-level1", "country", "country-name", "postal-code", "cc-name", "cc-given-name",
    "cc-additional-name", "cc-family-name", "cc-number", "cc-exp", "cc-exp-month", "cc-exp-year", "cc-csc",
    "cc-type", "transaction-currency", "transaction-amount", "language", "bday", "bday-day", "bday-month",
    "bday-year", "sex", "url", "photo", "tel", "tel-country-code", "tel-national", "tel-area-code", "tel-local",
    "tel-extension", "email", "impp",
})
# widgets whose controls take no token of their own: the parts of a compound get theirs from it, choices none
_NO_TOKEN_WIDGETS = frozenset({"name", "furigana", "address", "checkboxes", "radio", "select", "yes-no", "consent",
                               "file"})
_DATE_WIDGETS = frozenset({"date", "wareki-date"})
_IN_PLACE = ("allOf", "anyOf", "oneOf", "if", "then", "else", "not", "dependentSchemas", "dependencies")

_PYDANTIC_JA = {
    "extra_forbidden": "x-procedure に無いキーです（綴りを確認してください）",
    "missing": "必須のキーがありません",
    "literal_error": "使えない値です",
    "string_type": "文字列で書いてください",
    "int_type": "整数で書いてください",
    "list_type": "配列で書いてください",
    "model_type": "オブジェクトで書いてください",
    "string_too_short": "空にはできません",
    "too_short": "1つ以上必要です",
    "greater_than_equal": "小さすぎます",
}


@dataclass(frozen=True)
class LintContext:
    """What the linter checks names against: the engine's widgets and formats."""

    widgets: frozenset[str]
    formats: frozenset[str]


def lint_paths(paths: list[Path], ctx: LintContext) -> tuple[list[Definition], list[Problem]]:
    """Load and check every definition under `paths`; return the valid ones and every problem found."""
    definitions: list[Definition] = []
    problems: list[Problem] = []
    for path in discover(paths):
        source, read_problems = read_source(path)
        problems.extend(read_problems)
        if source is None:
            continue
        definition, file_problems = lint_source(source, ctx)
        problems.extend(file_problems)
        if definition is not None and not file_problems:
            definitions.append(definition)
    problems.extend(_duplicate_ids(definitions))
    dup_files = {p.file for p in problems}
    return [d for d in definitions if str(d.path) not in dup_files], problems


def lint_source(source: SourceFile, ctx: LintContext) -> tuple[Definition | None, list[Problem]]:
    file = str(source.path)
    doc = source.document
    out: list[Problem] = []
    if not isinstance(doc, dict):
        return None, [Problem(file, "", "定義は JSON オブジェクトでなければなりません")]
    dialect = dialect_of(doc)
    if dialect is None:
        return None, [Problem(file, "/$schema", "対応していない $schema です（2020-12 または draft-07）")]
    meta_validator = validator_class(dialect)(validator_class(dialect).META_SCHEMA)
    for err in meta_validator.iter_errors(doc):
        out.append(Problem(file, pointers.to_pointer(err.absolute_path), f"JSON Schema として不正です: {err.message}"))
    meta = _procedure_meta(file, doc, out)
    base_uri = str(doc["$id"]) if isinstance(doc.get("$id"), str) else source.path.resolve().as_uri()
    out.extend(_schema_problems(file, doc, dialect, base_uri, source.neighbours, ctx))
    out.extend(staff_search.lint(file, doc))
    if meta is not None:
        out.extend(_step_problems(file, doc, meta))
    if out or meta is None:
        return None, out
    return Definition(path=source.path, document=doc, sha256=definition_sha256(doc), meta=meta,
                      dialect=dialect, base_uri=base_uri, extra_resources=source.neighbours), []


def _procedure_meta(file: str, doc: dict[str, Any], out: list[Problem]) -> ProcedureMeta | None:
    raw = doc.get("x-procedure")
    if raw is None:
        out.append(Problem(file, "/x-procedure", "x-procedure がありません（id, version, department などを書きます）"))
        return None
    if not isinstance(raw, dict):
        out.append(Problem(file, "/x-procedure", "x-procedure はオブジェクトで書いてください"))
        return None
    found = len(out)
    if isinstance(raw.get("id"), str) and not re.match(SLUG_PATTERN, raw["id"]):
        out.append(Problem(file, "/x-procedure/id", f"id {raw['id']!r} は英小文字・数字・ハイフンの2〜64文字にしてください"))
    if isinstance(raw.get("version"), str) and not re.match(SEMVER_PATTERN, raw["version"]):
        out.append(Problem(file, "/x-procedure/version",
                           f"version {raw['version']!r} はセマンティック バージョン（例: 1.0.0）にしてください"))
    try:
        meta = ProcedureMeta.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors():
            ptr = pointers.join("/x-procedure", *[p for p in e["loc"] if isinstance(p, str | int)])
            out.append(Problem(file, ptr, f"{_PYDANTIC_JA.get(e['type'], e['msg'])}（{e['msg']}）"))
        return None
    return meta if len(out) == found else None


def _schema_problems(
    file: str, doc: dict[str, Any], dialect: str, base_uri: str, neighbours: dict[str, Any], ctx: LintContext
) -> Iterator[Problem]:
    resolver = ref_registry(dialect, base_uri, doc, neighbours).resolver(base_uri=base_uri)
    for ptr, schema in pointers.subschemas(doc):
        if ptr and "x-procedure" in schema:
            yield Problem(file, pointers.join(ptr, "x-procedure"), "x-procedure はルートにだけ書けます")
        for key, value in schema.items():
            if key.startswith("x-") and key not in KNOWN_X_KEYWORDS and not (key == "x-procedure" and not ptr):
                yield Problem(file, pointers.join(ptr, key), f"不明なキーワード {key} です")
            elif key == "x-autocomplete":
                yield from _autocomplete(file, pointers.join(ptr, key), value, schema)
            elif key in KNOWN_X_KEYWORDS:
                yield from _x_keyword(file, pointers.join(ptr, key), key, value, ctx)
        for key in ("$ref", "$dynamicRef"):
            ref = schema.get(key)
            if isinstance(ref, str):
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    yield Problem(file, pointers.join(ptr, key), f"参照先 {ref!r} が見つかりません")
        if isinstance(schema.get("pattern"), str):
            yield from _regex(file, pointers.join(ptr, "pattern"), schema["pattern"])
        for name in schema.get("patternProperties", {}) if isinstance(schema.get("patternProperties"), dict) else {}:
            yield from _regex(file, pointers.join(ptr, "patternProperties", name), name)
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt not in ctx.formats:
            yield Problem(file, pointers.join(ptr, "format"), f"format {fmt!r} はこのエンジンが知らない形式です")
        if isinstance(schema.get("required"), list):
            known = _declared_names(schema, resolver, set())
            has_open = isinstance(schema.get("patternProperties"), dict) and schema["patternProperties"]
            for i, name in enumerate(schema["required"]):
                if isinstance(name, str) and name not in known and not has_open and not _declared_above(doc, ptr, name):
                    yield Problem(file, pointers.join(ptr, "required", i), f"required の {name!r} が properties にありません")


def _x_keyword(file: str, ptr: str, key: str, value: Any, ctx: LintContext) -> Iterator[Problem]:
    if key == "x-widget" and value not in ctx.widgets:
        yield Problem(file, ptr, f"x-widget {value!r} はありません（使えるもの: {', '.join(sorted(ctx.widgets))}）")
    elif key == "x-error-messages" and not (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    ):
        yield Problem(file, ptr, "x-error-messages は {キーワード: メッセージ} のオブジェクトで書いてください")
    elif key == "x-sensitive" and not isinstance(value, bool):
        yield Problem(file, ptr, "x-sensitive は true か false です")
    elif key in ("x-max-bytes", "x-order") and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        yield Problem(file, ptr, f"{key} は0以上の整数です")
    elif key == "x-accept" and not (isinstance(value, list) and all(isinstance(v, str) and "/" in v for v in value)):
        yield Problem(file, ptr, "x-accept はメディアタイプの配列です（例: [\"application/pdf\"]）")
    elif key == "x-charset" and value not in KNOWN_CHARSETS:
        yield Problem(file, ptr, f"x-charset {value!r} はありません（jisx0213 のみ）")
    elif key in ("x-title-en", "x-description-en") and not isinstance(value, str):
        yield Problem(file, ptr, f"{key} は文字列です")


def _autocomplete(file: str, ptr: str, value: Any, schema: dict[str, Any]) -> Iterator[Problem]:
    """`off`: the answer is about someone other than the resident (no autofill token on any part of it);
    `bday` on a date: the resident's own birth date; on a one-line field, the HTML autofill field name."""
    widget = schema.get("x-widget")
    declared = schema.get("type")
    kinds = {k for k in (declared if isinstance(declared, list) else [declared]) if isinstance(k, str)}
    if not isinstance(value, str):
        yield Problem(file, ptr, "x-autocomplete は文字列です（\"off\"、\"bday\" または HTML の autocomplete の値）")
    elif value == "off":
        return
    elif widget in _NO_TOKEN_WIDGETS or {"object", "array", "boolean"} & kinds:
        yield Problem(file, ptr, f"x-autocomplete {value!r} は書けません。氏名・住所などのまとまりや選択肢には、"
                                 "申請する本人以外の人についての項目であることを示す \"off\" だけを書けます")
    elif widget in _DATE_WIDGETS or (widget is None and schema.get("format") == "date"):
        if value != "bday":
            yield Problem(file, ptr, f"日付の x-autocomplete {value!r} は使えません。申請する本人の生年月日は "
                                     "\"bday\"、本人以外の人の日付は \"off\" にしてください")
    elif value not in AUTOFILL_FIELD_NAMES:
        yield Problem(file, ptr, f"x-autocomplete {value!r} は HTML の autocomplete の値ではありません"
                                 "（例: organization、tel、email。本人以外の人についての項目は \"off\"）")


def _regex(file: str, ptr: str, pattern: str) -> Iterator[Problem]:
    try:
        re.compile(pattern)
    except re.error as exc:
        yield Problem(file, ptr, f"正規表現として不正です: {exc}")


def _declared_names(schema: Any, resolver: Any, seen: set[int]) -> set[str]:
    """Property names an object schema declares, itself or through in-place applicators and $ref."""
    if not isinstance(schema, dict) or id(schema) in seen:
        return set()
    seen.add(id(schema))
    names = set(schema.get("properties", {})) if isinstance(schema.get("properties"), dict) else set()
    if isinstance(schema.get("$ref"), str):
        with contextlib.suppress(Unresolvable):
            names |= _declared_names(resolver.lookup(schema["$ref"]).contents, resolver, seen)
    for key in _IN_PLACE:
        sub = schema.get(key)
        subs = sub if isinstance(sub, list) else list(sub.values()) if isinstance(sub, dict) and key in (
            "dependentSchemas", "dependencies") else [sub]
        for s in subs:
            names |= _declared_names(s, resolver, seen)
    return names


def _declared_above(doc: dict[str, Any], ptr: str, name: str) -> bool:
    """A `required` inside if/then/allOf… may name a property of the object schema that holds it."""
    tokens = ptr.split("/")[1:]
    node: Any = doc
    chain: list[Any] = [doc]
    for t in tokens:
        t = t.replace("~1", "/").replace("~0", "~")
        node = node[int(t)] if isinstance(node, list) else node[t]
        chain.append(node)
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i] in ("properties", "items", "additionalProperties", "prefixItems", "$defs", "definitions"):
            break
        parent = chain[i]
        if isinstance(parent, dict) and isinstance(parent.get("properties"), dict) and name in parent["properties"]:
            return True
    return False


def _step_problems(file: str, doc: dict[str, Any], meta: ProcedureMeta) -> Iterator[Problem]:
    if meta.steps is None:
        return
    props = list(doc.get("properties", {})) if isinstance(doc.get("properties"), dict) else []
    seen: dict[str, int] = {}
    step_ids: set[str] = set()
    for i, step in enumerate(meta.steps):
        if step.id in step_ids:
            yield Problem(file, f"/x-procedure/steps/{i}/id", f"ステップ id {step.id!r} が重複しています")
        step_ids.add(step.id)
        for j, name in enumerate(step.properties):
            ptr = f"/x-procedure/steps/{i}/properties/{j}"
            if name not in props:
                yield Problem(file, ptr, f"ステップが知らない項目 {name!r} を挙げています")
            elif name in seen:
                yield Problem(file, ptr, f"項目 {name!r} はステップ {seen[name] + 1} にもあります（1つのステップにだけ置きます）")
            else:
                seen[name] = i
    for name in props:
        if name not in seen:
            yield Problem(file, pointers.join("/properties", name), f"項目 {name!r} がどのステップにもありません")


def _duplicate_ids(definitions: list[Definition]) -> Iterator[Problem]:
    first: dict[str, Definition] = {}
    for d in definitions:
        if d.id in first:
            yield Problem(str(d.path), "/x-procedure/id", f"id {d.id!r} は {first[d.id].path} でも使われています")
        else:
            first[d.id] = d
