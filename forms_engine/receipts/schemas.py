"""The plain data a receipt is made from. The receipts package reads nothing else (no database, no web)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

__all__ = ["AttachmentInfo", "Copy", "FeeInfo", "ReceiptData"]

Copy = Literal["resident", "office"]
"""``resident``: the 申請控え given to the resident; ``office``: the 受付票 kept by the back office."""

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class AttachmentInfo(TypedDict):
    """An attachment as stored beside the submission."""

    name: str
    media_type: str
    size: int
    sha256: str
    id: NotRequired[str]
    """The attachment id a `file` answer holds; lets the answer show the file name."""


class FeeInfo(TypedDict):
    """The procedure's fee (`x-procedure.fee`)."""

    amount: int
    description: str


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt.

    ``signature`` is the stored verification record (``VerificationResult.to_dict()`` of the signing
    package: ``status``, ``failure``, ``certificate`` with ``issuer``/``serial``/``fingerprint_sha256``,
    ``revocation``, ``received_at`` as the verification time); None for an unsigned submission.
    ``contact`` falls back to the definition's ``x-procedure.contact`` when empty.
    """

    organisation: str
    department_name: str
    procedure_title: str
    procedure_version: str
    definition_document: Mapping[str, Any]
    receipt_number: str
    submission_sha256: str
    received_at: datetime
    answers: Mapping[str, Any]
    attachments: Sequence[AttachmentInfo] = field(default_factory=tuple)
    signature: Mapping[str, Any] | None = None
    fee: FeeInfo | None = None
    contact: str = ""
    mask_sensitive_for_resident: bool = True

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None or self.received_at.utcoffset() is None:
            raise ValueError("received_at must be an aware datetime (UTC)")
        if not _HEX64.fullmatch(self.submission_sha256):
            raise ValueError("submission_sha256 must be 64 hexadecimal digits")
        if not self.receipt_number.strip():
            raise ValueError("receipt_number is empty")
