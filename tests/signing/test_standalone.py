"""signing/ stands alone: no module of it imports forms_engine (a municipality may use it separately)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "signing"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ):
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return names


def test_no_module_imports_forms_engine():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 8
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(name for name in imported_modules(path)
                                               if name == "forms_engine" or name.startswith("forms_engine."))
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_signing_does_not_load_forms_engine():
    code = ("import sys, signing, signing.jpki, signing.revocation, signing.registry, signing.cms; "
            "assert not any(m == 'forms_engine' or m.startswith('forms_engine.') for m in sys.modules), 'leak'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent, timeout=60)
