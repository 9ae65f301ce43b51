"""Changing a file on disk durably: a whole new copy written beside it, fsynced and renamed
over it (readers see the old file or the new one, never half of one), and a signature that
tells when a file changed under a reader."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(
    target: Path, write: Callable[[Path], None], wanted: Callable[[], bool]
) -> None:
    """Write a sibling temp file, fsync it and rename it over `target` (if `wanted()`)."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(name)
    try:
        write(temp)
        if not wanted():
            return
        shutil.copymode(target, temp)  # mkstemp makes it owner-only; keep the file's mode
        _fsync(temp)
        os.replace(temp, target)
        _fsync_folder(target.parent)  # make the rename itself durable
    finally:
        temp.unlink(missing_ok=True)


def file_signature(path: Path) -> object:
    """Changes whenever the file does (a rewrite is a new inode)."""
    status = path.stat()
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _fsync(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a folder
        return
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
