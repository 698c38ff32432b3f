"""The verifier that checks signatures at filing asks the same revocation sources as login and recheck."""

from __future__ import annotations

from pathlib import Path

from forms_engine.config import Settings
from forms_engine.signatures.service import build_verifier
from signing import CrlFolderChecker, FirstDecisive, NotChecked, OcspChecker


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path / "var", jpki_allow_test_policy=True, **values)  # type: ignore[arg-type]


def test_no_anchors_means_no_verifier(tmp_path: Path) -> None:
    assert build_verifier(settings(tmp_path)) is None


def test_no_source_configured_leaves_revocation_not_checked(tmp_path: Path, anchors: Path) -> None:
    verifier = build_verifier(settings(tmp_path, jpki_sign_anchors=anchors))
    assert verifier is not None and isinstance(verifier.revocation, NotChecked)


def test_crl_folder_alone(tmp_path: Path, anchors: Path, crl_dir: Path) -> None:
    verifier = build_verifier(settings(tmp_path, jpki_sign_anchors=anchors, crl_dir=crl_dir))
    assert verifier is not None and isinstance(verifier.revocation, CrlFolderChecker)


def test_ocsp_first_then_the_crl_folder(tmp_path: Path, anchors: Path, crl_dir: Path) -> None:
    verifier = build_verifier(settings(tmp_path, jpki_sign_anchors=anchors, crl_dir=crl_dir,
                                       jpki_ocsp_url="http://127.0.0.1:9/ocsp"))
    assert verifier is not None and isinstance(verifier.revocation, FirstDecisive)
    assert [type(c) for c in verifier.revocation.checkers] == [OcspChecker, CrlFolderChecker]
