"""`x-staff-search: true`: the answers a definition lets staff search by (besides the 受付番号).

The keyword goes on a leaf (a string or a number) or on a compound of leaves (a name, a furigana, an address:
an object whose properties are all leaves); the compound is searched as its parts joined by spaces, in the
order the schema declares them. Never on a sensitive answer (`definitions.sensitivity`: 特定個人情報 must not
be indexed in clear), nor on a file, an array, a yes/no or a nested object. The linter refuses those; the
walk over answers skips a sensitive answer whatever the definition says, so nothing sensitive is ever indexed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from forms_engine.definitions import pointers
from forms_engine.definitions.schemas import Problem
from forms_engine.definitions.sensitivity import MAX_DEPTH, SchemaParts, is_sensitive

KEYWORD = "x-staff-search"
LEAF_TYPES = frozenset({"string", "integer", "number"})
_FILE_KEYS = ("x-accept", "x-max-bytes", "contentMediaType", "contentEncoding")


@dataclass(frozen=True)
class SearchField:
    """A field staff can search: where its schema says so, and its title as the staff page names it."""

    pointer: str  # of the schema carrying the keyword
    title: str


def _chosen(parts: list[Mapping[str, Any]]) -> bool:
    return any(part.get(KEYWORD) is True for part in parts)


def _types(parts: list[Mapping[str, Any]]) -> set[str]:
    out: set[str] = set()
    for part in parts:
        declared = part.get("type")
        out |= {t for t in (declared if isinstance(declared, list) else [declared]) if isinstance(t, str)}
    return out - {"null"}


def _is_file(parts: list[Mapping[str, Any]]) -> bool:
    return any(part.get("x-widget") == "file" or part.get("format") == "binary"
               or any(key in part for key in _FILE_KEYS) for part in parts)


def _properties(parts: list[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Property name -> the schemas declaring it, in the order the schema declares them."""
    out: dict[str, list[Any]] = {}
    for part in parts:
        declared = part.get("properties")
        if isinstance(declared, Mapping):
            for name, schema in declared.items():
                out.setdefault(str(name), []).append(schema)
    return out


def _title(parts: list[Mapping[str, Any]], name: str) -> str:
    for part in parts:
        if isinstance(part.get("title"), str) and part["title"]:
            return str(part["title"])
    return name


# -- answers ---------------------------------------------------------------------------------------
def searchable_values(document: Mapping[str, Any], answers: Any) -> list[tuple[str, str]]:
    """(pointer, text) of every answer staff may search by; a sensitive answer never, whatever it says."""
    schemas = SchemaParts(document, dependents=False)  # declaration order: titles, properties
    found: list[tuple[str, str]] = []

    def walk(below: list[Any], value: Any, pointer: str, depth: int) -> None:
        parts = schemas(below)
        if value is None or depth > MAX_DEPTH or is_sensitive(parts):
            return
        if _chosen(parts):
            text = _text(schemas, parts, value)
            if text:
                found.append((pointer, text))
            return
        if isinstance(value, Mapping):
            declared = _properties(parts)
            for key, child in value.items():
                extra = [p.get("additionalProperties") for p in parts]
                walk([*declared.get(str(key), []), *extra], child, pointers.join(pointer, str(key)), depth + 1)
        elif isinstance(value, list):
            for index, child in enumerate(value):
                below_items = [p.get("items") for p in parts]
                below_items += [p["prefixItems"][index] for p in parts
                                if isinstance(p.get("prefixItems"), list) and index < len(p["prefixItems"])]
                walk(below_items, child, f"{pointer}/{index}", depth + 1)

    walk([document], answers, "", 0)
    return found


def _leaf_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _text(schemas: SchemaParts, parts: list[Mapping[str, Any]], value: Any) -> str | None:
    """A leaf as it is; a compound as its non-sensitive leaf parts joined by spaces, in declared order."""
    if not isinstance(value, Mapping):
        return _leaf_text(value)
    declared = _properties(parts)
    words = []
    for name in [*declared, *(k for k in value if k not in declared)]:
        if name in value and not is_sensitive(schemas(declared.get(name, []))):
            text = _leaf_text(value[name])
            if text:
                words.append(text)
    return " ".join(words) or None


# -- the schema alone ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Marked:
    parts: list[Mapping[str, Any]]
    sensitive: bool  # the answer, something above it or one of its parts
    title: str


def _marked(document: Mapping[str, Any]) -> list[_Marked]:
    """Every field marked searchable that answers can reach, with whether it is (or lies in) a sensitive one."""
    schemas = SchemaParts(document, dependents=False)  # declaration order: titles, properties
    out: list[_Marked] = []
    seen: set[tuple[frozenset[int], bool]] = set()

    def walk(below: list[Any], above: bool, titles: tuple[str, ...], name: str, depth: int) -> None:
        parts = schemas(below)
        if not parts or depth > MAX_DEPTH:
            return
        sensitive = above or is_sensitive(parts)
        title = _title(parts, name) if name else ""
        key = (frozenset(id(p) for p in parts), sensitive)
        if key in seen:
            return
        seen.add(key)
        if _chosen(parts):
            inner = any(is_sensitive(schemas(s)) for s in _properties(parts).values())
            out.append(_Marked(parts, sensitive or inner, "の".join(t for t in (*titles, title or name) if t)))
        here = (*titles, title) if title and depth > 0 else titles
        for child, declared in _properties(parts).items():
            walk(declared, sensitive, here, child, depth + 1)
        walk([p.get("additionalProperties") for p in parts], sensitive, here, "", depth + 1)
        items = [p.get("items") for p in parts]
        items += [s for p in parts if isinstance(p.get("prefixItems"), list) for s in p["prefixItems"]]
        walk(items, sensitive, here, "", depth + 1)

    walk([document], False, (), "", 0)
    return out


def search_fields(document: Mapping[str, Any]) -> list[SearchField]:
    """The fields staff can search by, in the schema's order, named by their titles (for the page's hint)."""
    where = {id(schema): ptr for ptr, schema in pointers.subschemas(document)}
    out: list[SearchField] = []
    for marked in _marked(document):
        if not marked.sensitive:
            carrier = next(p for p in marked.parts if p.get(KEYWORD) is True)
            out.append(SearchField(where.get(id(carrier), ""), marked.title))
    return out


def lint(file: str, document: dict[str, Any]) -> Iterator[Problem]:
    """Every misuse of ``x-staff-search``, at the pointer of the schema carrying it."""
    schemas = SchemaParts(document, dependents=False)  # declaration order: titles, properties
    where = {id(schema): ptr for ptr, schema in pointers.subschemas(document)}
    problems: dict[tuple[str, str], Problem] = {}

    def add(ptr: str, message: str) -> None:
        problems.setdefault((ptr, message), Problem(file, pointers.join(ptr, KEYWORD), message))

    for ptr, schema in pointers.subschemas(document):
        if KEYWORD not in schema:
            continue
        if not isinstance(schema[KEYWORD], bool):
            add(ptr, f"{KEYWORD} は true か false です")
        elif schema[KEYWORD]:
            for message in _shape_problems(schemas, schemas([schema])):
                add(ptr, message)
    for marked in _marked(document):
        if marked.sensitive:
            for carrier in (p for p in marked.parts if p.get(KEYWORD) is True):
                add(where.get(id(carrier), ""), f"{KEYWORD} は機微な項目（x-sensitive・マイナンバー）やその一部・それを"
                                                "含む項目には書けません。特定個人情報を検索のために平文で索引にはできません")
    yield from problems.values()


def _shape_problems(schemas: SchemaParts, parts: list[Mapping[str, Any]]) -> Iterator[str]:
    if is_sensitive(parts):
        return  # said once, by the walk
    if _is_file(parts):
        yield f"{KEYWORD} はファイルの項目には書けません（検索できるのは文字や数字の項目です）"
        return
    kinds = _types(parts)
    declared = _properties(parts)
    if "object" in kinds or declared:
        for name, below in declared.items():
            inner = schemas(below)
            if _is_file(inner) or not _types(inner) or not _types(inner) <= LEAF_TYPES or _properties(inner):
                yield (f"{KEYWORD} を書けるのは、文字・数字の項目か、文字・数字だけからなるまとまり（氏名・フリガナ・"
                       f"住所など）です。{name!r} はそうではありません")
                return
        return
    if not kinds or not kinds <= LEAF_TYPES:
        yield (f"{KEYWORD} を書けるのは、文字・数字の項目か、文字・数字だけからなるまとまり（氏名・フリガナ・住所"
               "など）です（配列・はい／いいえ・入れ子のまとまりは検索できません）")
