"""The engine under test as a real server (`forms-engine serve` in a subprocess), the definitions it serves,
and the answers of a procedure as the form fields that carry them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms_engine.definitions.schemas import Definition
from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.parsing import form_items
from forms_engine.rendering.service import build_form
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = ROOT / "form_definitions"
SAMPLE_FIXTURES = ROOT / "tests" / "fixtures" / "samples"
SECRET_KEY = "browser-tests-secret-key"


def sample_ids() -> list[str]:
    """The sample procedures that have answers to file (tests/fixtures/samples/<id>.valid.json)."""
    ids = []
    for path in [*SAMPLES_DIR.glob("*.json"), *SAMPLES_DIR.glob("*/procedure.json")]:
        procedure_id = json.loads(path.read_text(encoding="utf-8")).get("x-procedure", {}).get("id")
        if procedure_id and (SAMPLE_FIXTURES / f"{procedure_id}.valid.json").exists():
            ids.append(procedure_id)
    return sorted(ids)


def sample_answers(procedure_id: str, kind: str) -> Any:
    """`kind` is "valid" or "invalid"; None when the sample has no such fixture."""
    path = SAMPLE_FIXTURES / f"{procedure_id}.{kind}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def merged_definitions(target: Path, corpus_dir: Path) -> Path:
    """form_definitions/ and the wrapped corpus schemas in one folder (`serve --definitions` takes one)."""
    shutil.copytree(SAMPLES_DIR, target)
    for path in sorted(corpus_dir.glob("*.json")):
        destination = target / path.name
        assert not destination.exists(), f"a corpus schema and a sample share the file name {path.name}"
        shutil.copy(path, destination)
    return target


# -- answers → form fields ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What a resident means to enter: control name → values (several for checkboxes), in field order,
    and how many items each list should have. `strict`: every value must be offered by the page."""

    values: dict[str, tuple[str, ...]]
    lengths: dict[str, int]
    strict: bool = True
    label: str = ""

    def without(self, name: str) -> Plan:
        return Plan({n: v for n, v in self.values.items() if n != name}, self.lengths, self.strict, self.label)

    def first(self, name: str) -> str:
        return self.values[name][0] if self.values.get(name) else ""


@dataclass
class Catalogue:
    """The served definitions, loaded in this process too, to turn answers into form fields."""

    folder: Path
    catalogue: DefinitionCatalogue = field(init=False)

    def __post_init__(self) -> None:
        formats = default_registry()
        definitions, problems = check([self.folder], lint_context(default_widgets(), formats), None)
        assert not problems, "\n".join(map(str, problems))
        self.catalogue = DefinitionCatalogue.build(definitions, formats)

    def definition(self, procedure_id: str) -> Definition:
        definition = self.catalogue.get(procedure_id)
        assert definition is not None, procedure_id
        return definition

    def signature_required(self, procedure_id: str) -> bool:
        return self.definition(procedure_id).meta.signature == "required"

    def plan(self, procedure_id: str, answers: Any, *, strict: bool = True, label: str = "") -> Plan:
        """The engine's own inverse of form parsing: the (name, value) pairs a form holding `answers` posts."""
        definition = self.definition(procedure_id)
        view = build_form(definition, self.catalogue.validator(procedure_id), answers, [])
        values: dict[str, tuple[str, ...]] = {}
        lengths: dict[str, int] = {}
        for name, value in form_items(view):
            if name.endswith("@length"):
                lengths[name.removesuffix("@length")] = int(value)
            else:
                values[name] = (*values.get(name, ()), value)
        return Plan(values, lengths, strict, label)


# -- the server ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class EngineServer:
    """`python -m forms_engine.cli serve` on a free loopback port, over a fresh data folder."""

    def __init__(self, definitions: Path, data_dir: Path, log: Path) -> None:
        self.definitions = definitions
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMS_ENGINE_")}
        env.update({
            "FORMS_ENGINE_DATA_DIR": str(data_dir),
            "FORMS_ENGINE_SECRET_KEY": SECRET_KEY,
            "FORMS_ENGINE_PUBLIC_ORIGIN": self.base_url,
            "PYTHONUNBUFFERED": "1",
        })
        self.env = env
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "forms_engine.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--definitions", str(definitions), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def cli(self, *args: str, stdin: str = "") -> str:
        """`forms-engine ARGS` on the served data folder (e.g. `staff add`, the password on standard input)."""
        done = subprocess.run([sys.executable, "-m", "forms_engine.cli", *args], cwd=ROOT, env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"forms-engine {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
        return done.stdout

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the engine exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the engine did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()
