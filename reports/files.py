"""Atomic file writes: a temporary file in the target's directory, fsync, then a rename, so
a reader (or an interrupted run) never sees a partial file. The result gets the mode a plainly
created file would (0o666 less the umask), not mkstemp's private 0o600."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def default_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask); mkstemp's is 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8, fsynced) through a temporary file and a rename."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic_with(path, write)


def write_atomic_with(path: Path, write: Callable[[str], None]) -> None:
    """Let ``write(tmp)`` fill a temporary file beside ``path``, then rename it onto ``path``
    (for writers that take a file name, e.g. ``savefig``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
