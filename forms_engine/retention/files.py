"""The files of purged submissions (attachments in the storage backend, cached receipts under
data_dir/receipts), removed only after the database commit, so no row ever names a missing file.

Before a batch commits, the files it will leave behind are written to a journal under data_dir/retention
(locked by the run while it works). After the commit the files are removed and the journal with them. A run
that stopped in between leaves its journal: the next run removes the files of the submissions that are gone
and drops the journal (a journal whose submissions are still stored belongs to a batch that never committed).
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from forms_engine.rendering.uploads import StorageBackend

_TEMPORARY = ".journal-"
_STALE_SECONDS = 3600


def receipt_files(data_dir: Path, submission_id: str) -> list[Path]:
    """The cached receipts of a submission (receipts.store: receipts/<id[:2]>/<id>.<copy>.v<N>.pdf)."""
    if "/" in submission_id or not submission_id:
        return []
    folder = data_dir / "receipts" / submission_id[:2]
    return sorted(folder.glob(f"{glob.escape(submission_id)}.*")) if folder.is_dir() else []


def remove(data_dir: Path, storage: StorageBackend, files: dict[str, list[str]]) -> tuple[int, int]:
    """Remove the attachments' files and the cached receipts of these (deleted) submissions; how many of
    each. Files already gone are no error (a run finishing another's work)."""
    attachments = receipts = 0
    for submission_id, keys in files.items():
        for key in keys:
            storage.delete(key)
            attachments += 1
        for path in receipt_files(data_dir, submission_id):
            path.unlink(missing_ok=True)
            receipts += 1
    return attachments, receipts


@dataclass
class Journal:
    """One batch's files, on disk and locked by this process until `close`."""

    path: Path
    handle: BinaryIO
    files: dict[str, list[str]]

    @classmethod
    def write(cls, folder: Path, files: dict[str, list[str]]) -> Journal:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=_TEMPORARY, suffix=".tmp")
        handle = os.fdopen(fd, "w+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.write(json.dumps({"files": files}, sort_keys=True).encode())
            handle.flush()
            os.fsync(handle.fileno())
            path = folder / f"{uuid.uuid4().hex}.json"
            os.replace(temporary, path)  # the lock is on the file, which keeps it under its new name
        except BaseException:
            handle.close()
            Path(temporary).unlink(missing_ok=True)
            raise
        return cls(path, handle, files)

    def close(self) -> None:
        """The batch is finished (files removed) or undone (nothing was deleted): the journal goes."""
        self.path.unlink(missing_ok=True)
        self.handle.close()

    def release(self) -> None:
        """Unlock but keep the journal: whether the batch committed is unknown, or its files were not all
        removed; the next run decides from the database."""
        self.handle.close()


def _remove_stale(path: Path) -> None:
    try:
        if time.time() - path.stat().st_mtime > _STALE_SECONDS:
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        pass


def leftovers(folder: Path) -> Iterator[Journal]:
    """The journals of runs that stopped before removing their files, each locked while it is handled (the
    journal of a run still working is locked by it and passed over). Half-written ones an hour old are
    removed: their batch stopped before its commit."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name.startswith(_TEMPORARY):
            _remove_stale(path)
            continue
        if path.suffix != ".json":
            continue
        try:
            handle = path.open("rb")
        except FileNotFoundError:  # finished meanwhile
            continue
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            loaded = json.loads(handle.read().decode())
        except ValueError:
            loaded = None
        files = loaded.get("files") if isinstance(loaded, dict) else None
        if not isinstance(files, dict):
            handle.close()
            raise ValueError(f"{path}: not a retention journal; remove it after checking its files by hand")
        yield Journal(path, handle, {str(k): [str(key) for key in v] for k, v in files.items()})
