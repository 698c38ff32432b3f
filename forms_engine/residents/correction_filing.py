"""Filing a correction (補正) from the confirmation page: what the confirmation, signing and completion pages show
of a draft started with 「補正する」, and the filing itself (`submissions.corrections` decides; the edge commits).
rendering.confirm_routes and rendering.signing_routes call in here for drafts that correct a submission."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from forms_engine.api.deps import EngineState, signing_service
from forms_engine.models import CorrectionDraft, Submission
from forms_engine.rendering import uploads
from forms_engine.rendering.context import (
    Current,
    completed,
    confirm_url,
    drafts,
    page,
    procedure_context,
    redirect,
)
from forms_engine.rendering.flow import Flow
from forms_engine.rendering.pages import page_title
from forms_engine.residents.texts import rtext, status_text
from forms_engine.residents.web import resident_account_id
from forms_engine.signatures.service import Binding
from forms_engine.staff.workflow import Refused
from forms_engine.submissions import repository as submissions
from forms_engine.submissions.corrections import Corrections, actor_for, status_token

_TITLES = {"already": ("already_corrected", "already_corrected_body"),
           "stale": ("stale_correction", "stale_correction_body"),
           "conflict": ("stale_correction", "correction_closed_body"),
           "signature": ("stale_correction", "signature_mismatch_body")}


def link_of(session: Session, draft_id: str) -> CorrectionDraft | None:
    """The submission a draft corrects (None: an ordinary draft, filed as a new submission)."""
    return submissions.correction_draft(session, draft_id)


def reserved_submission_id(session: Session, draft_id: str) -> str | None:
    """The id a signing request of this draft must reserve: the corrected submission's (None: a new one)."""
    link = link_of(session, draft_id)
    return link.submission_id if link is not None else None


def status_url(state: EngineState, submission: Submission) -> str:
    return f"/status/{submission.receipt_number}?token={status_token(state.secret_key, submission.id)}"


def confirm_context(session: Session, current: Current, lang: str) -> dict[str, str] | None:
    """The confirmation page's words for a correction: heading, lead and 「補正して申請する」."""
    link = link_of(session, current.draft.id)
    submission = submissions.by_id(session, link.submission_id) if link is not None else None
    if submission is None:
        return None
    return {"heading": rtext(lang, "confirm_correction"), "button": rtext(lang, "correction_submit"),
            "lead": rtext(lang, "confirm_correction_lead", number=submission.receipt_number)}


def completion_context(state: EngineState, session: Session, submission: Submission, current: Current | None,
                       lang: str) -> dict[str, Any]:
    """What the completion page adds: the link to 申請状況 (with its token), and its heading after a correction."""
    link = link_of(session, current.draft.id) if current is not None else None
    corrected = link is not None and link.submission_id == submission.id
    return {"status_link": {"title": rtext(lang, "status_link_title"), "note": rtext(lang, "status_link_note"),
                            "text": rtext(lang, "status_link"), "url": status_url(state, submission)},
            "corrected_title": rtext(lang, "corrected_title") if corrected else None}


def refused_page(request: Request, state: EngineState, session: Session, flow: Flow, link: CorrectionDraft,
                 keyword: str, status: int = 409) -> HTMLResponse:
    """「既に補正して申請済みです」 (a double click, a second tab, an older draft of the same request) and the other
    reasons a correction is not filed; nothing was filed by this request."""
    lang = flow.lang
    submission = submissions.by_id(session, link.submission_id)
    assert submission is not None
    heading_key, body_key = _TITLES.get(keyword, _TITLES["conflict"])
    context = procedure_context(flow.definition, lang)
    return page(request, state, "correction_refused.html", {
        **context, "rt": lambda key, **params: rtext(lang, key, **params),
        "title": page_title(rtext(lang, heading_key), context["procedure"], state.settings.organisation_name,
                            lang=lang),
        "heading": rtext(lang, heading_key), "body": rtext(lang, body_key, status=status_text(lang, submission.status)),
        "number": submission.receipt_number, "status_url": status_url(state, submission),
    }, lang=lang, status=status)


def file(request: Request, state: EngineState, session: Session, flow: Flow, current: Current,
         link: CorrectionDraft, request_id: str | None) -> Response:
    """File the draft's answers as the correction of the linked submission (same id and 受付番号), with the
    draft's signature when it was signed; then the completion page, like any filing."""
    definition, lang = flow.definition, flow.lang
    answers = current.draft.answers
    normalised = flow.validator.normalise(answers)
    if flow.validator.validate(normalised, lang):  # checked by the caller: the page sends to the step in error
        return redirect(confirm_url(definition.id))
    binding: Binding | None = None
    if request_id is not None:
        bound = signing_service(state, session).bind(definition, normalised, request_id, lang)
        if not isinstance(bound, Binding):  # the signing page says why
            session.rollback()
            return redirect(f"/procedures/{definition.id}/signing")
        binding = bound
    account = resident_account_id(request, state, session)
    try:
        filed = Corrections(session, state.settings.answers_keyring()).file(link, definition, normalised, binding,
                                                                            actor_for(account))
    except Refused as refused:
        session.rollback()
        return refused_page(request, state, session, flow, link, refused.keyword,
                            422 if refused.keyword == "signature" else 409)
    uploads.claim(session, filed.submission.id, [i for _, i in uploads.file_answers(definition, answers)])
    drafts(state, session).submitted(current.draft, filed.submission.receipt_number)
    session.commit()
    return completed(request, state, definition, filed.submission.receipt_number)
