"""Reading a posted step: its fields, its files (stored at once, so an error never asks for them again),
the button pressed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlmodel import Session
from starlette.datastructures import UploadFile

from forms_engine.api.deps import EngineState
from forms_engine.definitions.schemas import Definition
from forms_engine.rendering import security, uploads
from forms_engine.rendering.views import pointer_of_name
from forms_engine.validation.schemas import FieldError

MAX_FIELDS = 5000


@dataclass(frozen=True)
class Posted:
    strings: list[tuple[str, str]]
    files: list[uploads.Upload]
    action: str  # `_action`: next (default), save, back, add:…, remove:…, refresh:…
    csrf_ok: bool


async def read(request: Request, state: EngineState) -> Posted:
    form = await request.form(max_files=100, max_fields=MAX_FIELDS)
    strings = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    files = [uploads.Upload(pointer_of_name(k), v.filename or "", v.content_type or "", await v.read())
             for k, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
    action = form.get("_action")
    return Posted(strings, files, action if isinstance(action, str) else "",
                  security.csrf_ok(state.secret_key, request, form.get("_csrf")))


def path_of(pointer: str) -> list[str | int]:
    return [int(t) if t.isdigit() else t for t in pointer.split("/")[1:]]


def merge_errors(first: list[FieldError], rest: list[FieldError]) -> list[FieldError]:
    taken = {e.pointer for e in first}
    return first + [e for e in rest if e.pointer not in taken]


def store_uploads(session: Session, state: EngineState, definition: Definition, answers: Any,
                  files: list[uploads.Upload], lang: str) -> list[FieldError]:
    """Store each acceptable upload and put its id in the answers; a Japanese message for the others.
    A file answer whose attachment is gone (or already filed) asks for the file again."""
    lookup = uploads.file_fields(definition)
    validator = state.catalogue.validator(definition.id)
    storage = uploads.storage_for(state.settings)
    problems: list[FieldError] = []
    for upload in files:
        parts = lookup(upload.pointer)
        if parts is None:
            continue
        title = validator.title_at(path_of(upload.pointer), lang)
        message = uploads.problem(parts, upload, title)
        if message is not None:
            problems.append(FieldError(upload.pointer, "x-accept", message))
            continue
        attachment = uploads.store(session, storage, upload)
        _set(answers, path_of(upload.pointer), attachment.id)
    given = list(uploads.file_answers(definition, answers))
    kept = uploads.pending(session, [i for _, i in given])
    for pointer, attachment_id in given:
        if attachment_id not in kept and pointer not in {p.pointer for p in problems}:
            title = validator.title_at(path_of(pointer), lang)
            problems.append(FieldError(pointer, "x-widget", f"{title}のファイルをもう一度選んでください"))
    return problems


def _set(answers: Any, path: list[str | int], value: str) -> None:
    """Put an uploaded file's attachment id at its field (creating the objects on the way)."""
    holder = answers
    for depth, token in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(holder, dict):
            if last:
                holder[str(token)] = value
            else:
                holder = holder.setdefault(str(token), {})
        elif isinstance(holder, list) and str(token).isdigit() and int(token) < len(holder):
            if last:
                holder[int(token)] = value
            elif holder[int(token)] is None:
                holder[int(token)] = {}
            holder = holder[int(token)]
        else:
            return
