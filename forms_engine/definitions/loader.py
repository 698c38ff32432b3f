"""Reading definition files from disk: which files, their JSON, their $ref neighbours."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forms_engine.definitions.schemas import Problem


@dataclass(frozen=True)
class SourceFile:
    path: Path
    document: Any
    neighbours: dict[str, Any]  # file URI -> document, for relative $ref targets beside a procedure.json


def discover(paths: list[Path]) -> list[Path]:
    """Definition files under the given files or folders: `<id>.json` and `<id>/procedure.json`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
            found.extend(sorted(path.glob("*/procedure.json")))
        else:
            found.append(path)
    return found


def read_json(path: Path) -> tuple[Any, Problem | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, Problem(str(path), "", "ファイルがありません")
    except (OSError, UnicodeDecodeError) as exc:
        return None, Problem(str(path), "", f"UTF-8 のファイルとして読めません: {exc}")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Problem(str(path), "", f"JSON として読めません（{exc.lineno}行{exc.colno}列）: {exc.msg}")


def read_source(path: Path) -> tuple[SourceFile | None, list[Problem]]:
    document, problem = read_json(path)
    if problem is not None:
        return None, [problem]
    neighbours: dict[str, Any] = {}
    problems: list[Problem] = []
    if path.name == "procedure.json":
        for other in sorted(path.parent.glob("*.json")):
            if other == path:
                continue
            doc, problem = read_json(other)
            if problem is not None:
                problems.append(problem)
            else:
                neighbours[other.resolve().as_uri()] = doc
    return SourceFile(path=path, document=document, neighbours=neighbours), problems
