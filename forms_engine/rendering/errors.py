"""Where each validation error goes on the page, and the error summary in page order."""

from __future__ import annotations

from forms_engine.rendering.dates import date_problem
from forms_engine.rendering.views import FieldView, SummaryItem, parse_pointer, pointer_of
from forms_engine.validation.schemas import FieldError


def place_errors(fields: list[FieldView], errors: list[FieldError], lang: str = "ja") -> list[SummaryItem]:
    """Put each error on its field (or the nearest shown ancestor) and list them in page order.

    An error about a choice between sets of fields (`oneOf`/`anyOf`) goes to that choice. The summary link
    goes to the first control of the field and its text is the field's inline message.
    """
    order = [f for top in fields for f in top.walk()]
    position = {id(f): i for i, f in enumerate(order)}
    by_pointer: dict[str, FieldView] = {}
    alternatives: dict[str, FieldView] = {}
    for f in order:
        by_pointer.setdefault(f.pointer, f)
        if f.widget == "alternatives":
            alternatives.setdefault(f.pointer, f)
    ranked: list[tuple[int, int, SummaryItem]] = []
    for seq, error in enumerate(errors):
        target = alternatives.get(error.pointer) if error.keyword in ("oneOf", "anyOf") else None
        tokens: list[str] | None = parse_pointer(error.pointer)
        while target is None and tokens is not None:
            target = by_pointer.get(pointer_of(list(tokens)))
            tokens = tokens[:-1] if tokens else None
        target = target or next((f for f in order if f.focus_id), None)
        message = error.message
        if target is not None and target.widget in ("date", "wareki-date") and error.keyword == "format":
            message = date_problem(target.value, target.label, wareki=target.widget == "wareki-date",
                                   lang=lang) or message
        if target is not None:
            target.errors.append(message)
        link = (target.focus_id or target.id) if target is not None else "main"
        ranked.append((position[id(target)] if target is not None else -1, seq, SummaryItem(message, link)))
    return [item for _, _, item in sorted(ranked, key=lambda r: (r[0], r[1]))]
