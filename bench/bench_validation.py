"""How fast one worker normalises and validates a 30-field submission, in-process (no HTTP, no database).

Run from the repository root:

    .venv/bin/python bench/bench_validation.py               # 3 s per case
    .venv/bin/python bench/bench_validation.py --seconds 10  # steadier figures

The AnswerValidator of bench/fixtures/thirty-fields.json is built once, as the engine does at start-up.
Each case then runs for a warm-up, and is measured for `--seconds` in batches timed with
time.perf_counter (a batch lasts about 10 ms); ops/s is the total count over the total measured time,
µs/op is given as the median and the fastest batch, and as process CPU time over the whole case.
The cases:

- baseline:  a call of a function that returns a constant, through the same loop (the harness's floor)
- valid:     normalise + validate of bench/fixtures/answers/thirty-fields.answers.json (no error)
- invalid:   normalise + validate of the same answers with 11 mistakes (11 field errors with messages)
- normalise / validate: the two halves of `valid`, to see which one dominates
- valid-js / invalid-js: `valid` and `invalid` with jsonschema alone walking every submission
  (`AnswerValidator(..., fast=False)`, no compiled checks): what the compiled checks save, in the same run
- jp-phone:  normalise + check of one 電話番号 as residents type it (the form has four of them)

Every case cycles through `--variants` copies of its input whose phone numbers differ (bench/_fixture.py),
so that a cache keyed by the value cannot make a resident's new submission look cheaper than it is.
Nothing here is a test: it asserts only that the answers give the errors they are meant to give.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _fixture import DEFINITION, PHONE_FIELDS, PROCEDURE_ID, load_answers, phone_variant
from _machine import code_state, command_line, describe, wait_until_quiet

from forms_engine.definitions.service import DefinitionCatalogue, check, lint_context
from forms_engine.rendering.widgets import default_widgets
from forms_engine.validation.formats import default_registry
from forms_engine.validation.service import AnswerValidator

BATCH_SECONDS = 0.01
MAX_OPS_PER_CASE = 500_000_000  # a bound on the loop whatever --seconds says

# The mistakes of the invalid variant: pointer -> the keyword its error must carry.
EXPECTED_ERRORS = {
    "/guardian_kana/family": "format",
    "/address/postal_code": "format",
    "/phone": "format",
    "/email": "format",
    "/work_days_per_week": "maximum",
    "/children/1/grade": "maximum",
    "/children/2/sex": "required",
    "/school_name": "required",
    "/club_name": "enum",
    "/pickup_phone": "required",
    "/consent": "const",
}


def build_validator(fast: bool = True) -> AnswerValidator:
    """The validator the engine would build for the fixture: linted, then built once."""
    formats = default_registry()
    definitions, problems = check([DEFINITION], lint_context(default_widgets(), formats), None)
    if problems:
        raise SystemExit("the fixture does not pass the linter:\n" + "\n".join(map(str, problems)))
    if not fast:
        return AnswerValidator(definitions[0], formats, fast=False)
    return DefinitionCatalogue.build(definitions, formats).validator(PROCEDURE_ID)


def invalid_variant(answers: dict[str, Any]) -> dict[str, Any]:
    """The valid answers with the kind of mistakes residents make (see EXPECTED_ERRORS)."""
    bad = copy.deepcopy(answers)
    bad["guardian_kana"]["family"] = "山田"  # kanji where katakana is asked
    bad["address"]["postal_code"] = "１００－００１"  # six digits
    bad["phone"] = "０３－１２３４"  # too short
    bad["email"] = "hanako.yamada@@example.jp"
    bad["work_days_per_week"] = 9
    bad["children"][1]["grade"] = 7
    del bad["children"][2]["sex"]
    del bad["school_name"]
    bad["club_name"] = "第九小学校区 すみれクラブ"
    del bad["pickup_phone"]  # pickup_person is given: dependentRequired
    bad["consent"] = False
    return bad


def constant(_answers: Any) -> int:
    return 0


def measure(fn: Callable[[Any], Any], inputs: Sequence[Any], seconds: float, warmup: float) -> dict[str, float]:
    """Call fn on the inputs in turn: `warmup` s, then batches of about 10 ms for `seconds` s."""
    perf = time.perf_counter
    n = len(inputs)
    i = 0
    end = perf() + warmup
    while perf() < end:
        fn(inputs[i % n])
        i += 1
    batch = 1
    while batch < MAX_OPS_PER_CASE:
        t0 = perf()
        for _ in range(batch):
            fn(inputs[i % n])
            i += 1
        if perf() - t0 >= BATCH_SECONDS:
            break
        batch *= 2
    per_op: list[float] = []
    ops = 0
    spent = 0.0
    cpu0 = time.process_time()
    deadline = perf() + seconds
    while perf() < deadline and ops < MAX_OPS_PER_CASE:
        t0 = perf()
        for _ in range(batch):
            fn(inputs[i % n])
            i += 1
        dt = perf() - t0
        per_op.append(dt / batch)
        ops += batch
        spent += dt
    cpu = time.process_time() - cpu0
    return {
        "ops": ops,
        "seconds": spent,
        "ops_per_s": ops / spent,
        "us_median": statistics.median(per_op) * 1e6,
        "us_best": min(per_op) * 1e6,
        "us_cpu": cpu / ops * 1e6,
        "batches": len(per_op),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per case (default 3)")
    parser.add_argument("--warmup", type=float, default=0.5, help="warm-up time per case (default 0.5)")
    parser.add_argument("--variants", type=int, default=2000,
                        help="inputs with distinct phone numbers to cycle through (default 2000; 1 = always the same)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                        help="first wait up to S seconds for the 1-minute load average to fall under 0.5")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 <= args.warmup <= 60 and 1 <= args.variants <= 10_000):
        parser.error("--seconds must be in (0, 600], --warmup in [0, 60], --variants in [1, 10000]")

    if args.wait_quiet > 0:
        wait_until_quiet(min(args.wait_quiet, 3600))
    validator = build_validator()
    plain = build_validator(fast=False)
    answers = load_answers()
    valid = [phone_variant(answers, n) for n in range(args.variants)] if args.variants > 1 else [answers]
    invalid = [invalid_variant(a) for a in valid]
    for a in (valid[0], valid[-1]):
        if errors := validator.validate(validator.normalise(a)):
            raise SystemExit(f"the valid answers do not validate: {errors}")
    for v in (validator, plain):
        got = {e.pointer: e.keyword for e in v.validate(v.normalise(invalid[-1]))}
        if got != EXPECTED_ERRORS:
            raise SystemExit(f"the invalid answers give {got}, expected {EXPECTED_ERRORS}")
    if validator.validate(validator.normalise(invalid[0])) != plain.validate(plain.normalise(invalid[0])):
        raise SystemExit("the compiled checks and jsonschema alone do not give the same errors")
    normalised = [validator.normalise(a) for a in valid]

    def valid_case(a: Any) -> Any:
        return validator.validate(validator.normalise(a))

    def plain_case(a: Any) -> Any:
        return plain.validate(plain.normalise(a))

    phone = validator.formats.get("jp-phone")
    if phone is None:
        raise SystemExit("the engine has no jp-phone format")
    phones = [a[name] for a in valid for name in PHONE_FIELDS]

    def phone_case(value: str) -> bool:
        return phone.check(phone.normalise(value))

    cases: list[tuple[str, Callable[[Any], Any], Sequence[Any], str]] = [
        ("baseline", constant, valid, "constant function call"),
        ("valid", valid_case, valid, "normalise + validate, 0 errors"),
        ("invalid", valid_case, invalid, f"normalise + validate, {len(EXPECTED_ERRORS)} errors"),
        ("normalise", validator.normalise, valid, "normalise only (valid answers)"),
        ("validate", validator.validate, normalised, "validate only (answers already normalised)"),
        ("jp-phone", phone_case, phones, f"one jp-phone field like {answers['phone']}: normalise + check"),
        ("valid-js", plain_case, valid, "valid, jsonschema alone (fast=False)"),
        ("invalid-js", plain_case, invalid, "invalid, jsonschema alone (fast=False)"),
    ]
    print(f"command: {command_line()}")
    print(f"machine: {describe()}")
    print(f"code:    {code_state()}")
    print(f"{args.seconds:g} s per case after {args.warmup:g} s warm-up, cycling through {len(valid)} variant(s); "
          "µs/op: wall time per batch (median, best), and process CPU time over the whole case")
    print(f"{'case':<10} {'ops/s':>12} {'µs/op median':>13} {'µs/op best':>11} {'CPU µs/op':>10} {'ops':>10}  what")
    results = {}
    for name, fn, inputs, what in cases:
        r = measure(fn, inputs, args.seconds, args.warmup)
        results[name] = r
        print(f"{name:<10} {r['ops_per_s']:>12,.0f} {r['us_median']:>13,.2f} {r['us_best']:>11,.2f} "
              f"{r['us_cpu']:>10,.2f} {r['ops']:>10,}  {what}")
        sys.stdout.flush()
    print(f"after: {describe()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
