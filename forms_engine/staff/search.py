"""The staff search's terms: what a submission can be found by, and how a query is read.

Terms are written when a submission is filed (`write_terms`), replaced when its answers are (`replace_terms`),
and built for earlier submissions by `forms-engine staff reindex` (`reindex_batch`). A submission's terms are its
受付番号 and the answers its definition marks ``x-staff-search`` (`definitions.staff_search`; a sensitive answer
never), folded the same way as a query (`fold`: NFKC, katakana as hiragana, lower case, no spaces):

- a value as a whole and each of its space-separated words: 「山田 花子」 gives 「山田花子」, 「山田」, 「花子」;
- a value of digits in groups (a 受付番号, a phone number) as its digits from each group on: 「1234-5678-9012」
  gives 「123456789012」, 「56789012」, 「9012」, so 「5678」 or 「1234-56」 are found by a prefix.

A query's words must all match (AND), each as a prefix of some term: a range on the (procedure_id, term) index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import jaconv
from sqlmodel import Session

from forms_engine.definitions.sensitivity import sensitive_pointers
from forms_engine.definitions.service import DefinitionCatalogue
from forms_engine.definitions.staff_search import SearchField, search_fields, searchable_values
from forms_engine.models import Submission
from forms_engine.models.search import TERM_LENGTH
from forms_engine.staff import repository
from forms_engine.submissions import receipt_number

MAX_WORDS = 8
_SEPARATORS = "-‐‑‒–—―−－ー"
_GROUPS = re.compile(f"[{_SEPARATORS}\\s]+")


def fold(text: str) -> str:
    """「ﾔﾏﾀﾞ」, 「ヤマダ」 and 「やまだ」 (and 「ＡＢＣ」, 「abc」) are the same to the search; spaces are kept here."""
    return str(jaconv.kata2hira(unicodedata.normalize("NFKC", text))).casefold()


def _digit_groups(text: str) -> list[str] | None:
    """The groups of a value made of digits and separators only (「090-1234-5678」), else None."""
    groups = [g for g in _GROUPS.split(text) if g]
    return groups if groups and all(g.isascii() and g.isdigit() for g in groups) else None


def value_terms(text: str) -> set[str]:
    """The terms one value is found by (see the module's docstring)."""
    folded = fold(text)
    groups = _digit_groups(folded)
    if groups is not None:
        out = {"".join(groups[i:]) for i in range(len(groups))}
    else:
        words = folded.split()
        out = {"".join(words), *words}
        for word in words:
            inner = _digit_groups(word)
            if inner is not None:
                out |= {"".join(inner[i:]) for i in range(len(inner))}
    return {term[:TERM_LENGTH] for term in out if term}


def query_words(q: str | None) -> list[str]:
    """The words of a query as terms begin: digits in groups as their digits (「1234-56」 → 「123456」)."""
    out: list[str] = []
    for word in fold(q or "").split()[:MAX_WORDS]:
        groups = _digit_groups(word)
        term = ("".join(groups) if groups is not None else word)[:TERM_LENGTH]
        if term not in out:
            out.append(term)
    return out


def whole_receipt_number(words: list[str]) -> str | None:
    """The canonical 受付番号 when the query is one whole, valid 受付番号 (found by the unique index)."""
    return receipt_number.parse(words[0]) if len(words) == 1 and len(words[0]) == receipt_number.DIGITS else None


def terms_of(submission: Submission, document: Mapping[str, Any], answers: Any,
             stored: Mapping[str, Any] | None = None) -> set[str]:
    """The terms of a submission. ``document`` chooses the fields; an answer that ``stored`` (the version it
    was filed under, when another) holds sensitive is left out too, so a value never sealed is never indexed."""
    terms = value_terms(submission.receipt_number)
    hidden = sensitive_pointers(stored, answers) if stored is not None else []
    for pointer, text in searchable_values(document, answers):
        if not any(pointer == h or pointer.startswith(h + "/") or h == "" for h in hidden):
            terms |= value_terms(text)
    return terms


def write_terms(session: Session, submission: Submission, document: Mapping[str, Any], answers: Any) -> None:
    """The terms of a submission just filed (``answers`` as validated, before sensitive ones are sealed)."""
    repository.add_terms(session, submission.id, submission.procedure_id, terms_of(submission, document, answers))


def replace_terms(session: Session, submission: Submission, document: Mapping[str, Any], answers: Any) -> None:
    """The terms of a submission whose answers were replaced (a resident's correction): the old ones go."""
    repository.delete_terms(session, [submission.id])
    write_terms(session, submission, document, answers)


def reindex_batch(session: Session, catalogue: DefinitionCatalogue, after: str | None, size: int,
                  procedure_id: str | None = None) -> tuple[int, str | None]:
    """Rebuild the terms of up to ``size`` submissions with an id above ``after`` (keyset, by id); returns how
    many and the last id (None when there were none). Idempotent: a submission's terms are replaced whole.
    The fields are those the procedure's current definition chooses (its stored version when it is no
    longer defined); the flush is the caller's to commit."""
    batch = repository.submissions_after(session, after, size, procedure_id)
    if not batch:
        return 0, None
    documents: dict[str, Mapping[str, Any]] = {}
    repository.delete_terms(session, [s.id for s in batch])
    for submission in batch:
        if submission.definition_sha256 not in documents:
            documents[submission.definition_sha256] = repository.definition_document(
                session, submission.definition_sha256) or {}
        stored = documents[submission.definition_sha256]
        current = catalogue.get(submission.procedure_id)
        document = current.document if current is not None else stored
        repository.add_terms(session, submission.id, submission.procedure_id,
                             terms_of(submission, document, submission.answers, stored))
    return len(batch), batch[-1].id


def fields_of(catalogue: DefinitionCatalogue, procedure_id: str, stored: Mapping[str, Any] | None) -> list[str]:
    """The titles of the fields staff can search this procedure by (its current definition, else as stored)."""
    current = catalogue.get(procedure_id)
    document = current.document if current is not None else stored
    return _titles(search_fields(document)) if document else []


def _titles(found: Iterable[SearchField]) -> list[str]:
    out: list[str] = []
    for field in found:
        if field.title not in out:
            out.append(field.title)
    return out
