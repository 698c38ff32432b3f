"""「住所を自動入力」 on a step page, without JavaScript: the `postal:<pointer>` action.

The button of an address widget posts the step with `_action=postal:/owner_address`. The step is saved as
usual (nothing typed is lost), then the address's empty parts are filled from its postal code and the same
step is shown again: a status message beside the button says what was filled and what was kept, or the
postal code field says why nothing could be (empty, malformed, not found).

The address's parts are found on the page as the address widget shows them: 都道府県, 市区町村 and 町域 by
their property names or their purpose tokens (`address-level1`, `address-level2`, `address-line1`), which stay
when the definition withholds autofill (`x-autocomplete: off`: someone else's address).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms_engine.postal.autofill import ROLES, Outcome, Role, autofill
from forms_engine.postal.service import PostalLookup
from forms_engine.rendering.flow import Flow
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FieldView, FormView, parse_pointer
from forms_engine.validation import messages
from forms_engine.validation.formats import postal_code

VERB = "postal"
MAX_TOWNS_SHOWN = 5
_TOKENS: dict[str, Role] = {"address-level1": "prefecture", "address-level2": "city", "address-line1": "town"}


@dataclass(frozen=True)
class Autofilled:
    """The result of the action for one address: what happened, and the postal code field's error if any."""

    pointer: str
    outcome: Outcome
    problem: str | None


def status_id(field: FieldView) -> str:
    return f"{field.id}--postal"


def address_field(view: FormView, pointer: str) -> FieldView | None:
    return next((f for f in view.fields() if f.pointer == pointer and f.widget == "address"), None)


def postal_code_of(field: FieldView) -> FieldView | None:
    """The postal code part of an address widget (the one the button looks up)."""
    return next((c for c in field.children if c.purpose == "postal-code" and isinstance(c.key, str)), None)


def parts_of(field: FieldView) -> dict[Role, str]:
    """The address's key for 都道府県, 市区町村 and 町域: by name first, then by purpose token."""
    keys = [c for c in field.children if isinstance(c.key, str) and c.widget != "readonly"]
    found: dict[Role, str] = {}
    for role in ROLES:
        named = next((str(c.key) for c in keys if c.key == role), None)
        if named is not None:
            found[role] = named
    for child in keys:
        token = _TOKENS.get(child.purpose or "")
        if token is not None and token not in found and str(child.key) not in found.values():
            found[token] = str(child.key)
    return found


def apply(flow: Flow, answers: Any, choices: Mapping[str, int], pointer: str,
          lookup: PostalLookup) -> tuple[Any, Autofilled | None]:
    """The answers after 「住所を自動入力」 on the address at `pointer` (None: no such address on the form)."""
    field = address_field(flow.layout(answers, choices).view, pointer)
    code = postal_code_of(field) if field is not None else None
    if field is None or code is None:
        return answers, None
    tokens = parse_pointer(pointer)
    current = _at(answers, tokens)
    address, outcome = autofill(current if isinstance(current, dict) else {}, str(code.key), parts_of(field), lookup)
    if outcome.filled:
        answers = _put(answers, tokens, address)
    problem = None if outcome.kind == "filled" else _problem(flow, answers, code, outcome)
    return answers, Autofilled(pointer, outcome, problem)


def _problem(flow: Flow, answers: Any, code: FieldView, outcome: Outcome) -> str:
    """What the postal code field says: the message validation gives it (staff wording included)."""
    lang = flow.lang
    if outcome.kind == "empty":
        return text(lang, "postal_empty", title=code.label)
    found = flow.validator.validate(flow.validator.normalise(answers), lang)
    own = next((e.message for e in found if e.pointer == code.pointer), None)
    if own is not None:
        return own
    if outcome.kind == "not_found":
        return messages.render("x-postal-exists", lang, code.label, value=outcome.code)
    return postal_code.ENTRY.message(lang, code.label)


def show(view: FormView, autofilled: Autofilled, lang: str) -> str | None:
    """Put the status message on the address widget (and the error on its postal code field); the id to focus."""
    field = address_field(view, autofilled.pointer)
    code = postal_code_of(field) if field is not None else None
    if field is None or code is None:
        return None
    if autofilled.problem is not None:
        if autofilled.problem not in code.errors:
            code.errors.append(autofilled.problem)
        field.notice = text(lang, "postal_failed", title=code.label)
        return code.focus_id
    field.notice = message(autofilled.outcome, {str(c.key): c.label for c in field.children}, lang)
    return status_id(field)


def message(outcome: Outcome, labels: Mapping[str, str], lang: str) -> str:
    """「郵便番号 100-0001 から、都道府県、市区町村、町域・番地を入力しました。」 and what was kept, in `lang`."""
    separator = text(lang, "list_separator")
    pieces = [text(lang, "postal_filled", code=outcome.code, fields=separator.join(labels[k] for k in outcome.filled))
              if outcome.filled else text(lang, "postal_none", code=outcome.code)]
    for kept in outcome.kept:
        key = "postal_kept_differs" if kept.differs else "postal_kept"
        pieces.append(text(lang, key, field=labels[kept.key], value=kept.proposed))
    if outcome.towns and outcome.town_key is not None:
        shown = list(outcome.towns[:MAX_TOWNS_SHOWN])
        if len(outcome.towns) > MAX_TOWNS_SHOWN:
            shown.append(text(lang, "postal_more"))
        pieces.append(text(lang, "postal_towns", n=len(outcome.towns), towns=separator.join(shown),
                           field=labels[outcome.town_key]))
    return (" " if lang == "en" else "").join(pieces)


def _at(value: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            return None
    return value


def _put(answers: Any, tokens: list[str], address: dict[str, Any]) -> Any:
    """A copy of the answers with the address at `tokens` replaced (the objects on the way created)."""
    if not tokens:
        return address
    out = copy.deepcopy(answers) if isinstance(answers, dict | list) else {}
    holder: Any = out
    for depth, token in enumerate(tokens):
        last = depth == len(tokens) - 1
        if isinstance(holder, list) and token.isdigit() and int(token) < len(holder):
            index = int(token)
            if last:
                holder[index] = address
            elif not isinstance(holder[index], dict | list):
                holder[index] = {}
            holder = holder[index]
        elif isinstance(holder, dict):
            if last:
                holder[token] = address
            elif not isinstance(holder.get(token), dict | list):
                holder[token] = {}
            holder = holder[token]
        else:
            return answers
    return out
