"""CSV: 受付番号, 受付日時 (JST), 状態, 手続の版, then one column per leaf field (see columns.py).

UTF-8 with a BOM (Excel opens it as UTF-8) or cp932. A value cp932 cannot hold is found by the pre-scan and
reported with its 受付番号 and column; nothing is ever replaced. A cell that starts with ``= + - @``, a tab
or a carriage return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it
as a formula (CSV injection); negative numbers therefore read ``'-5``. Sensitive values are masked by
column (masking.py) unless the reader may see them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from forms_engine.exports import columns as cols
from forms_engine.exports import masking
from forms_engine.exports.cells import RISKY_FIRST, Emit, JstClock, Overflow, Unusual, compile_cells
from forms_engine.exports.masking import MASK
from forms_engine.exports.registry import ExportFormat
from forms_engine.exports.schemas import EncodingProblem, ExportContext, FlatRow

META = ("受付番号", "受付日時", "状態", "手続の版")
_RISKY_FIRST = RISKY_FIRST
_FLUSH = 256 * 1024
MAX_PROBLEMS = 1000
_GREW = "配列の件数が書き出しの列を超えました（もう一度書き出してください）"


def safe(value: str) -> str:
    return "'" + value if value and value[0] in _RISKY_FIRST else value


class ArraysGrew(RuntimeError):
    """A submission filed after the pre-scan holds more items than the columns allow: stop, never drop."""


@dataclass(frozen=True)
class _Plan:
    """The cells of one definition version: compiled (cells.py), and per column its path and the length of its
    masked prefix for the general path (a row holding a shape the columns do not describe)."""

    emit: Emit
    cells: list[tuple[cols.Path, int | None]]
    arrays: list[tuple[cols.Path, int]]  # arrays to check for overflow (masked ones show one cell)


class CsvExporter:
    def __init__(self, context: ExportContext) -> None:
        self.context = context
        self.tree = cols.tree(list(context.documents.values()))
        self.counts: dict[cols.Path, int] = {}
        self.codec = "utf-8" if context.encoding == "utf-8-sig" else context.encoding
        self.by_column = not context.show_sensitive
        self._hidden: dict[str, frozenset[cols.Path]] = {}

    def hidden(self, sha: str) -> frozenset[cols.Path]:
        if not self.by_column:
            return frozenset()
        if sha not in self._hidden:
            self._hidden[sha] = masking.hidden_places(self.context.documents.get(sha, {}), self.tree)
        return self._hidden[sha]

    def rows(self, session: Session) -> Iterator[list[FlatRow]]:
        """Stored answers when masking by column (never decrypted), otherwise unsealed."""
        return self.context.source.flat_batches(session, unsealed=not self.by_column)

    def prescan(self, session: Session) -> list[EncodingProblem]:
        strict = self.codec != "utf-8"
        if not strict and not cols.has_arrays(self.tree):
            return []
        if not strict and self._count_in_database(session):
            return []
        problems: list[EncodingProblem] = []
        number = ""

        def check(header: str, value: str) -> None:
            try:
                value.encode(self.codec)
            except UnicodeEncodeError as exc:
                if len(problems) < MAX_PROBLEMS:
                    problems.append(EncodingProblem(number, header, value[exc.start:exc.end]))

        if strict:
            for header in (*META, *(c.header for c in cols.layout(self.tree, _Everything()).columns)):
                check(header, header)
        for batch in self.rows(session):
            for row in batch:
                number = row[0]  # named by check()
                cols.scan(self.tree, row[5], self.counts, check if strict else None, hidden=self.hidden(row[4]))
        return problems

    def _count_in_database(self, session: Session) -> bool:
        """UTF-8 needs only the arrays' lengths: when every array is a top-level answer with no array inside,
        the database counts them."""
        keys = [k for k, c in self.tree.children.items() if c.kind == "array"]
        if any(c.item is None or cols.has_arrays(c.item) for c in self.tree.children.values() if c.kind == "array") \
                or any(cols.has_arrays(c) for c in self.tree.children.values() if c.kind != "array"):
            return False
        if any(masking.hidden_prefix((key,), self.hidden(sha)) is not None
               for sha in self.context.documents for key in keys):
            return False  # a masked array is sealed as one value: the rows are read to see which hold one
        for lengths in self.context.source.array_lengths(session, keys).values():
            for key, length in lengths.items():
                self.counts[(key,)] = max(self.counts.get((key,), 0), length)
        return True

    def chunks(self, session: Session) -> Iterator[bytes]:
        layout = cols.layout(self.tree, self.counts)
        plans: dict[str, _Plan] = {}
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([safe(h) for h in (*META, *(c.header for c in layout.columns))])
        yield (b"\xef\xbb\xbf" if self.context.encoding == "utf-8-sig" else b"") + self._drain(buffer)
        done = 0
        clock = JstClock()
        for batch in self.rows(session):
            lines = []
            for row in batch:
                number, received, status, version, sha, answers = row[:6]
                plan = plans.get(sha)
                if plan is None:
                    plan = plans[sha] = self._plan(layout, sha)
                line = [number, clock(received), safe(status), safe(version)]
                try:
                    plan.emit(answers, line)
                except Overflow:
                    raise ArraysGrew(f"{number}: {_GREW}") from None
                except Unusual:  # read exactly, cell by cell
                    exact = self.context.source.exact_answers(row, unsealed=not self.by_column)
                    line[4:] = self._cells(number, sha, exact, plan)
                lines.append(line)
            writer.writerows(lines)
            done += len(batch)
            if self.context.progress is not None:
                self.context.progress(done)
            if buffer.tell() >= _FLUSH:
                yield self._drain(buffer)
        yield self._drain(buffer)

    def _plan(self, layout: cols.Layout, sha: str) -> _Plan:
        hidden = self.hidden(sha)
        emit = compile_cells(self.tree, self.counts, hidden.__contains__, self.by_column, MASK,
                             [c.path for c in layout.columns])
        return _Plan(emit, [(c.path, masking.hidden_prefix(c.path, hidden)) for c in layout.columns],
                     [(path, count) for path, count in layout.arrays if masking.hidden_prefix(path, hidden) is None])

    def _cells(self, number: str, sha: str, answers: Any, plan: _Plan) -> list[str]:
        """The general path, column by column (what the compiled plan gives, plus a shape it does not know)."""
        lookup, text = cols.lookup, cols.text
        if plan.arrays and any(True for _ in cols.overflow(answers, plan.arrays)):
            raise ArraysGrew(f"{number}: {_GREW}")
        out: list[str] = []
        masked: Any = None
        for path, prefix in plan.cells:
            if prefix is not None:
                out.append(MASK if lookup(answers, path[:prefix]) is not None else "")
                continue
            value = lookup(answers, path)
            if self.by_column and isinstance(value, (dict, list)):  # a shape the columns do not describe
                if masked is None:
                    from forms_engine.staff.service import mask_sensitive  # rare: not on every export's path

                    masked = mask_sensitive(self.context.documents.get(sha, {}), answers)[0]
                value = lookup(masked, path)
            cell = text(value)
            out.append("'" + cell if cell and cell[0] in _RISKY_FIRST else cell)  # safe(), inlined
        return out

    def _drain(self, buffer: io.StringIO) -> bytes:
        data = buffer.getvalue().encode(self.codec)  # strict: never a silent replacement
        buffer.seek(0)
        buffer.truncate()
        return data


class _Everything(dict[cols.Path, int]):
    """Counts of one for every array, so that every column title is checked against the encoding."""

    def get(self, key: cols.Path, default: int | None = None) -> int:  # type: ignore[override]
        return 1


CSV_FORMAT = ExportFormat("csv", "text/csv", "csv", ("utf-8-sig", "cp932"), CsvExporter)
