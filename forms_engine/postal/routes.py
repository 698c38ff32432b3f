"""GET /api/v1/postal-codes/{code}: the addresses of a postal code, for 「住所を自動入力」."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from forms_engine.api.deps import LangDep
from forms_engine.api.errors import error
from forms_engine.postal.schemas import PostalCodeOut
from forms_engine.postal.service import PostalLookup, default_lookup, normalise_code
from forms_engine.submissions.schemas import ErrorBody
from forms_engine.validation import messages
from forms_engine.validation.formats import postal_code

router = APIRouter(prefix="/api/v1/postal-codes", tags=["postal-codes"])

_TITLE = {"ja": "郵便番号", "en": "Postal code"}
_CACHE = "public, max-age=86400"  # the data changes at most monthly, with a release


def get_postal_lookup() -> PostalLookup:
    return default_lookup()


LookupDep = Annotated[PostalLookup, Depends(get_postal_lookup)]


@router.get(
    "/{code}",
    response_model=PostalCodeOut,
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
    summary="都道府県, 市区町村 and 町域 (with kana) of a postal code",
)
def get_postal_code(code: str, lookup: LookupDep, lang: LangDep) -> Any:
    title = _TITLE.get(lang, _TITLE["ja"])
    normalised = normalise_code(code)
    if normalised is None:
        entry = postal_code.ENTRY
        return error(422, "format", (entry.message_en if lang == "en" else entry.message_ja).format(title=title))
    addresses = lookup.lookup(normalised)
    if not addresses:
        return error(404, "not_found", messages.render("x-postal-exists", lang, title, value=normalised))
    body = PostalCodeOut.of(normalised, addresses).model_dump()
    return JSONResponse(body, headers={"Cache-Control": _CACHE})
