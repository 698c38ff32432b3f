"""Receipts per second on one core.

    python bench/bench_receipts.py --count 300

Renders the typical submission of the receipt tests (児童手当 認定請求書: 30 answers with nested
groups, two children, a masked 個人番号, two attachments and a signature summary), each time with
another 受付番号 and digest so that every QR code differs, pinned to one CPU where the OS allows.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from receipts.sample_data import typical_receipt  # noqa: E402

from forms_engine.receipts import ReceiptData, render_receipt  # noqa: E402


def _variant(base: ReceiptData, number: int) -> ReceiptData:
    digest = hashlib.sha256(number.to_bytes(8, "big")).hexdigest()
    return replace(base, receipt_number=f"{number % 10000:04d}-5678-9013", submission_sha256=digest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="receipts to render (default 300)")
    parser.add_argument("--copy", choices=("resident", "office"), default="resident")
    parser.add_argument("--warmup", type=int, default=5, help="receipts rendered first and not counted")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    base = typical_receipt()
    for number in range(args.warmup):  # loads the fonts, fills the glyph caches
        render_receipt(_variant(base, number), args.copy)

    sizes, times = [], []
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for number in range(args.count):
        data = _variant(base, 10_000 + number)
        start = time.perf_counter()
        pdf = render_receipt(data, args.copy)
        times.append(time.perf_counter() - start)
        sizes.append(len(pdf))
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start

    print(f"receipts: {args.count} ({args.copy} copy), one core")
    print(f"wall: {wall:.2f} s -> {args.count / wall:.1f} receipts/s")
    print(f"cpu:  {cpu:.2f} s -> {args.count / cpu:.1f} receipts/s")
    print(f"per receipt: median {statistics.median(times) * 1000:.1f} ms, best {min(times) * 1000:.1f} ms")
    print(f"size: {statistics.median(sizes) / 1000:.1f} kB median, {max(sizes) / 1000:.1f} kB largest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
