"""The seed documents the claims quote, shipped with the package (copied from the project's
``shared/seeds``) so that every report links to the text a claim comes from.

:func:`copy_source` copies one into a report directory and returns its relative path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SOURCES = Path(__file__).parent


def shipped(document: str) -> Path | None:
    """The shipped file of a claim source's ``document`` ("seeds/000_....txt (authors...)"),
    or None when it names no shipped file."""
    relative = document.split(" (")[0]
    path = SOURCES / relative
    return path if relative.startswith("seeds/") and path.is_file() else None


def copy_source(document: str, report_root: Path) -> str | None:
    """Copy the shipped file of ``document`` to ``report_root/sources/...`` and return the
    link from the report's pages to it (None when there is no such file)."""
    path = shipped(document)
    if path is None:
        return None
    relative = Path("sources") / path.relative_to(SOURCES)
    target = report_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return relative.as_posix()
