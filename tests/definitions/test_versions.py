"""Versions: old submissions keep their definition; changed content needs a new version number."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from forms_engine.bootstrap import StartupRefused, build_app
from forms_engine.config import Settings
from forms_engine.definitions.service import check, lint_context
from forms_engine.models import DefinitionVersion, Submission
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry
from tests.conftest import FIXTURES


def _edit(path: Path, title: str, version: str | None = None) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["title"] = title
    if version:
        doc["x-procedure"]["version"] = version
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_changed_content_under_the_same_version_is_refused(
    make_client: Callable[..., TestClient], definitions_copy: Path, db_engine: Engine
) -> None:
    answers = json.loads((FIXTURES / "samples" / "dog-registration.valid.json").read_text(encoding="utf-8"))
    client = make_client(definitions_copy)
    sub = client.post("/api/v1/procedures/dog-registration/submissions", json={"answers": answers}).json()
    path = definitions_copy / "dog-registration.json"
    original = json.loads(path.read_text(encoding="utf-8"))
    ctx = lint_context(default_widgets(), default_registry())

    _edit(path, "犬の登録申請（改）")
    _, problems = check([definitions_copy], ctx, db_engine)
    assert [(Path(p.file).name, p.pointer) for p in problems] == [("dog-registration.json", "/x-procedure/version")]
    assert "version を上げてください" in problems[0].message

    _edit(path, "犬の登録申請（改）", version="1.1.0")
    _, problems = check([definitions_copy], ctx, db_engine)
    assert problems == []
    with Session(db_engine) as s:  # the old submission still shows with the definition it was filed against
        stored = s.get(Submission, sub["id"])
        assert stored is not None
        kept = s.get(DefinitionVersion, stored.definition_sha256)
        assert kept is not None and kept.document == original and kept.version == original["x-procedure"]["version"]


def test_whitespace_and_key_order_do_not_change_identity(definitions_copy: Path) -> None:
    from forms_engine.definitions.canonical import definition_sha256

    path = definitions_copy / "dog-registration.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    reordered = dict(reversed(list(doc.items())))
    assert definition_sha256(doc) == definition_sha256(reordered)
    assert definition_sha256(doc) != definition_sha256({**doc, "title": doc["title"] + "。"})


def test_serve_refuses_an_invalid_definition(definitions_copy: Path, tmp_path: Path) -> None:
    path = definitions_copy / "dog-registration.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["x-procedure"]["version"] = "v1"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(StartupRefused) as refused:
        build_app(Settings(data_dir=tmp_path / "data", definitions_dir=definitions_copy, secret_key="k"))
    assert refused.value.lines == [f"{path}: /x-procedure/version: version 'v1' は"
                                   "セマンティック バージョン（例: 1.0.0）にしてください"]
