"""Fixtures of the report tests: a synthetic result directory that follows the contract,
and one report built from it (shared, since drawing the figures takes seconds).

The helper module next to this file (``report_fake_results``) is imported by plain name;
the directory is put on ``sys.path`` here so that this works under every import mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from report_fake_results import write_fake_results  # noqa: E402

from reports.build import ReportFiles, build_report  # noqa: E402


@pytest.fixture
def result_dir(tmp_path: Path) -> Path:
    """A fresh directory holding the full synthetic result set (no report yet)."""
    return write_fake_results(tmp_path / "out")


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The report built once from the full synthetic result set (do not modify its files)."""
    root = write_fake_results(tmp_path_factory.mktemp("report") / "out")
    return build_report(root)
