"""The step pages: GET shows a step from the draft; POST saves the whole draft, then goes on (303), comes
back with the step's errors (422), or re-renders after 追加/削除 (thin: rules live in flow.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from forms_engine.api.deps import EngineState, LangDep, StateDep, get_language
from forms_engine.drafts.schemas import CONFIRM, DraftState
from forms_engine.postal.service import default_lookup
from forms_engine.rendering import postal_action, posting, uploads
from forms_engine.rendering.context import (
    Current,
    already_page,
    blank_answers,
    closed_page,
    confirm_url,
    current_draft,
    definition_or_404,
    drafts,
    flow_for,
    is_blank,
    may_hold_files,
    open_draft,
    page,
    procedure_context,
    reading,
    redirect,
    remember,
    shared_page,
    start_url,
    step_url,
    writing,
)
from forms_engine.rendering.flow import Flow, StepRef
from forms_engine.rendering.language_routes import remember_choice
from forms_engine.rendering.pages import error_page, page_title
from forms_engine.rendering.parsing import apply_action, parse_choices, parse_form
from forms_engine.rendering.texts import text
from forms_engine.rendering.views import FormView
from forms_engine.validation.schemas import FieldError

router = APIRouter(include_in_schema=False)
STEP = "/procedures/{procedure_id}/steps/{step_id}"


def _step(flow: Flow, step_id: str) -> StepRef:
    step = flow.step(step_id)
    if step is None:
        raise HTTPException(404, "そのページはありません")
    return step


@router.get(STEP, response_class=HTMLResponse)
async def step_page(procedure_id: str, step_id: str, request: Request, state: StateDep) -> Response:
    """A step from the draft. One thread-pool hand-off, for the database (the language is read here, the
    session opened there)."""
    lang = get_language(request)
    definition = definition_or_404(state, procedure_id)
    flow = flow_for(state, definition, lang)
    step = _step(flow, step_id)
    return await run_in_threadpool(_show_step, request, state, flow, step)


def _show_step(request: Request, state: EngineState, flow: Flow, step: StepRef) -> Response:
    with reading(state) as session:
        current = open_draft(request, state, session, flow.definition, flow.lang)
        if isinstance(current, Response):
            return current
        check = request.query_params.get("check") == "1"
        if not check and is_blank(request, flow.definition, current):
            return _blank_step(request, state, flow, step)
        draft_state = current.state
        errors = flow.errors(current.draft.answers, draft_state.choices, step.index) if check else []
        return render_step(request, state, session, flow, step, current.draft.answers, draft_state.choices,
                           errors, status=422 if errors else 200)


def _blank_step(request: Request, state: EngineState, flow: Flow, step: StepRef) -> Response:
    """The step of a draft still as it was started: the same page for every resident but for the CSRF token,
    built once per definition version, step, language and address."""
    definition = flow.definition

    def build() -> tuple[str, dict[str, Any]]:
        answers, _ = blank_answers(request, definition)
        return "form.html", step_context(request, state, flow, step, answers, {}, {}, [])

    return shared_page(request, state, ("step", definition.id, definition.sha256, step.id), build, lang=flow.lang)


@router.post(STEP, response_class=HTMLResponse)
async def save_step(procedure_id: str, step_id: str, request: Request, state: StateDep, lang: LangDep) -> Response:
    definition = definition_or_404(state, procedure_id)
    posted = await posting.read(request, state)
    if not posted.csrf_ok:
        return error_page(request, 403, "")
    return await run_in_threadpool(_save_step, request, state, flow_for(state, definition, lang), step_id, posted)


@dataclass
class _Saving:
    """What a posted step does to the draft, worked out from the draft as read: the answers and state to keep,
    then the page to answer with (given a session to read attachments with, after the commit)."""

    current: Current
    answers: Any
    state: DraftState
    respond: Callable[[Session], Response]


def _save_step(request: Request, state: EngineState, flow: Flow, step_id: str, posted: posting.Posted) -> Response:
    """Read the draft, work out what the post makes of it, keep that, answer. The work (parsing, checking)
    is done outside the write transaction, on a snapshot, and the draft is written only if it has not
    changed since it was read (docs/adr/0005-saving-a-step.md): writers on SQLite queue for one lock, which is then held
    for the write alone. A draft changed meanwhile (another tab) is read and worked out again; uploads, a
    lost cookie (a new draft) or a draft that keeps changing are done under the write lock throughout."""
    step = _step(flow, step_id)
    if not flow.definition.is_open(datetime.now(UTC)):
        return closed_page(request, state, flow.definition, flow.lang, 409)
    if not posted.files:
        for _ in range(_OPTIMISTIC_TRIES):
            with reading(state) as session:
                found = _current_or_page(request, state, session, flow, step, start=False)
                if isinstance(found, Response):
                    return found
                if found is None:
                    break  # a new draft: below
                read_at = found.draft.updated_at
                saving = _work_out(request, state, session, flow, step, found, posted)
            with writing(state) as session:
                kept = drafts(state, session).save(saving.current.draft, flow.definition, saving.answers,
                                                   saving.state, unchanged_since=read_at)
            if kept:
                return _answer(request, state, saving)
    with writing(state) as session:
        found = _current_or_page(request, state, session, flow, step, start=True)
        if isinstance(found, Response):
            return found
        assert found is not None  # started when missing
        saving = _work_out(request, state, session, flow, step, found, posted)
        drafts(state, session).save(saving.current.draft, flow.definition, saving.answers, saving.state)
    return _answer(request, state, saving)


_OPTIMISTIC_TRIES = 3


def _current_or_page(request: Request, state: EngineState, session: Session, flow: Flow, step: StepRef,
                     *, start: bool) -> Current | Response | None:
    """This browser's draft; 「既に申請済みです」 when it was filed; None (or, when `start`, a new draft that keeps
    what was just typed) when the cookie is gone."""
    current = current_draft(request, state, session, flow.definition)
    if current is not None and current.submitted:
        return already_page(request, state, flow.definition, current.submitted, flow.lang, status=409)
    if current is None and start:
        started = drafts(state, session).start(flow.definition, {}, DraftState(step.id))
        current = Current(started.draft, started.code)
    return current


def _answer(request: Request, state: EngineState, saving: _Saving) -> Response:
    with reading(state) as session:
        return remember(request, saving.respond(session), state, saving.current)


def _work_out(request: Request, state: EngineState, session: Session, flow: Flow, step: StepRef, current: Current,
              posted: posting.Posted) -> _Saving:
    definition = flow.definition
    before = current.state
    answers = parse_form(definition, posted.strings)
    problems = posting.store_uploads(session, state, definition, answers, posted.files, flow.lang)
    answers, choices = flow.merge(current.draft.answers, before.choices, step.index, answers,
                                  parse_choices(posted.strings))
    to_confirm = request.query_params.get("return") == "confirm"
    verb = posted.action.partition(":")[0]
    here = DraftState(step.id, choices)
    if verb in ("add", "remove", "refresh", postal_action.VERB):
        autofilled = None
        changed = None
        if verb == postal_action.VERB:  # 「住所を自動入力」: empty parts of the address from its postal code
            answers, autofilled = postal_action.apply(flow, answers, choices, posted.action.partition(":")[2],
                                                      default_lookup())
        else:
            answers, choices, changed = apply_action(definition, answers, choices, posted.action)
            here = DraftState(step.id, choices)
        shown, shown_choices = answers, choices
        return _Saving(current, answers, here, lambda s: render_step(
            request, state, s, flow, step, shown, shown_choices, problems, status=422 if problems else 200,
            action=(verb, changed), autofilled=autofilled))
    if verb in ("save", "back", "language"):  # saved as typed, checked when the step is submitted
        if verb == "language":  # the same step again, in the other language, with what was just typed
            again = step_url(definition.id, step.id) + ("?return=confirm" if to_confirm else "")
            return _Saving(current, answers, here, lambda _: remember_choice(
                request, redirect(again), posted.action.partition(":")[2]))
        target = f"/procedures/{definition.id}/saved" if verb == "save" else _back(flow, step, to_confirm)
        return _Saving(current, answers, here, lambda _: redirect(target))
    errors = posting.merge_errors(problems, flow.errors(answers, choices, step.index))
    if errors:
        return _Saving(current, answers, here, lambda s: render_step(
            request, state, s, flow, step, answers, choices, errors, status=422))
    following = None if to_confirm or step.last else flow.steps[step.index + 1]
    target = step_url(definition.id, following.id) if following else confirm_url(definition.id)
    return _Saving(current, answers, DraftState(following.id if following else CONFIRM, choices),
                   lambda _: redirect(target))


def _back(flow: Flow, step: StepRef, to_confirm: bool) -> str:
    procedure_id = flow.definition.id
    if to_confirm:
        return confirm_url(procedure_id)
    return step_url(procedure_id, flow.steps[step.index - 1].id) if step.index else start_url(procedure_id)


def render_step(request: Request, state: EngineState, session: Session, flow: Flow, step: StepRef, answers: Any,
                choices: Mapping[str, int], errors: list[FieldError], *, status: int = 200,
                action: tuple[str, str | None] | None = None,
                autofilled: postal_action.Autofilled | None = None) -> HTMLResponse:
    attachments = uploads.pending(session, [i for _, i in uploads.file_answers(flow.definition, answers)]) \
        if may_hold_files(request, flow.definition) else {}
    context = step_context(request, state, flow, step, answers, choices, attachments, errors, action=action,
                           autofilled=autofilled)
    return page(request, state, "form.html", context, status=status, lang=flow.lang)


def step_context(request: Request, state: EngineState, flow: Flow, step: StepRef, answers: Any,
                 choices: Mapping[str, int], attachments: Mapping[str, Mapping[str, Any]], errors: list[FieldError],
                 *, action: tuple[str, str | None] | None = None,
                 autofilled: postal_action.Autofilled | None = None) -> dict[str, Any]:
    """What form.html shows of a step, but the CSRF token."""
    definition, lang = flow.definition, flow.lang
    view = flow.page(flow.layout(answers, choices, attachments), step.index, errors)
    status_message, focus = _after_action(view, action, lang)
    if autofilled is not None:
        focus = postal_action.show(view, autofilled, lang)
    if view.summary:
        focus = "error-summary"
    to_confirm = request.query_params.get("return") == "confirm"
    context = procedure_context(definition, lang)
    heading = text(lang, "step_title", title=step.title, n=step.number, total=step.count)
    return {
        **context,
        "title": page_title(heading, context["procedure"], state.settings.organisation_name,
                            error=bool(view.summary), lang=lang),
        "view": view, "step": step, "section": view.sections[0], "back_url": _back(flow, step, to_confirm),
        "action_url": step_url(definition.id, step.id, to_confirm=to_confirm),
        "status_message": status_message, "focus": focus,
    }


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
