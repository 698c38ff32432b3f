"""Signing on the resident pages: 「マイナンバーカードで署名する」 makes a signing request for exactly the draft's
answers, 「署名の手順」 shows its code until the card client has signed, then the verdict in plain words (thin:
the rules are SigningService's; filing stays in confirm_routes)."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from forms_engine.api.deps import EngineState, LangDep, SessionDep, StateDep, signing_service
from forms_engine.japanese.wareki import format_jst, to_wareki, to_wareki_with_western
from forms_engine.receipts.qr import qr_matrix
from forms_engine.rendering.context import (
    Current,
    confirm_url,
    definition_or_404,
    drafts,
    flow_for,
    open_draft,
    page,
    procedure_context,
    redirect,
    remember,
    step_url,
)
from forms_engine.rendering.flow import Flow
from forms_engine.rendering.pages import page_title
from forms_engine.rendering.texts import text
from forms_engine.residents import correction_filing
from forms_engine.signatures.schemas import SigningProgress
from forms_engine.signatures.service import format_request_id

router = APIRouter(include_in_schema=False)
SIGNING = "/procedures/{procedure_id}/signing"
HOLDER_ORDER = ("name", "address", "birth_date", "sex")
_FAILURES = {  # verifier failure code -> the words a resident gets (signing_failure_<group>)
    "bad_format": "format", "too_large": "format", "binding_failed": "format", "cms_multiple_signers": "format",
    "signature_mismatch": "mismatch", "message_digest_mismatch": "mismatch", "signer_mismatch": "mismatch",
    "cms_content_type": "mismatch", "unsupported_algorithm": "kind", "weak_key": "kind",
    "unknown_critical_extension": "kind", "wrong_purpose": "kind", "wrong_policy": "kind",
    "untrusted_chain": "untrusted", "not_yet_valid": "not_yet_valid", "expired": "expired", "revoked": "revoked",
    "revocation_not_checked": "revocation", "revocation_unknown": "revocation",
}
_TITLES = {"pending": "signing_page", "valid": "signing_valid_title", "accepted": "signing_accepted_title",
           "refused": "signing_invalid_title", "invalid": "signing_invalid_title",
           "expired": "signing_expired_title", "changed": "signing_changed_title", "used": "signing_used_title"}


def signing_url(procedure_id: str) -> str:
    return f"/procedures/{procedure_id}/signing"


def signs(state: EngineState, flow: Flow) -> bool:
    """Whether this deployment signs this procedure here (it asks for a signature and anchors are set)."""
    return flow.definition.meta.signature != "none" and state.sign_verifier is not None


def progress_of(state: EngineState, session: Session, flow: Flow, current: Current) -> SigningProgress:
    answers = flow.validator.normalise(current.draft.answers)
    return signing_service(state, session).progress(flow.definition, answers, current.state.signing_request)


def start(request: Request, state: EngineState, session: Session, flow: Flow, current: Current, *,
          renew: bool = False) -> Response:
    """「マイナンバーカードで署名する」: a signing request for exactly the draft's (normalised, valid) answers, kept in
    the draft; a pending one for the same answers is shown again (double click, refresh) unless `renew`."""
    if renew or progress_of(state, session, flow, current).stage != "pending":
        answers = flow.validator.normalise(current.draft.answers)
        reserved = correction_filing.reserved_submission_id(session, current.draft.id)  # a correction: its own id
        outcome = signing_service(state, session).create_request(flow.definition, answers, flow.lang,
                                                                 submission_id=reserved)
        if outcome.status_code != 201:  # no anchors: the confirmation page says so
            return redirect(confirm_url(flow.definition.id))
        following = replace(current.state, signing_request=str(outcome.body["id"]))
        drafts(state, session).save(current.draft, flow.definition, current.draft.answers, following)
        session.commit()
    return remember(request, redirect(signing_url(flow.definition.id)), state, current)


@router.get(SIGNING, response_class=HTMLResponse)
def signing_page(procedure_id: str, request: Request, state: StateDep, session: SessionDep,
                 lang: LangDep) -> Response:
    """「署名の手順」 while the card client signs (reload it to check), then the verdict."""
    definition = definition_or_404(state, procedure_id)
    current = open_draft(request, state, session, definition, lang)
    if isinstance(current, Response):
        return current
    flow = flow_for(state, definition, lang)
    if not signs(state, flow):
        return redirect(confirm_url(procedure_id))
    wrong = flow.first_step_with_errors(current.draft.answers, current.state.choices)
    if wrong is not None:
        return redirect(step_url(procedure_id, wrong.id, to_confirm=True, check=True))
    progress = progress_of(state, session, flow, current)
    if progress.stage == "missing":
        return redirect(confirm_url(procedure_id))
    return render_signing(request, state, flow, progress)


def render_signing(request: Request, state: EngineState, flow: Flow, progress: SigningProgress) -> HTMLResponse:
    definition, lang = flow.definition, flow.lang
    context = procedure_context(definition, lang)
    settings = state.settings
    request_id = progress.request_id or ""
    client_url = f"{settings.public_origin.rstrip('/')}/api/v1/signing-requests/{request_id}"
    pending = progress.stage == "pending"
    heading = text(lang, _TITLES[progress.stage])
    return page(request, state, "signing.html", {
        **context,
        "title": page_title(heading, context["procedure"], settings.organisation_name, lang=lang),
        "heading": heading, "stage": progress.stage, "request_id": request_id,
        "code_groups": format_request_id(request_id).split("-"),
        "qr": qr_data_uri(client_url) if pending else None,
        "poll_url": f"/api/v1/signing-requests/{request_id}",
        "expires": format_jst(progress.expires_at) if progress.expires_at else "",
        "minutes": max(settings.signing_request_ttl_seconds // 60, 1),
        "failure": failure_text(progress, lang), "certificate": certificate_rows(progress, lang),
        "signing_url": signing_url(definition.id), "confirm_url": confirm_url(definition.id),
        "focus": None if pending else "signing-result",
    }, lang=lang)


def confirm_context(state: EngineState, session: Session, flow: Flow, current: Current) -> dict[str, Any]:
    """What the confirmation page says about signing: `mode` none | unavailable (no anchors) | required |
    optional, and for a signing deployment where the draft's request stands."""
    meta = flow.definition.meta
    if meta.signature == "none":
        return {"mode": "none"}
    if not signs(state, flow):
        return {"mode": "unavailable" if meta.signature == "required" else "none"}
    progress = progress_of(state, session, flow, current)
    return {"mode": meta.signature, "stage": progress.stage, "fileable": progress.fileable,
            "request_id": progress.request_id or "", "certificate": certificate_rows(progress, flow.lang),
            "expires": format_jst(progress.expires_at) if progress.expires_at else "",
            "signing_url": signing_url(flow.definition.id)}


def failure_text(progress: SigningProgress, lang: str) -> str | None:
    if progress.stage not in ("invalid", "refused"):
        return None
    return text(lang, f"signing_failure_{_FAILURES.get(progress.failure or '', 'other')}")


def certificate_rows(progress: SigningProgress, lang: str) -> list[tuple[str, str]]:
    """The signer's certificate in words: the 基本4情報 the procedure reads, issuer, serial, validity,
    revocation. Only for a signature fit to file (nothing is shown from a certificate that failed)."""
    if not progress.fileable or progress.record is None:
        return []
    holder = progress.holder
    rows = [(text(lang, f"holder_{name}"), _holder_value(name, holder[name], lang))
            for name in HOLDER_ORDER if name in holder]
    certificate = progress.record.get("certificate") or {}
    if certificate:
        validity = "〜".join(_day(certificate.get(k)) for k in ("not_before", "not_after"))
        rows += [(text(lang, "certificate_issuer"), str(certificate.get("issuer", ""))),
                 (text(lang, "certificate_serial"), str(certificate.get("serial", ""))),
                 (text(lang, "certificate_validity"), validity)]
    revocation = (progress.record.get("revocation") or {}).get("status")
    rows.append((text(lang, "certificate_revocation"),
                 text(lang, "revocation_good" if revocation == "good" else "revocation_later")))
    return rows


def _holder_value(name: str, value: str | None, lang: str) -> str:
    if value is None:
        return text(lang, "holder_absent")
    if name == "birth_date":
        try:
            return to_wareki_with_western(date.fromisoformat(value))
        except ValueError:
            return value
    if name == "sex":
        return text(lang, f"holder_sex_{value}")
    return value


def _day(value: Any) -> str:
    try:
        return to_wareki(datetime.fromisoformat(str(value)).date())
    except (TypeError, ValueError):
        return str(value or "")


def qr_data_uri(content: str, quiet: int = 4) -> str:
    """The QR code of `content` as an SVG image in a data: URL (CSP allows `img-src data:`), one path of
    dark runs on a white square, drawn on the module grid."""
    matrix = qr_matrix(content)
    size = len(matrix) + 2 * quiet
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start_x = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start_x + quiet} {y + quiet}h{x - start_x}v1h-{x - start_x}z")
            else:
                x += 1
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
           f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
