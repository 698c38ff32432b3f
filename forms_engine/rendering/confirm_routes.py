"""The confirmation page and filing from it (with the draft's signature for signed procedures, see
signing_routes.py), the 一時保存 page, the completion page (thin: filing is SubmissionService's, the wording of
answers summary.py's)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep, submission_service
from forms_engine.drafts.service import format_code
from forms_engine.japanese.office_days import add_office_days
from forms_engine.japanese.wareki import JST, display_date, format_jst
from forms_engine.rendering import posting, security, signing_routes, uploads
from forms_engine.rendering.context import (
    Current,
    already_page,
    closed_page,
    completed,
    confirm_url,
    current_draft,
    definition_or_404,
    drafts,
    filing_key,
    flow_for,
    open_draft,
    page,
    place_url,
    procedure_context,
    redirect,
    start_url,
    step_url,
)
from forms_engine.rendering.flow import Flow, StepRef
from forms_engine.rendering.pages import error_page, page_title, render
from forms_engine.rendering.summary import confirmation
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FieldView
from forms_engine.residents import correction_filing
from forms_engine.residents.web import resident_account_id
from forms_engine.submissions import repository as submissions

router = APIRouter(include_in_schema=False)
router.include_router(signing_routes.router)
CONFIRM = "/procedures/{procedure_id}/confirm"


@router.get(CONFIRM, response_class=HTMLResponse)
def confirm_page(procedure_id: str, request: Request, state: StateDep, session: SessionDep,
                 lang: LangDep) -> Response:
    definition = definition_or_404(state, procedure_id)
    current = open_draft(request, state, session, definition, lang)
    if isinstance(current, Response):
        return current
    flow = flow_for(state, definition, lang)
    wrong = flow.first_step_with_errors(current.draft.answers, current.state.choices)
    if wrong is not None:  # the whole draft is checked here: back to the first step in error
        return redirect(step_url(procedure_id, wrong.id, to_confirm=True, check=True))
    return render_confirm(request, state, session, flow, current)


@router.post(CONFIRM, response_class=HTMLResponse)
async def submit(procedure_id: str, request: Request, state: StateDep, session: SessionDep,
                 lang: LangDep) -> Response:
    definition = definition_or_404(state, procedure_id)
    posted = await posting.read(request, state)
    if not posted.csrf_ok:
        return error_page(request, 403, "")
    fields = dict(posted.strings)
    return await run_in_threadpool(_submit, request, state, session, flow_for(state, definition, lang),
                                   fields.get("_signing", ""), fields.get("_request", ""))


def _submit(request: Request, state: EngineState, session: Session, flow: Flow, signing: str = "",
            signed_request: str = "") -> Response:
    """File the draft. `signing`: `start` / `renew` (「マイナンバーカードで署名する」, or the optional box ticked),
    `file` (「申請する」 after signing, `signed_request` naming the request the page showed)."""
    definition, lang = flow.definition, flow.lang
    current = current_draft(request, state, session, definition)
    if current is None:
        return redirect(start_url(definition.id))
    correction = correction_filing.link_of(session, current.draft.id)  # 「補正する」: same submission, same 受付番号
    if current.submitted and correction is not None:
        return correction_filing.refused_page(request, state, session, flow, correction, "already")
    if current.submitted:  # a double click, a refresh, back then submit: the first filing stands
        return completed(request, state, definition, current.submitted)
    if not definition.is_open(datetime.now(UTC)):
        return closed_page(request, state, definition, lang, 409)
    answers = current.draft.answers
    wrong = flow.first_step_with_errors(answers, current.state.choices)
    if wrong is not None:
        return redirect(step_url(definition.id, wrong.id, to_confirm=True, check=True))
    request_id: str | None = None
    if signing_routes.signs(state, flow):
        if signing in ("start", "renew") or (definition.meta.signature == "required" and signing != "file"):
            return signing_routes.start(request, state, session, flow, current, renew=signing == "renew")
        if signing == "file":
            if current.state.signing_request is None or signed_request != current.state.signing_request:
                notice = (text(lang, "signing_changed_title"), text(lang, "signing_changed_body"))
                return render_confirm(request, state, session, flow, current, notice=notice)
            progress = signing_routes.progress_of(state, session, flow, current)
            if not progress.fileable:  # the signing page says why (changed, expired, refused…)
                return redirect(signing_routes.signing_url(definition.id))
            request_id = progress.request_id
    elif definition.meta.signature == "required":  # no trust anchors here: say so, file nothing
        notice = (text(lang, "signature_unavailable_title"), text(lang, "signature_unavailable"))
        return render_confirm(request, state, session, flow, current, notice=notice)
    if correction is not None:
        return correction_filing.file(request, state, session, flow, current, correction, request_id)
    key = filing_key(state.secret_key, current.draft.id)
    outcome = submission_service(state, session).file(definition, flow.validator, answers, lang=lang,
                                                      idempotency_key=key, signing_request=request_id,
                                                      resident_account_id=resident_account_id(request, state, session))
    if outcome.status_code == 201:
        body = outcome.body
    else:
        session.rollback()
        record = submissions.get_idempotency(session, definition.id, key)
        if record is not None and record.status_code == 201:  # a twin request filed this draft first
            body = record.response
        elif outcome.status_code == 409:
            return closed_page(request, state, definition, lang, 409)
        elif request_id is not None:  # the signature was refused meanwhile: the signing page says why
            return redirect(signing_routes.signing_url(definition.id))
        else:  # the confirmation page checks the draft again and sends the resident to the step in error
            return redirect(confirm_url(definition.id))
    if outcome.submission is not None:
        uploads.claim(session, outcome.submission.id, [i for _, i in uploads.file_answers(definition, answers)])
    receipt_number = str(body["receipt_number"])
    drafts(state, session).submitted(current.draft, receipt_number)
    session.commit()
    return completed(request, state, definition, receipt_number)


def render_confirm(request: Request, state: EngineState, session: Session, flow: Flow, current: Current, *,
                   notice: tuple[str, str] | None = None) -> HTMLResponse:
    definition, lang = flow.definition, flow.lang
    answers, choices = current.draft.answers, current.state.choices
    attachments = uploads.pending(session, [i for _, i in uploads.file_answers(definition, answers)])

    def change_url(step: StepRef, field: FieldView) -> str:
        return step_url(definition.id, step.id, to_confirm=True) + f"#{field.id}"

    summary = confirmation(definition, flow.validator.formats, flow.layout(answers, choices, attachments),
                           flow.validator.normalise(answers), {i: str(a["name"]) for i, a in attachments.items()},
                           change_url, lang)
    context = procedure_context(definition, lang)
    last = flow.steps[-1]
    signing = signing_routes.confirm_context(state, session, flow, current)
    correction = correction_filing.confirm_context(session, current, lang)
    return page(request, state, "confirm.html", {
        **context, "correction": correction,
        "title": page_title(correction["heading"] if correction else text(lang, "confirm_page"), context["procedure"],
                            state.settings.organisation_name, lang=lang),
        "summary": summary, "single": not definition.meta.steps, "fee": definition.meta.fee,
        "back_url": step_url(definition.id, last.id), "signature_required": definition.meta.signature == "required",
        "signing": signing, "notice": notice, "focus": "notice" if notice else None,
    }, lang=lang)


@router.get("/procedures/{procedure_id}/saved", response_class=HTMLResponse)
def saved_page(procedure_id: str, request: Request, state: StateDep, session: SessionDep,
               lang: LangDep) -> Response:
    """After 「一時保存」: the resume code and link, how long the draft is kept, the way back to the form."""
    definition = definition_or_404(state, procedure_id)
    current = current_draft(request, state, session, definition)
    if current is None:
        return redirect(start_url(procedure_id))
    if current.submitted:
        return already_page(request, state, definition, current.submitted, lang)
    code = format_code(current.code)
    context = procedure_context(definition, lang)
    return render(request, "saved.html", {
        **context,
        "title": page_title(text(lang, "saved_page"), context["procedure"], state.settings.organisation_name,
                            lang=lang),
        "code": code, "resume_link": f"{state.settings.public_origin.rstrip('/')}/resume/{code}",
        "until": format_jst(current.draft.expires_at), "hours": state.settings.draft_retention_hours,
        "continue_url": place_url(flow_for(state, definition, lang), current.state.step),
    }, lang=lang)


@router.get("/procedures/{procedure_id}/complete/{receipt_number}", response_class=HTMLResponse)
def complete(procedure_id: str, receipt_number: str, request: Request, state: StateDep, session: SessionDep,
             lang: LangDep) -> Response:
    definition = definition_or_404(state, procedure_id)
    submission = submissions.by_receipt_number(session, receipt_number)
    current = current_draft(request, state, session, definition)
    proven = security.filed_here(request, state.secret_key, receipt_number) or (
        current is not None and current.submitted == receipt_number)
    if submission is None or submission.procedure_id != definition.id or not proven:
        raise HTTPException(404, "この受付番号の完了ページは、申請したブラウザでだけ表示できます")
    meta = definition.meta
    body = submission_service(state, session).created_body(submission)
    processing = None
    if meta.processing_days:
        due = add_office_days(submission.received_at.astimezone(JST).date(), meta.processing_days)
        processing = text(lang, "processing_days", n=meta.processing_days, date=display_date(due))
    context = procedure_context(definition, lang)
    return render(request, "complete.html", {
        **context, **correction_filing.completion_context(state, session, submission, current, lang),
        "title": page_title(text(lang, "complete_page"), context["procedure"], state.settings.organisation_name,
                            lang=lang),
        "receipt_number": submission.receipt_number, "received_at": format_jst(submission.received_at),
        "receipt_url": body["receipt_url"], "processing": processing,
    }, lang=lang)
