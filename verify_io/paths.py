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

import argparse
import os
import tempfile
from pathlib import Path

from verify_io.errors import UsageError

__all__ = ["DEFAULT_OUT", "path_argument", "result_dir", "writable_dir", "writable_file"]

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


RESULT_DIRS = ("runs", "measurements", "quarantine", "theory", "checks", "logs", "figures",
               "tables")
"""Folders a result directory holds (see docs/results.md)."""
RESULT_FILES = ("index.html", "report.md", "claims.json", "logs/stages.json",
                "theory/bounds.json", "theory/derivations.md", "checks/checks.json")
"""Files a result directory holds."""
DEEPEST_RESULT_PATH = ("quarantine/runs/" + "x" * 24 + "/0123456789abcdef-20261207T000000000000Z/"
                       "0123456789abcdef.timings.json")
"""As long as the longest path the tool writes under a result directory (a quarantined run's
timings file, its experiment name allowed 24 characters)."""


def _limits(path: Path) -> tuple[int, int]:
    """(PATH_MAX, NAME_MAX) of the file system at ``path``'s nearest existing ancestor."""
    probe = path.absolute()
    while not _exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return os.pathconf(probe, "PC_PATH_MAX"), os.pathconf(probe, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096, 255


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:                     # e.g. a component longer than NAME_MAX
        return False


def path_argument(text: str) -> Path:
    """An ``argparse`` type for a path option: refuses the empty string (which ``Path``
    silently turns into the current directory) and a path or a component longer than the file
    system allows (PATH_MAX, NAME_MAX)."""
    if not text:
        raise argparse.ArgumentTypeError("'' is empty; expected a path")
    path = Path(text)
    path_max, name_max = _limits(path)
    if len(os.fsencode(path.absolute())) >= path_max:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r}... is {len(os.fsencode(text))} bytes long; expected a path "
            f"shorter than PATH_MAX ({path_max} bytes)")
    long_names = [part for part in path.parts if len(os.fsencode(part)) > name_max]
    if long_names:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r}... has a component of {len(os.fsencode(long_names[0]))} bytes "
            f"({long_names[0][:20]!r}...); expected at most NAME_MAX ({name_max} bytes)")
    return path


def result_dir(path: str | os.PathLike[str], *, option: str = "--out",
               create: bool = True) -> Path:
    """``path`` as a result directory: :func:`writable_dir`, plus every path the tool writes
    under it checked first: room under PATH_MAX for the deepest one, each of
    :data:`RESULT_DIRS` a folder where it exists, each of :data:`RESULT_FILES` a file."""
    if not str(path):
        raise UsageError(f"{option} '' is empty; expected a directory path")
    root = Path(path)
    path_max, _ = _limits(root)
    deepest = root.absolute() / DEEPEST_RESULT_PATH
    if len(os.fsencode(deepest)) >= path_max:
        raise UsageError(f"{option} {str(root)[:40]!r}... is too long: the files written under "
                         f"it would pass PATH_MAX ({path_max} bytes); expected a shorter path")
    out = writable_dir(root, option=option, create=create)
    for name in RESULT_DIRS:
        if (out / name).exists() and not (out / name).is_dir():
            raise UsageError(f"{option} {str(out)!r} cannot hold results: "
                             f"{str(out / name)!r} is a file; expected a directory there")
    for name in RESULT_FILES:
        if (out / name).is_dir():
            raise UsageError(f"{option} {str(out)!r} cannot hold results: "
                             f"{str(out / name)!r} is a directory; expected a file there")
    return out
