"""Signature verification speed of the reference JPKI verifier (signing/), one core, in-process.

    .venv/bin/python bench/bench_signing.py --count 300

Builds the test PKI of tests/signing (RSA-2048, two root generations), then verifies a raw PKCS#1 v1.5
signature and a detached CMS over a typical envelope, with revocation from a CRL folder, and prints the
median and best wall time and the median CPU time (of this thread) per verification, next to a constant
call measured in the same run. The CPU column is the one to read on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signing import CrlFolderChecker, JpkiVerifier  # noqa: E402
from tests.signing.jpki_testkit import build_pki, canonical_envelope, der, make_cms, make_crl, raw_sign  # noqa: E402


def timed(fn: Callable[[], object], count: int) -> tuple[float, float, float]:
    """Median and best wall time, and median CPU time of this thread, in ms (the machine is shared)."""
    for _ in range(min(20, count)):
        fn()
    samples, cpu = [], []
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return statistics.median(samples) * 1e3, min(samples) * 1e3, statistics.median(cpu) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    pki = build_pki()
    payload = canonical_envelope()
    with tempfile.TemporaryDirectory() as tmp:
        folder = pki.crl_folder(Path(tmp) / "crl", pki.standard_crl(), make_crl(pki.root1))
        verifier = JpkiVerifier(pki.sign_anchors(), CrlFolderChecker(folder), purpose="sign")
        now = datetime.now(UTC)
        cert, key = pki.certs["valid"], pki.keys["valid"]
        raw = raw_sign(key, payload)
        cms = make_cms(payload, [(cert, key)])
        assert verifier.verify(payload, "raw-pkcs1v15", raw, der(cert), now).status == "valid"
        assert verifier.verify(payload, "cms-detached", cms, None, now).status == "valid"
        cases = {
            "baseline (constant call)": lambda: None,
            "raw-pkcs1v15 + CRL": lambda: verifier.verify(payload, "raw-pkcs1v15", raw, der(cert), now),
            "cms-detached + CRL": lambda: verifier.verify(payload, "cms-detached", cms, None, now),
        }
        print(f"{'case':28} {'median ms':>10} {'best ms':>9} {'CPU ms':>8}")
        for name, fn in cases.items():
            median, best, cpu = timed(fn, args.count)
            print(f"{name:28} {median:10.3f} {best:9.3f} {cpu:8.3f}")


if __name__ == "__main__":
    main()
