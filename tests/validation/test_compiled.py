"""The fast path gives exactly what plain jsonschema gives: the same normalised answers, the same errors
(pointer, keyword, message, order), the same verdict of every compiled check, for the sample procedures'
fixtures, the rjsf corpus, every keyword case of test_messages, schemas built to reach the corners
($ref cycles, $id, a subschema in another dialect, choice lists with repeated or non-string values) and
random mutations of all of their answers."""

from __future__ import annotations

import contextlib
import copy
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referencing.exceptions import Unresolvable

from forms_engine.definitions.dialects import ref_registry, validator_class
from forms_engine.definitions.schemas import Definition
from forms_engine.postal.service import default_lookup
from forms_engine.validation import keywords
from forms_engine.validation.compiled import Compiler
from forms_engine.validation.formats import FormatRegistry, default_registry
from forms_engine.validation.service import AnswerValidator
from tests.conftest import CORPUS, FIXTURES, ROOT, SAMPLES_DIR, corpus_names, load_catalogue, wrap_corpus
from tests.validation.test_messages import CASES

D20 = "https://json-schema.org/draft/2020-12/schema"
D07 = "http://json-schema.org/draft-07/schema#"
CHOICE = [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]


def procedure(pid: str, dialect: str, properties: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"$schema": dialect, "title": "検証", "type": "object", "properties": properties,
            "x-procedure": {"id": pid, "version": "1.0.0", "department": "d", "department_name": "課"}, **rest}


NODE = {"type": "object", "properties": {
    "kana": {"type": "string", "title": "フリガナ", "format": "katakana"},
    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["kana"]}
CORNERS: list[dict[str, Any]] = [
    procedure("corners-2020", D20, {
        "tree": {"$ref": "#/$defs/node"},
        "choice": {"title": "選択", "oneOf": CHOICE},
        "twice": {"title": "重複", "oneOf": [*CHOICE, {"const": "a", "title": "A again"}]},
        "any": {"title": "どれか", "anyOf": [*CHOICE, {"const": 1}, {"const": True}, {"const": None}]},
        "numbers": {"title": "数", "oneOf": [{"const": 1, "title": "1"}, {"const": 2.5, "title": "2.5"}]},
        "objects": {"title": "物", "enum": [{"a": 1}, [1, 2], "x", 1]},
        "nested": {"title": "入れ子", "oneOf": [{"type": "string", "oneOf": CHOICE}, {"type": "integer", "minimum": 3}]},
        "not_choice": {"title": "以外", "not": {"anyOf": CHOICE}},
        "tuple": {"title": "組", "type": "array", "prefixItems": [{"type": "string", "format": "jp-phone"},
                  {"type": "integer"}], "items": {"type": "boolean"}, "contains": {"const": True},
                  "maxContains": 2, "uniqueItems": True},
        "map": {"title": "対応", "type": "object", "patternProperties": {"^p_": {"type": "string", "format": "jp-postal-code"}},
                "additionalProperties": {"type": "integer", "multipleOf": 0.5}, "propertyNames": {"maxLength": 8},
                "minProperties": 1, "maxProperties": 3},
        "strict": {"title": "厳密", "type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False,
                   "dependentSchemas": {"a": {"required": ["b"], "properties": {"b": {"const": "x"}}}}},
        "evaluated": {"title": "評価", "type": "object", "allOf": [{"properties": {"a": {}}}],
                      "unevaluatedProperties": False},
        "resource": {"$id": "https://forms.example.jp/resource", "title": "別資源", "type": "object",
                     "properties": {"n": {"type": "integer", "maximum": 3}}},
        "address": {"title": "住所", "x-widget": "address", "type": "object", "properties": {
            "postal_code": {"type": "string", "title": "郵便番号", "format": "jp-postal-code"},
            "city": {"type": "string", "title": "市区町村", "x-charset": "jisx0213", "maxLength": 20}}},
        "kind": {"title": "種別", "type": "string", "enum": ["self", "agent"]},
        "agent": {"title": "代理人", "type": "string", "minLength": 1},
        "age": {"title": "年齢", "type": ["integer", "null"], "minimum": 0, "exclusiveMaximum": 150},
    }, **{"$defs": {"node": NODE}, "required": ["kind"], "dependentRequired": {"agent": ["kind"]},
          "if": {"properties": {"kind": {"const": "agent"}}, "required": ["kind"]}, "then": {"required": ["agent"]},
          "else": {"properties": {"agent": False}}}),
    procedure("corners-07", D07, {
        "list": {"title": "一覧", "type": "array", "items": [{"type": "string"}, {"enum": [1, 2]}],
                 "additionalItems": {"type": "string", "format": "katakana"}},
        "each": {"title": "各", "type": "array", "items": {"oneOf": CHOICE}, "contains": {"const": "b"}},
        "deps": {"title": "依存", "type": "object", "properties": {"a": {}, "b": {}, "c": {"type": "integer"}},
                 "dependencies": {"a": ["b"], "b": {"properties": {"c": {"minimum": 1}}}}},
        "ref": {"$ref": "#/definitions/choice", "title": "無視される兄弟", "minLength": 99},
        "choice": {"title": "選択", "anyOf": CHOICE},
        "other": {"$schema": D20, "title": "別の方言", "type": "array", "prefixItems": [{"const": 1}], "items": False},
        "cond": {"title": "条件", "type": "object", "properties": {"k": {}, "v": {"type": "string"}},
                 "if": {"required": ["k"]}, "then": {"required": ["v"]}, "else": {"not": {"required": ["v"]}}},
    }, definitions={"choice": {"oneOf": CHOICE}}),
]
# A procedure.json with a file beside it: "#/$defs/a" means another schema in each file.
FILES = {
    "procedure.json": procedure("corners-files", D20, {
        "shared": {"title": "共有", "$ref": "common.json#/$defs/b"},
        "local": {"title": "ここ", "$ref": "#/$defs/a"},
        "deep": {"title": "深い", "type": "object", "properties": {"inner": {"$ref": "common.json#/$defs/wrap"}}},
    }, **{"$defs": {"a": {"type": "string", "maxLength": 2}}}),
    "common.json": {"$defs": {"a": {"type": "string", "minLength": 3, "format": "katakana"}, "b": {"$ref": "#/$defs/a"},
                              "wrap": {"type": "object", "properties": {"v": {"$ref": "#/$defs/a"}}}}},
}
CORNER_ANSWERS = {
    "corners-files": {"shared": "ヤマダ", "local": "ab", "deep": {"inner": {"v": "ハナコ"}}},
    "corners-2020": {"tree": {"kana": "やまだ", "children": [{"kana": "ﾀﾛｳ", "children": []}, {"kana": "ハナコ"}]},
                     "choice": "a", "twice": "b", "any": True, "numbers": 2.5, "objects": {"a": 1},
                     "nested": "b", "not_choice": "c", "tuple": ["０３（１２３４）５６７８", 1, True, False],
                     "map": {"p_home": "１００－０００１", "x": 1.5}, "strict": {"a": "1", "b": "x"},
                     "evaluated": {"a": 1}, "resource": {"n": 2},
                     "address": {"postal_code": "１００－０００１", "city": "千代田区"}, "kind": "self", "age": 30},
    "corners-07": {"list": ["x", 1, "やまだ", "ﾀﾛｳ"], "each": ["a", "b"], "deps": {"a": 1, "b": 2, "c": 3},
                   "ref": "a", "choice": "b", "other": [1], "cond": {"k": 1, "v": "x"}},
}


def message_cases() -> list[dict[str, Any]]:
    """Every keyword case of test_messages as a field `f_<case>` of one procedure per dialect."""
    docs = []
    for dialect in (D20, D07):
        fields = {f"f_{case}": {"title": case, **schema} for case, d, schema, *_ in CASES if d == dialect}
        docs.append(procedure(f"cases-{'2020' if dialect == D20 else '07'}", dialect, fields))
    return docs


def case_answers(dialect: str) -> dict[str, Any]:
    return {f"f_{case}": value for case, d, _, value, *_ in CASES if d == dialect}


# -- what is compared ------------------------------------------------------------------------------------
def reference_normalise(definition: Definition, formats: FormatRegistry, answers: Any) -> Any:
    """The normalisation as AnswerValidator did it before it was compiled: the whole schema walked each time."""
    resolver = ref_registry(definition.dialect, definition.base_uri, definition.document,
                            definition.extra_resources).resolver(base_uri=definition.base_uri)

    def in_place(schema: dict[str, Any]) -> Iterator[Any]:
        if isinstance(schema.get("$ref"), str):
            with contextlib.suppress(Unresolvable):
                yield resolver.lookup(schema["$ref"]).contents
        for key in ("allOf", "anyOf", "oneOf", "then", "else", "dependentSchemas"):
            sub = schema.get(key)
            if isinstance(sub, list):
                yield from sub
            elif isinstance(sub, dict):
                yield from (sub.values() if key == "dependentSchemas" else [sub])

    def item(schema: dict[str, Any], index: int) -> Any:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and index < len(prefix):
            return prefix[index]
        items = schema.get("items")
        if isinstance(items, list):
            return items[index] if index < len(items) else schema.get("additionalItems")
        return items

    def walk(schema: Any, value: Any, depth: int) -> Any:
        if depth > 64 or not isinstance(schema, dict):
            return value
        for sub in in_place(schema):
            value = walk(sub, value, depth + 1)
        if isinstance(value, str):
            entry = formats.get(schema["format"]) if isinstance(schema.get("format"), str) else None
            return entry.normalise(value) if entry is not None else value
        if isinstance(value, dict):
            props = schema.get("properties")
            if isinstance(props, dict):
                value = {k: walk(props[k], v, depth + 1) if k in props else v for k, v in value.items()}
            return value
        if isinstance(value, list):
            return [walk(item(schema, i), v, depth + 1) for i, v in enumerate(value)]
        return value

    return walk(definition.document, answers, 0)


class Pair:
    """The engine's validator of a definition beside the plain jsonschema one (`fast=False`)."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.formats = default_registry()
        self.fast = AnswerValidator(definition, self.formats)
        self.plain = AnswerValidator(definition, self.formats, fast=False)
        # The compiled checks alone, and jsonschema alone, on validators built as AnswerValidator builds its own.
        cls = keywords.extend(validator_class(definition.dialect), default_lookup())
        registry = ref_registry(definition.dialect, definition.base_uri, definition.document, definition.extra_resources)

        def build() -> Any:
            return cls(definition.document, registry=registry, format_checker=self.formats.format_checker(),
                       _resolver=registry.resolver(base_uri=definition.base_uri))

        self.checks = Compiler(build())
        self.jsonschema = build()

    def assert_same(self, answers: Any, langs: tuple[str, ...] = ("ja",)) -> bool:
        """Asserts the same outcome both ways; returns whether the answers were valid."""
        normalised = outcome(self.fast.normalise, answers)
        assert normalised == outcome(lambda a: reference_normalise(self.definition, self.formats, a), answers)
        value = normalised[1] if normalised[0] == "ok" else answers
        assert outcome(self.checks.top.check, value) == outcome(self.jsonschema.is_valid, value)
        for lang in langs:
            fast = outcome(lambda a, lang=lang: [e.as_dict() for e in self.fast.validate(a, lang)], value)
            assert fast == outcome(lambda a, lang=lang: [e.as_dict() for e in self.plain.validate(a, lang)], value)
        return normalised[0] == "ok" and fast == ("ok", [])


def outcome(fn: Callable[[Any], Any], value: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(copy.deepcopy(value)))
    except Exception as exc:  # the same exception both ways is the same outcome
        return ("raises", type(exc).__name__)


# -- the definitions and their answers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    folder = tmp_path_factory.mktemp("compiled")
    for doc in [*CORNERS, *message_cases()]:
        (folder / f"{doc['x-procedure']['id']}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (folder / "corners-files").mkdir()
    for name, doc in FILES.items():
        (folder / "corners-files" / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    corpus = tmp_path_factory.mktemp("corpus-compiled")
    for name in corpus_names():
        (corpus / f"{name}.json").write_text(json.dumps(wrap_corpus(name), ensure_ascii=False), encoding="utf-8")
    bench = ROOT / "bench" / "fixtures" / "thirty-fields.json"
    catalogue = load_catalogue([SAMPLES_DIR, Path(folder), corpus, bench])
    return {d.id: Pair(d) for d in catalogue.all()}


def bases() -> list[tuple[str, Any]]:
    """(procedure id, answers): every fixture there is."""
    found: list[tuple[str, Any]] = []
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        for kind in ("valid", "invalid"):
            found.append((path.stem, json.loads((FIXTURES / "samples" / f"{path.stem}.{kind}.json").read_text("utf-8"))))
    for data in sorted(CORPUS.glob("*.data.json")):
        found.append((f"rjsf-{data.name.removesuffix('.data.json').lower()}", json.loads(data.read_text("utf-8"))))
    found += [(pid, answers) for pid, answers in CORNER_ANSWERS.items()]
    found += [("cases-2020", case_answers(D20)), ("cases-07", case_answers(D07))]
    answers = ROOT / "bench" / "fixtures" / "answers" / "thirty-fields.answers.json"
    found.append(("bench-thirty", json.loads(answers.read_text("utf-8"))))
    return found


BASES = bases()
POOL: list[Any] = [
    None, True, False, 0, 1, -1, 2, 3, 7, 1.5, 2.0, 10**12, float("inf"), "", " ", "a", "b", "c", "x" * 300, "山田",
    "やまだ　たろう", "ﾔﾏﾀﾞ", "ヤマダ", "03-1234-5678", "０３（１２３４）５６７８", "０１０１２３４５６７８", "1000001", "１００－０００１",
    "100-0001", "100-9999", "〒100-0001", "2025-04-01", "2025-02-30", "令和7年4月1日", "17:30", "17:30\n",
    "hanako@example.jp", " hanako@example.jp ", "a@@b", "a\x00b", "a\tb\nc", "𠮷野家", "髙", "葛\U000e0100", [], [1, 1],
    ["x"], ["a", "b"], {}, {"a": 1}, {"kana": "やまだ"},
]


def harvested(schema: Any) -> tuple[list[Any], list[str]]:
    """Values (const, enum, examples, default) and property names found anywhere in a schema."""
    values: list[Any] = []
    names: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, sub in node.items():
                if key == "const" or key == "default":
                    values.append(sub)
                elif key in ("enum", "examples") and isinstance(sub, list):
                    values.extend(sub)
                if key in ("properties", "dependentRequired") and isinstance(sub, dict):
                    names.extend(sub)
                stack.append(sub)
        elif isinstance(node, list):
            stack.extend(node)
    return values, names


def locations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from locations(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from locations(v, (*path, i))


def mutate(answers: Any, ops: list[tuple[int, int, int]], values: list[Any], names: list[str]) -> Any:
    """Apply each (where, what, which) to a copy: set, delete, add or duplicate somewhere in the answers."""
    result = copy.deepcopy(answers)
    for where, what, which in ops:
        places = list(locations(result))
        path = places[where % len(places)]
        new = copy.deepcopy(values[which % len(values)])
        if not path:
            result = new if what == 0 else result
            continue
        parent = result
        for token in path[:-1]:
            parent = parent[token]
        last = path[-1]
        if what == 0:
            parent[last] = new
        elif what == 1:
            del parent[last]
        elif what == 2 and isinstance(parent[last], dict):
            parent[last][names[which % len(names)] if names else "zz"] = new
        elif what == 2 and isinstance(parent[last], list):
            parent[last].append(new)
        elif isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
    return result


OPS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.integers(0, 10**6)), min_size=1, max_size=4)


# -- the tests -------------------------------------------------------------------------------------------
def test_every_procedure_has_answers_to_start_from(pairs: dict[str, Pair]) -> None:
    covered = {pid for pid, _ in BASES}
    assert {p.stem for p in SAMPLES_DIR.glob("*.json")} <= covered
    assert len([pid for pid in covered if pid.startswith("rjsf-")]) >= 25
    assert covered <= set(pairs)


@pytest.mark.parametrize(("pid", "answers"), BASES, ids=[f"{pid}-{i}" for i, (pid, _) in enumerate(BASES)])
def test_the_fixtures_give_the_same_errors(pairs: dict[str, Pair], pid: str, answers: Any) -> None:
    pairs[pid].assert_same(answers, ("ja", "en"))


def test_refs_to_the_files_beside_a_procedure_resolve_from_its_own_file(pairs: dict[str, Pair]) -> None:
    """`#/$defs/a` in common.json is common.json's (katakana, 3 or more), in procedure.json the procedure's."""
    validator = pairs["corners-files"].fast
    found = [(e.pointer, e.keyword) for e in validator.validate({"shared": "ヤ", "local": "ヤマダ", "deep": {"inner": {"v": "ヤ"}}})]
    assert found == [("/shared", "minLength"), ("/local", "maxLength"), ("/deep/inner/v", "minLength")]
    assert validator.validate({"shared": "ヤマダ", "local": "ab", "deep": {"inner": {"v": "ハナコ"}}}) == []


@pytest.mark.parametrize(("pid", "answers"), BASES, ids=[f"{pid}-{i}" for i, (pid, _) in enumerate(BASES)])
def test_the_fixtures_get_a_verdict_not_an_exception(pairs: dict[str, Pair], pid: str, answers: Any) -> None:
    """So that "raises both ways" (which assert_same accepts) cannot hide a difference on the fixtures."""
    value = pairs[pid].fast.normalise(answers)
    assert pairs[pid].checks.top.check(value) is pairs[pid].jsonschema.is_valid(value)


def test_the_valid_fixtures_take_the_fast_path(pairs: dict[str, Pair]) -> None:
    """Not only the same verdicts: the valid sample answers never need jsonschema's walk."""
    for path in sorted(SAMPLES_DIR.glob("*.json")):
        pair = pairs[path.stem]
        answers = pair.fast.normalise(json.loads((FIXTURES / "samples" / f"{path.stem}.valid.json").read_text("utf-8")))
        assert pair.checks.top.check(answers) is True, path.stem
        assert pair.jsonschema.is_valid(answers) is True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(BASES), ops=OPS)
def test_mutated_answers_give_the_same_errors(pairs: dict[str, Pair], base: tuple[str, Any], ops: list[Any]) -> None:
    pid, answers = base
    values, names = harvested(pairs[pid].definition.document)
    pairs[pid].assert_same(mutate(answers, ops, POOL + values, names))


def test_a_large_generated_set_gives_the_same_errors(pairs: dict[str, Pair]) -> None:
    """40 seeded mutations of every fixture (about 2,000 answers), both verdicts reached for many."""
    rng = random.Random(20261123)
    verdicts: dict[bool, int] = {True: 0, False: 0}
    for pid, answers in BASES:
        values, names = harvested(pairs[pid].definition.document)
        for _ in range(40):
            ops = [(rng.randrange(10**6), rng.randrange(4), rng.randrange(10**6)) for _ in range(rng.randint(1, 3))]
            verdicts[pairs[pid].assert_same(mutate(answers, ops, POOL + values, names))] += 1
    assert verdicts[True] >= 200 and verdicts[False] >= 1000, verdicts
