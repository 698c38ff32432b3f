"""The ASGI application: built from injected settings and definitions."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from forms_engine.accessibility.routes import router as accessibility_router
from forms_engine.api import errors
from forms_engine.api.deps import EngineState
from forms_engine.api.limits import BodySizeLimit
from forms_engine.config import Settings
from forms_engine.db import engine_for
from forms_engine.definitions.routes import router as procedures_router
from forms_engine.definitions.service import DefinitionCatalogue
from forms_engine.exports import routes as export_routes
from forms_engine.exports.registry import default_exporters
from forms_engine.postal.routes import router as postal_router
from forms_engine.receipts.routes import router as receipts_router
from forms_engine.rendering.language_routes import router as language_router
from forms_engine.rendering.routes import router as pages_router
from forms_engine.rendering.widgets import WidgetRegistry, default_widgets
from forms_engine.residents.pages import router as resident_pages_router
from forms_engine.residents.routes import router as auth_router
from forms_engine.residents.service import AuthConfig
from forms_engine.residents.status_routes import router as resident_status_router
from forms_engine.signatures.routes import router as signatures_router
from forms_engine.signatures.service import build_verifier
from forms_engine.staff.admin_pages import router as staff_admin_pages_router
from forms_engine.staff.pages import router as staff_pages_router
from forms_engine.staff.routes import router as staff_router
from forms_engine.submissions.routes import router as submissions_router
from forms_engine.validation.formats import FormatRegistry, default_registry
from signing import VerifierRegistry


def create_app(
    settings: Settings,
    catalogue: DefinitionCatalogue,
    *,
    engine: Engine | None = None,
    formats: FormatRegistry | None = None,
    widgets: WidgetRegistry | None = None,
    verifiers: VerifierRegistry | None = None,
) -> FastAPI:
    app = FastAPI(title="forms-engine", version="0.1.0",
                  description="Japanese administrative procedures online: procedures, submissions, receipts.")
    app.state.forms_engine = EngineState(
        settings=settings,
        engine=engine or engine_for(settings),
        catalogue=catalogue,
        formats=formats or default_registry(),
        widgets=widgets or default_widgets(),
        secret_key=settings.ensure_secret_key(),
        sign_verifier=build_verifier(settings, verifiers),
    )
    settings.answers_keyring()  # the key file of sensitive answers: made on first start, an unusable one stops here
    app.state.residents = AuthConfig.from_settings(settings)  # login with the 利用者証明用 certificate
    errors.install(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Routes are matched in the order they are added, one by one: the resident pages, the most requested, come
    # first (no path of theirs overlaps another router's: /, /sitemap, /static, /procedures/…, /resume…).
    app.include_router(pages_router)
    app.include_router(procedures_router)
    app.include_router(submissions_router)
    app.include_router(signatures_router)
    app.include_router(auth_router)
    app.include_router(receipts_router)
    app.include_router(postal_router)
    app.include_router(accessibility_router)
    app.include_router(language_router)
    app.include_router(resident_pages_router)
    app.include_router(resident_status_router)  # 申請状況, 取下げ and 補正 (forms_engine/residents/status_routes.py)
    app.include_router(staff_router)  # the back office: API (forms_engine/staff/routes.py)
    app.include_router(staff_pages_router)  # … and pages under /staff/
    app.include_router(staff_admin_pages_router)  # … and a department's admins managing its staff
    app.include_router(export_routes.router_for(default_exporters()))  # streamed exports (forms_engine/exports/)

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, max_form_bytes=settings.max_form_bytes)
    return app
