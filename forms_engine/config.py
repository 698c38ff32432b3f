"""Configuration, read from the environment (FORMS_ENGINE_*) and injected, never imported as a global."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

from forms_engine.submissions.protection import Keyring

MIN_DRAFT_RETENTION_HOURS = 20
"""WCAG 2.2.1: drafts kept at least 20 hours need no time-out warning."""


class Settings(BaseSettings):
    """Deployment settings. See the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="FORMS_ENGINE_", extra="ignore")

    database_url: str | None = None
    definitions_dir: Path = Path("form_definitions")
    data_dir: Path = Path("var")
    secret_key: str | None = None
    key_file: Path | None = None  # keys of the sensitive answers (encrypted at rest); never in the database
    organisation_name: str = "forms-engine 見本市"
    max_body_bytes: int = 1_048_576
    max_form_bytes: int = 33_554_432
    idempotency_ttl_hours: int = 24
    public_origin: str = "http://127.0.0.1:8000"
    signature_verifier: str = "jpki"  # by name, from the verifier registry (built-in jpki + entry points)
    jpki_sign_anchors: Path | None = None
    jpki_auth_anchors: Path | None = None
    jpki_allow_test_policy: bool = False
    crl_dir: Path | None = None
    jpki_ocsp_url: str | None = None  # asked first, before the CRL folder (revocation of both purposes)
    jpki_auth_revocation: Literal["require", "best_effort"] = "require"  # login when revocation is unknown?
    resident_session_idle_minutes: int = Field(default=30, ge=1)  # 申請履歴: logged out after this idle time
    resident_session_max_hours: int = Field(default=12, ge=1)
    signing_request_ttl_seconds: int = 300
    draft_retention_hours: int = Field(default=72, ge=MIN_DRAFT_RETENTION_HOURS)
    resume_max_failures: int = Field(default=10, ge=1)  # wrong resume codes per client and window
    resume_window_minutes: int = Field(default=10, ge=1)
    staff_session_idle_minutes: int = Field(default=30, ge=1)  # back office: logged out after this idle time
    staff_session_max_hours: int = Field(default=12, ge=1)  # … and this long after logging in, whatever happens
    staff_login_max_failures: int = Field(default=5, ge=1)  # wrong passwords per login and client network
    staff_login_window_minutes: int = Field(default=15, ge=1)

    _keyring: Keyring | None = PrivateAttr(default=None)

    @property
    def answers_key_file(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "keys" / "answers.key"

    def answers_keyring(self) -> Keyring:
        """The keys of sensitive answers, read once from the key file (created 0600 on first start)."""
        if self._keyring is None:
            self._keyring = Keyring.load_or_create(self.answers_key_file)
        return self._keyring

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'forms-engine.sqlite3').resolve()}"

    @property
    def is_embedded_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def ensure_secret_key(self) -> str:
        """The configured key, or one generated once into the data dir and reused after."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        self.secret_key = path.read_text(encoding="utf-8").strip()
        return self.secret_key


def settings_for_command(args: Any) -> Settings:
    """The settings of a CLI command: the environment, with its ``--database-url`` and ``--definitions``
    options (where the command has them) taking precedence."""
    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "definitions", None):
        overrides["definitions_dir"] = args.definitions
    return Settings(**overrides)
