"""GET /api/v1/procedures and /api/v1/procedures/{id}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from forms_engine.api.deps import StateDep
from forms_engine.api.errors import error

router = APIRouter(prefix="/api/v1/procedures", tags=["procedures"])


@router.get("", summary="The procedures open now")
def list_procedures(state: StateDep) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {"id": d.id, "version": d.version, "title": d.title, "summary": d.meta.summary,
         "department": d.meta.department, "department_name": d.meta.department_name,
         "signature": d.meta.signature, "title_en": d.meta.title_en}
        for d in state.catalogue.all() if d.is_open(now)
    ]


@router.get("/{procedure_id}", summary="The definition: the JSON Schema with its x- keywords")
def get_procedure(procedure_id: str, state: StateDep) -> Any:
    definition = state.catalogue.get(procedure_id)
    if definition is None:
        return error(404, "not_found", "その手続はありません")
    return JSONResponse(definition.document, headers={"ETag": f'"{definition.sha256}"'})
