"""Files residents attach (`x-widget: file`): checked, stored once, listed again after an error, claimed on filing.

The answer is the attachment id. An upload is stored as an `Attachment` without a submission; filing
the submission claims it. Where the bytes go is a `StorageBackend` (a local folder by default).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session, select

from forms_engine.config import Settings
from forms_engine.definitions.schemas import Definition
from forms_engine.models import Attachment
from forms_engine.rendering import schema_nav as sn
from forms_engine.rendering.schema_nav import Part, nav_for
from forms_engine.rendering.views import pointer_of

_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
_MAGIC = {"application/pdf": (b"%PDF",), "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


class StorageBackend(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the file; a key already gone is no error (a purge run again after a crash)."""
        ...


class LocalFolder:
    """Files under one folder, written to a temporary name and renamed (never half-written)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the storage folder")
        return path

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def load(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


BACKENDS: dict[str, Callable[[Settings], StorageBackend]] = {
    "local": lambda settings: LocalFolder(settings.data_dir / "attachments"),
}


def storage_for(settings: Settings, name: str = "local") -> StorageBackend:
    return BACKENDS[name](settings)


@dataclass(frozen=True)
class Upload:
    pointer: str
    filename: str
    media_type: str
    data: bytes


def human_size(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + unit
    return f"{size}バイト"


def file_fields(definition: Definition) -> Callable[[str], list[Part] | None]:
    """A lookup: pointer -> the parts of that field when it is a file field, else None."""
    nav = nav_for(definition)

    def lookup(pointer: str) -> list[Part] | None:
        parts = nav.flatten([nav.root], loose=True)
        for token in [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]:
            key: str | int = int(token) if token.isdigit() and "array" in sn.types(parts, union=True) else token
            parts = nav.flatten(nav.child_parts(parts, key), loose=True)
        return parts if parts and sn.first(parts, "x-widget") == "file" else None

    return lookup


def file_answers(definition: Definition, answers: Any) -> Iterator[tuple[str, str]]:
    """(pointer, attachment id) of every file field answered."""
    lookup = file_fields(definition)

    def walk(value: Any, path: list[str | int]) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, child in value.items():
                yield from walk(child, [*path, key])
        elif isinstance(value, list):
            for i, child in enumerate(value):
                yield from walk(child, [*path, i])
        elif isinstance(value, str) and path and lookup(pointer_of(path)) is not None:
            yield pointer_of(path), value

    yield from walk(answers, [])


def problem(parts: list[Part], upload: Upload, title: str) -> str | None:
    """Why this upload cannot be accepted (`x-accept`, `x-max-bytes`), in Japanese; None when it can."""
    if not upload.data:
        return f"{title}に選んだファイルは空です。中身のあるファイルを選んでください"
    limit = sn.first(parts, "x-max-bytes")
    if isinstance(limit, int) and len(upload.data) > limit:
        return f"{title}のファイルが大きすぎます。{human_size(limit)}以下のファイルを選んでください"
    accept = sn.first(parts, "x-accept")
    if isinstance(accept, list) and accept:
        media = media_type(upload)
        allowed = any(a == media or (a.endswith("/*") and media.startswith(a[:-1])) for a in accept)
        magic = _MAGIC.get(media)
        if not allowed or (magic is not None and not upload.data.startswith(magic)):
            names = "、".join(_NAMES.get(a, a.split("/")[-1].upper()) for a in accept)
            return f"{title}は{names}のファイルを選んでください"
    return None


def media_type(upload: Upload) -> str:
    declared = upload.media_type.split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"


def store(session: Session, storage: StorageBackend, upload: Upload) -> Attachment:
    attachment_id = f"att_{secrets.token_hex(16)}"
    key = f"{attachment_id[4:6]}/{attachment_id}"
    storage.save(key, upload.data)
    attachment = Attachment(id=attachment_id, name=Path(upload.filename).name[:255] or "file",
                            media_type=media_type(upload)[:127], size=len(upload.data),
                            sha256=hashlib.sha256(upload.data).hexdigest(), storage_key=key)
    session.add(attachment)
    session.flush()
    return attachment


def pending(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The unclaimed attachments among `ids`: id -> name, size (shown on the page), media type."""
    if not ids:
        return {}
    found = session.exec(select(Attachment).where(Attachment.id.in_(ids))).all()  # type: ignore[attr-defined]
    return {a.id: {"id": a.id, "name": a.name, "size": human_size(a.size), "media_type": a.media_type}
            for a in found if a.submission_id is None}


def remove(storage: StorageBackend, keys: list[str]) -> int:
    """Remove the files of attachments whose rows are already deleted and committed (`drafts purge`);
    how many keys were handled."""
    for key in keys:
        storage.delete(key)
    return len(keys)


def claim(session: Session, submission_id: str, ids: list[str]) -> None:
    for attachment in session.exec(select(Attachment).where(Attachment.id.in_(ids))).all():  # type: ignore[attr-defined]
        if attachment.submission_id is None:
            attachment.submission_id = submission_id
            session.add(attachment)
    session.flush()
