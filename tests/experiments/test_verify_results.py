"""`dwmgrad-verify verify-results DIR` (issue 14 §1): one line per problem, naming the file;
exit 1 if any, 0 if clean, 2 if DIR is not a result directory. It changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_store_integrity import (
    OTHER,
    SPEC,
    copy_other_over_spec,
    edit_json,
    flip_a_bit,
    remove_timings,
    stored,  # noqa: F401 - the fixture
)

from dwmgrad_verify.cli import main
from experiments import runner
from experiments.store import ResultStore
from verify_io.files import TEMP_SUFFIX


def verify(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["verify-results", str(root)])
    return code, capsys.readouterr().out.splitlines()


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_clean_directory_exits_0(stored: ResultStore,  # noqa: F811
                                   capsys: pytest.CaptureFixture[str]) -> None:
    stored.write_measurement("unit", {"experiment": "unit", "metrics": {}})
    assert verify(stored.root, capsys) == (0, [f"{stored.root}: no problem found"])


def test_every_problem_is_listed_with_its_file(stored: ResultStore,  # noqa: F811
                                               capsys: pytest.CaptureFixture[str]) -> None:
    flip_a_bit(stored)
    edit_json(stored.paths(OTHER)[1], format_version=99)
    failed = SPEC.with_changes(problem_params={"d": 4, "mu": 9.0, "L": 1.0})
    stored.save(runner.run_spec_safely(failed))
    orphan = stored.run_dir("unit") / f"0123456789abcdef{'.csv.gz'}"
    orphan.write_bytes(b"")
    leftover = stored.run_dir("unit") / f".x.json.abc{TEMP_SUFFIX}"
    leftover.write_text("{")
    stored.write_measurement("unit", {"experiment": "unit", "metrics": {}})
    stored.write_measurement("unit", {"experiment": "unit", "error": "ValueError: boom"})
    (stored.root / "measurements" / "broken.json").write_text("[1, 2")
    before = listing(stored.root)
    code, lines = verify(stored.root, capsys)
    assert code == 1
    expected = {
        stored.paths(SPEC)[0]: "SHA-256",
        stored.paths(OTHER)[1]: "format_version 99 was written by a newer",
        stored.paths(failed)[1]: "the run failed",
        orphan: "no .json beside it",
        leftover: "temporary file",
        stored.measurement_error_path("unit"): "the last measurement failed",
        stored.root / "measurements" / "broken.json": "unreadable",
    }
    for path, words in expected.items():
        assert any(line.startswith(f"{path}: ") and words in line for line in lines), (
            path, lines)
    assert lines[-1] == f"{len(expected)} problem(s) in {stored.root}", lines
    assert listing(stored.root) == before            # nothing moved or deleted


def test_copied_run_and_missing_timings_are_found(stored: ResultStore,  # noqa: F811
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    copy_other_over_spec(stored)
    remove_timings(stored)
    code, lines = verify(stored.root, capsys)
    assert code == 1 and len(lines) == 2, lines
    assert lines[0].startswith(f"{stored.paths(SPEC)[1]}: spec_key"), lines


@pytest.mark.parametrize("make", ["missing", "file", "no result folders", "''"])
def test_bad_directories_exit_2_with_one_line(make: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    target = {"missing": str(tmp_path / "nope"), "file": str(tmp_path / "f.txt"),
              "no result folders": str(tmp_path), "''": ""}[make]
    (tmp_path / "f.txt").write_text("x")
    try:
        code = main(["verify-results", target])
    except SystemExit as exc:           # argparse refuses '' itself, the same way
        code = int(exc.code or 0)
    assert code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(err) == 1 and repr(target) in err[0], err


def test_measurements_alone_are_a_result_directory(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "measurements").mkdir()
    (tmp_path / "measurements" / "unit.json").write_text(json.dumps({"error": "x"}))
    code, lines = verify(tmp_path, capsys)
    assert code == 1 and "the measurement failed: x" in lines[0]
