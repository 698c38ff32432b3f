"""Fixtures for the signing tests; the test PKI itself is in ``jpki_testkit``.

``tests/signing`` has no ``__init__.py`` and shares its name with the real ``signing`` package: when
pytest puts ``tests/`` on ``sys.path`` and the project root is not on it, ``import signing`` would find
that folder as a namespace package. The lines below make sure the real package is the one imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parents[1]
for _entry in (str(_ROOT), str(_HERE)):
    if _entry not in sys.path:
        sys.path.append(_entry)
if getattr(sys.modules.get("signing"), "__file__", "") is None:  # a namespace package made of tests/signing
    for _name in [n for n in sys.modules if n == "signing" or n.startswith("signing.")]:
        del sys.modules[_name]

import pytest  # noqa: E402
from jpki_testkit import Pki, build_pki, canonical_envelope  # noqa: E402


@pytest.fixture(scope="session")
def pki() -> Pki:
    return build_pki()


@pytest.fixture
def payload() -> bytes:
    return canonical_envelope()
