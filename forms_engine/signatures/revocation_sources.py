"""The revocation source a deployment configured: an OCSP responder (FORMS_ENGINE_JPKI_OCSP_URL), a CRL
folder (FORMS_ENGINE_CRL_DIR), both (OCSP first, the CRLs when it has no decisive answer), or none."""

from __future__ import annotations

from forms_engine.config import Settings
from signing import CrlFolderChecker, FirstDecisive, OcspChecker, SerialRevocationChecker


def revocation_checker(settings: Settings) -> SerialRevocationChecker | None:
    """The configured revocation source, or None when none is configured (revocation is then "not checked")."""
    checkers: list[SerialRevocationChecker] = []
    if settings.jpki_ocsp_url:
        checkers.append(OcspChecker(settings.jpki_ocsp_url))
    if settings.crl_dir is not None:
        checkers.append(CrlFolderChecker(settings.crl_dir))
    if not checkers:
        return None
    return checkers[0] if len(checkers) == 1 else FirstDecisive(checkers)


def describe(settings: Settings) -> str:
    """The configured sources in words, for command output."""
    parts = []
    if settings.jpki_ocsp_url:
        parts.append(f"OCSP {settings.jpki_ocsp_url}")
    if settings.crl_dir is not None:
        parts.append(f"CRL folder {settings.crl_dir}")
    return " + ".join(parts) or "none"
