"""Atomic file writes: a reader, or a rerun after SIGKILL, sees the old file or the whole new one.

Each write goes to a temporary file in the target's directory, is fsync'ed, given the mode a
plainly created file would get (0o666 less the umask, not mkstemp's private 0o600), then
``os.replace``'d over the target; the directory is fsync'ed so the rename survives a crash.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from verify_io.errors import DiskFull

TEMP_SUFFIX = ".dwmgrad-verify-partial"
"""The end of every temporary file's name (``.<target>.<random>`` + this): a name no user
picks, so cleaning up after a killed writer deletes only the tool's own files."""


def atomic_write_with(path: Path, write: Callable[[str], None]) -> Path:
    """Let ``write(tmp)`` fill a temporary file beside ``path``, then rename it onto ``path``
    (also for writers that take a file name, e.g. matplotlib's ``savefig``); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    os.close(fd)
    try:
        write(tmp)
        _fsync_file(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"no space left on the device to write {path} ({exc.strerror}); "
                           "the results written before are kept, free some space and rerun "
                           "to continue") from None
        raise
    _fsync_directory(path.parent)
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    def write(tmp: str) -> None:
        Path(tmp).write_bytes(data)

    return atomic_write_with(path, write)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_file(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    if sys.platform.startswith("win"):  # pragma: no cover - directories cannot be fsync'ed
        return
    _fsync_file(str(directory))
