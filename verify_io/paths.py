"""Validation of output paths given on the command line, before any work starts.

A command that writes results somewhere checks the place first, so that a path that cannot be
written is one :class:`~verify_io.errors.UsageError` naming the option and the path (the
CLI prints one line and exits 2) rather than a traceback after minutes of work:

* :func:`writable_dir`: an output directory (``--out DIR``, ``--appendix DIR``): created with
  its parents when missing, then probed by creating and deleting a temporary file in it.
* :func:`writable_file`: an output file (``--out FILE``): not a directory, and its directory
  passes :func:`writable_dir`; an existing file must be writable too.

Example::

    out = writable_dir(args.out, option="--out")          # before the work
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from verify_io.errors import UsageError

__all__ = ["DEFAULT_OUT", "writable_dir", "writable_file"]

#: The output directory of ``run``, ``report`` and ``all`` when ``--out`` is not given.
DEFAULT_OUT = Path("dwmgrad-report")


def _usable_dir(directory: Path, *, option: str, shown: str, create: bool) -> None:
    """Check ``directory`` (the place ``shown``, given as ``option``, will be written)."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{option} {shown!r} cannot be written: {str(directory)!r} is a file; "
                         "expected a directory")
    if not directory.exists():
        if not create:
            raise UsageError(f"{option} {shown!r} does not exist; expected an existing directory")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{option} {shown!r} cannot be created: {exc.strerror}; expected "
                             "a path where a directory can be made") from None
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {shown!r} is not writable: {exc.strerror}; expected a "
                         "directory this process can create files in") from None


def writable_dir(path: str | os.PathLike[str], *, option: str = "--out",
                 create: bool = True) -> Path:
    """``path`` as a directory this process can create files in, or a :class:`UsageError`.

    A missing directory is created with its parents when ``create`` (else it is an error).
    The message names ``option`` and ``path`` and what was expected.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {str(out)!r} is a file; expected a directory")
    _usable_dir(out, option=option, shown=str(out), create=create)
    return out


def writable_file(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """``path`` as a file this process can write (create or replace), or a :class:`UsageError`.

    ``path`` must not be a directory; its parent directory is created if missing and must
    accept new files (atomic writes put a temporary file next to the target); an existing
    ``path`` must be writable.
    """
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"{option} {str(out)!r} is a directory; expected a file path")
    _usable_dir(out.parent, option=option, shown=str(out), create=True)
    if out.exists() and not os.access(out, os.W_OK):
        raise UsageError(f"{option} {str(out)!r} is not writable; expected a file this "
                         "process can write")
    return out
