"""Resident pages: the catalogue, a procedure's form, filing it, and the completion page (thin: rules live in
service.py, parsing.py and uploads.py; filing is SubmissionService's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep, submission_service
from forms_engine.definitions.schemas import Definition
from forms_engine.receipts.wareki import JST, format_jst, to_wareki
from forms_engine.rendering import security, uploads
from forms_engine.rendering.dates import add_office_days
from forms_engine.rendering.defaults import default_answers
from forms_engine.rendering.pages import STATIC_DIR, error_page, page_title, render
from forms_engine.rendering.parsing import apply_action, parse_choices, parse_form
from forms_engine.rendering.service import build_form
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FormView, pointer_of_name
from forms_engine.submissions import repository
from forms_engine.validation.schemas import FieldError

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
MAX_FIELDS = 5000


def _definition(state: EngineState, procedure_id: str) -> Definition:
    definition = state.catalogue.get(procedure_id)
    if definition is None:
        raise HTTPException(404, "その手続はありません")
    return definition


@router.get("/", response_class=HTMLResponse)
def catalogue(request: Request, state: StateDep, lang: LangDep) -> HTMLResponse:
    now = datetime.now(UTC)
    english = lang == "en"
    procedures = [{
        "id": d.id,
        "title": (d.meta.title_en if english and d.meta.title_en else None) or d.title,
        "summary": (d.meta.summary_en if english and d.meta.summary_en else None) or d.meta.summary,
        "department": d.meta.department_name,
    } for d in state.catalogue.all() if d.is_open(now)]
    organisation = state.settings.organisation_name
    return render(request, "catalogue.html", {
        "title": page_title(text(lang, "catalogue"), None, organisation), "procedures": procedures}, lang=lang)


@router.get("/procedures/{procedure_id}", response_class=HTMLResponse)
def form_page(procedure_id: str, request: Request, state: StateDep, lang: LangDep) -> Response:
    definition = _definition(state, procedure_id)
    if not definition.is_open(datetime.now(UTC)):
        return _closed(request, state, definition, lang, 200)
    return _form(request, state, definition, default_answers(definition), [], lang, token=security.form_token())


@router.post("/procedures/{procedure_id}", response_class=HTMLResponse)
async def submit(procedure_id: str, request: Request, state: StateDep, session: SessionDep, lang: LangDep) -> Response:
    definition = _definition(state, procedure_id)
    form = await request.form(max_files=100, max_fields=MAX_FIELDS)
    if not security.csrf_ok(state.secret_key, request, form.get("_csrf")):
        return error_page(request, 403, "")
    strings = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    files = [uploads.Upload(pointer_of_name(k), v.filename or "", v.content_type or "", await v.read())
             for k, v in form.multi_items() if isinstance(v, UploadFile) and v.filename]
    action = form.get("_action")
    token = security.form_token(form.get("_token"))
    return await run_in_threadpool(_post, request, state, session, definition, strings, files,
                                   action if isinstance(action, str) else "", token, lang)


def _post(request: Request, state: EngineState, session: Session, definition: Definition,
          strings: list[tuple[str, str]], files: list[uploads.Upload], action: str, token: str, lang: str) -> Response:
    validator = state.catalogue.validator(definition.id)
    answers = parse_form(definition, strings)
    choices = parse_choices(strings)
    problems = _store_uploads(session, state, definition, answers, files, lang)
    attachments = uploads.pending(session, [i for _, i in uploads.file_answers(definition, answers)])
    for pointer, attachment_id in uploads.file_answers(definition, answers):
        if attachment_id not in attachments and pointer not in {p.pointer for p in problems}:
            title = validator.title_at(_path(pointer), lang)
            problems.append(FieldError(pointer, "x-widget", f"{title}のファイルをもう一度選んでください"))
    session.commit()  # uploads are kept whatever happens next
    verb = action.partition(":")[0]
    if verb in ("add", "remove", "refresh"):
        answers, choices, changed = apply_action(definition, answers, choices, action)
        return _form(request, state, definition, answers, problems, lang, token=token, choices=choices,
                     attachments=attachments, action=(verb, changed))
    if not definition.is_open(datetime.now(UTC)):
        return _closed(request, state, definition, lang, 409)
    key = security.idempotency_key(state.secret_key, request, token)
    record = repository.get_idempotency(session, definition.id, key)
    if record is not None and record.status_code == 201:  # a double click, a refresh, or back then resubmit
        return _completed(request, state, definition, str(record.response["receipt_number"]))
    if problems or definition.meta.signature == "required":
        errors = _merge(problems, validator.validate(validator.normalise(answers), lang))
        notice = None if errors else (text(lang, "signature_unavailable_title"), text(lang, "signature_unavailable"))
        return _form(request, state, definition, answers, errors, lang, token=token, choices=choices,
                     attachments=attachments, notice=notice, status=422 if errors else 200)
    outcome = submission_service(state, session).file(definition, validator, answers, lang=lang,
                                                      idempotency_key=key)
    if outcome.status_code == 201:
        if outcome.submission is not None:
            uploads.claim(session, outcome.submission.id, [i for _, i in uploads.file_answers(definition, answers)])
        session.commit()
        return _completed(request, state, definition, str(outcome.body["receipt_number"]))
    session.rollback()
    if outcome.status_code == 409:
        return _closed(request, state, definition, lang, 409)
    errors = [FieldError(str(e.get("pointer", "")), str(e.get("keyword", "")), str(e.get("message", "")))
              for e in outcome.body.get("errors", [])]
    return _form(request, state, definition, answers, errors, lang, token=token, choices=choices,
                 attachments=attachments, status=422)


def _path(pointer: str) -> list[str | int]:
    return [int(t) if t.isdigit() else t for t in pointer.split("/")[1:]]


def _merge(first: list[FieldError], rest: list[FieldError]) -> list[FieldError]:
    taken = {e.pointer for e in first}
    return first + [e for e in rest if e.pointer not in taken]


def _store_uploads(session: Session, state: EngineState, definition: Definition, answers: Any,
                   files: list[uploads.Upload], lang: str) -> list[FieldError]:
    """Store each acceptable upload and put its id in the answers; a Japanese message for the others."""
    lookup = uploads.file_fields(definition)
    validator = state.catalogue.validator(definition.id)
    storage = uploads.storage_for(state.settings)
    problems: list[FieldError] = []
    for upload in files:
        parts = lookup(upload.pointer)
        if parts is None:
            continue
        title = validator.title_at(_path(upload.pointer), lang)
        message = uploads.problem(parts, upload, title)
        if message is not None:
            problems.append(FieldError(upload.pointer, "x-accept", message))
            continue
        attachment = uploads.store(session, storage, upload)
        _set(answers, _path(upload.pointer), attachment.id)
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


def _form(request: Request, state: EngineState, definition: Definition, answers: Any, errors: list[FieldError],
          lang: str, *, token: str, choices: dict[str, int] | None = None,
          attachments: dict[str, dict[str, Any]] | None = None, notice: tuple[str, str] | None = None,
          action: tuple[str, str | None] | None = None, status: int = 200) -> HTMLResponse:
    validator = state.catalogue.validator(definition.id)
    view = build_form(definition, validator, answers, errors, lang, choices=choices, widgets=state.widgets,
                      attachments=attachments)
    status_message, focus = _after_action(view, action, lang)
    if view.summary:
        focus = "error-summary"
    elif notice is not None:
        focus = "notice"
    browser, fresh = security.browser_id(request)
    meta = definition.meta
    response = render(request, "form.html", {
        "title": page_title(text(lang, "form_page"), view.title, state.settings.organisation_name,
                            error=bool(view.summary), lang=lang),
        "view": view, "procedure_id": definition.id, "department": meta.department_name, "contact": meta.contact,
        "fee": meta.fee, "signature_required": meta.signature == "required", "notice": notice,
        "status_message": status_message, "focus": focus,
        "csrf": security.csrf_token(state.secret_key, browser), "token": token,
    }, status=status, lang=lang)
    if fresh:
        security.set_browser_cookie(request, response, browser)
    return response


def _after_action(view: FormView, action: tuple[str, str | None] | None, lang: str) -> tuple[str | None, str | None]:
    """After 追加/削除: a status message and the control to focus."""
    if action is None or action[1] is None:
        return None, None
    verb, pointer = action
    fields = list(view.fields())
    if verb == "refresh":
        chosen = next((f for f in fields if f.pointer == pointer and f.widget == "alternatives"), None)
        return None, (chosen.children[0].focus_id if chosen is not None and chosen.children else None)
    changed = next((f for f in fields if f.pointer == pointer and f.widget != "alternatives"), None)
    if changed is None:
        return None, None
    if verb == "add" and changed.children:
        return text(lang, "added", label=changed.label), changed.children[-1].focus_id
    if verb == "remove":
        return text(lang, "removed", label=changed.label), changed.focus_id
    return None, changed.focus_id


def _completed(request: Request, state: EngineState, definition: Definition, receipt_number: str) -> Response:
    response = RedirectResponse(f"/procedures/{definition.id}/complete/{receipt_number}", status_code=303)
    security.set_filed_cookie(request, response, state.secret_key, definition.id, receipt_number)
    return security.secure(response)


def _closed(request: Request, state: EngineState, definition: Definition, lang: str, status: int) -> HTMLResponse:
    meta = definition.meta
    return render(request, "closed.html", {
        "title": page_title(text(lang, "closed_title"), definition.title, state.settings.organisation_name),
        "procedure": definition.title, "contact": meta.contact,
        "opens_at": format_jst(meta.opens_at) if meta.opens_at and meta.opens_at.tzinfo else None,
        "closes_at": format_jst(meta.closes_at) if meta.closes_at and meta.closes_at.tzinfo else None,
    }, status=status, lang=lang)


@router.get("/procedures/{procedure_id}/complete/{receipt_number}", response_class=HTMLResponse)
def complete(procedure_id: str, receipt_number: str, request: Request, state: StateDep, session: SessionDep,
             lang: LangDep) -> Response:
    definition = _definition(state, procedure_id)
    submission = repository.by_receipt_number(session, receipt_number)
    if (submission is None or submission.procedure_id != definition.id
            or not security.filed_here(request, state.secret_key, receipt_number)):
        raise HTTPException(404, "この受付番号の完了ページは、申請したブラウザでだけ表示できます")
    meta = definition.meta
    body = submission_service(state, session).created_body(submission)
    processing = None
    if meta.processing_days:
        due = add_office_days(submission.received_at.astimezone(JST).date(), meta.processing_days)
        processing = text(lang, "processing_days", n=meta.processing_days, date=to_wareki(due))
    return render(request, "complete.html", {
        "title": page_title(text(lang, "complete_page"), definition.title, state.settings.organisation_name),
        "procedure": definition.title, "receipt_number": submission.receipt_number,
        "received_at": format_jst(submission.received_at), "receipt_url": body["receipt_url"],
        "department": meta.department_name, "contact": meta.contact, "processing": processing,
    }, lang=lang)
