"""Receipts per second on one core, in-process (no HTTP, no database, no disk cache).

    .venv/bin/python bench/bench_receipts.py --count 300

Renders the typical submission of the receipt tests (児童手当 認定請求書: 30 answers with nested groups,
two children, a masked 個人番号, two attachments and a signature summary; two A4 pages), pinned to one CPU
where the OS allows. Every receipt is another resident's: another 受付番号 and digest (so every QR code
differs), other names (drawn from common and rarer family and given names, 𠮷 and 髙 among them), address,
phone, dates, remarks and attachment names, so that the caches the renderer keeps per text (wrapped labels,
glyphs of the fonts) help as they would in production and no more. ``--same-answers`` renders one resident
again and again instead (an upper bound, like a second download of the same copy without the disk cache).

Prints the machine, its load average before and after, the code measured, receipts per second by wall
clock and by CPU time of this process, ms per receipt (wall median and best, CPU median) and the sizes.
On a shared machine the CPU figures are the ones to read.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from _machine import code_state, command_line, describe, wait_until_quiet  # noqa: E402
from receipts.sample_data import typical_receipt  # noqa: E402

from forms_engine.receipts import ReceiptData, render_receipt  # noqa: E402

FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "佐々木",
          "山口", "松本", "井上", "木村", "斎藤", "清水", "山崎", "池田", "橋本", "阿部", "石川", "長谷川", "藤田",
          "近藤", "村上", "遠藤", "青木", "坂本", "福田", "西村", "藤井", "岡本", "三浦", "中野", "原田", "小野",
          "髙橋", "﨑山", "\U00020BB7田", "齋藤", "渡邊", "濵田", "德永", "栁田", "邉見")
GIVEN = ("太郎", "花子", "一郎", "陽菜", "結衣", "蓮", "湊", "陽翔", "凛", "葵", "悠真", "芽依", "大翔", "結菜",
         "樹", "さくら", "美咲", "健太", "翔太", "拓海", "莉子", "颯", "紬", "碧", "蒼", "楓", "琴音", "隼人",
         "智子", "和夫", "恵美", "浩二", "真由美", "聡", "裕子", "洋平", "千尋", "晴", "朔", "詩織")
TOWNS = ("亀山町", "中央", "駅通り", "桜木町", "緑町", "本町", "旭町", "若葉台", "東町", "西町", "南台", "北浦")
BUILDINGS = ("", "コーポ山口201", "ハイツ緑102", "メゾン桜305", "グランドパレス1203", "髙﨑荘2号室")


def _pick(names: tuple[str, ...], number: int, salt: int) -> str:
    return names[(number * salt + salt) % len(names)]


def resident(base: ReceiptData, number: int) -> ReceiptData:
    """The typical receipt as resident ``number`` files it."""
    answers: dict[str, Any] = copy.deepcopy(dict(base.answers))
    family = _pick(FAMILY, number, 7)
    answers["applicant_name"] = {"family": family, "given": _pick(GIVEN, number, 11)}
    answers["spouse_name"] = {"family": family, "given": _pick(GIVEN, number, 13)}
    answers["birth_date"] = (date(1960, 1, 1) + timedelta(days=number * 37 % 12000)).isoformat()
    answers["address"] = {**answers["address"], "street": f"{_pick(TOWNS, number, 5)}{number % 9 + 1}-{number % 27 + 1}",
                          "building": _pick(BUILDINGS, number, 3)}
    answers["phone"] = f"083-922-{number % 10000:04d}"
    for index, child in enumerate(answers["children"]):
        child["name"] = {"family": family, "given": _pick(GIVEN, number + index, 17)}
        child["birth_date"] = (date(2010, 4, 2) + timedelta(days=(number + 400 * index) * 13 % 4000)).isoformat()
    answers["account"] = {**answers["account"], "account_number": f"{number * 7919 % 10_000_000:07d}"}
    answers["remarks"] = (f"第{number % 5 + 1}子の{_pick(GIVEN, number, 19)}は令和{number % 6 + 1}年{number % 12 + 1}月から"
                          f"{_pick(TOWNS, number, 23)}の祖父母宅で暮らしています。\n連絡は平日{number % 8 + 9}時以降にお願いします。")
    attachments = [
        {**item, "name": f"{family}_{item['name']}", "size": item["size"] + number,
         "sha256": hashlib.sha256(f"{number}:{item['name']}".encode()).hexdigest()}
        for item in base.attachments
    ]
    return replace(base, answers=answers, attachments=attachments, **_numbers(number))  # type: ignore[arg-type]


def _numbers(number: int) -> dict[str, str]:
    digest = hashlib.sha256(number.to_bytes(8, "big")).hexdigest()
    return {"receipt_number": f"{number % 10000:04d}-{number // 10000 % 10000:04d}-9013", "submission_sha256": digest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="receipts to render (default 300)")
    parser.add_argument("--copy", choices=("resident", "office"), default="resident")
    parser.add_argument("--warmup", type=int, default=20, help="receipts rendered first and not counted")
    parser.add_argument("--same-answers", action="store_true", help="one resident's answers every time")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="first wait up to SECONDS for the 1-minute load average to fall under 0.5")
    args = parser.parse_args()
    if args.wait_quiet:
        wait_until_quiet(args.wait_quiet)

    print(f"command: {command_line()}")
    print(f"machine: {describe()}")
    print(f"code: {code_state()}")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    base = typical_receipt()

    def make(number: int) -> ReceiptData:
        return replace(base, **_numbers(number)) if args.same_answers else resident(base, number)  # type: ignore[arg-type]

    for number in range(args.warmup):  # loads the fonts, fills the glyph caches
        render_receipt(make(number), args.copy)
    cases = [make(10_000 + number) for number in range(args.count)]

    sizes, wall, cpu = [], [], []
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for data in cases:
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render_receipt(data, args.copy)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        sizes.append(len(pdf))
    wall_total, cpu_total = time.perf_counter() - wall_start, time.process_time() - cpu_start

    answers = "one resident's answers each time" if args.same_answers else "another resident's answers each time"
    print(f"receipts: {args.count} ({args.copy} copy, {answers}), one core")
    print(f"wall: {wall_total:.2f} s -> {args.count / wall_total:.1f} receipts/s")
    print(f"cpu:  {cpu_total:.2f} s -> {args.count / cpu_total:.1f} receipts/s")
    print(f"per receipt: wall median {statistics.median(wall) * 1000:.1f} ms, best {min(wall) * 1000:.1f} ms; "
          f"CPU median {statistics.median(cpu) * 1000:.1f} ms")
    print(f"size: {statistics.median(sizes) / 1000:.1f} kB median, {max(sizes) / 1000:.1f} kB largest")
    print(f"after: {describe()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
