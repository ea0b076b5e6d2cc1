"""Disk full (issue 14 §3): one line naming the file that could not be written, nothing
partial left, the results finished before kept. On 892f1c6 it was a traceback.

The device is "filled" by making the temporary file's write raise ENOSPC after a number of
successful writes (no tmpfs can be mounted in the test environment).
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from experiments.store import run_json_files, run_paths
from verify_io import files
from verify_io.errors import DiskFull
from verify_io.files import TEMP_SUFFIX, atomic_write_bytes


def fill_the_disk_after(monkeypatch: pytest.MonkeyPatch, writes: int) -> list[Path]:
    """Let ``writes`` atomic writes succeed, then fail every later one with ENOSPC; returns
    the list of paths whose write failed."""
    real = files.atomic_write_with
    done: list[Path] = []
    failed: list[Path] = []

    def write_with(path: Path, write):  # type: ignore[no-untyped-def]
        if len(done) >= writes:
            def no_space(tmp: str) -> None:
                failed.append(path)
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(path, no_space)
        done.append(path)
        return real(path, write)

    monkeypatch.setattr(files, "atomic_write_with", write_with)
    return failed


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    target = tmp_path / "result.json"
    atomic_write_bytes(target, b"old\n")
    fill_the_disk_after(monkeypatch, 0)
    with pytest.raises(DiskFull, match=f"no space left on the device to write {target}"):
        atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_run_on_a_full_disk_is_one_line_and_keeps_finished_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    failed = fill_the_disk_after(monkeypatch, 7)         # two whole runs and one more file
    code = main(["run", "lessard_cycle", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert f"no space left on the device to write {failed[0]}" in err[0], err
    assert not list(tmp_path.rglob(f"*{TEMP_SUFFIX}"))
    complete = run_json_files(tmp_path / "runs" / "lessard_cycle")
    assert len(complete) == 2
    for json_path in complete:                           # each kept run is whole and verifies
        csv_path, _, timings_path = run_paths(json_path.with_suffix(""))
        assert json.loads(json_path.read_text())["status"] == "ok"
        assert csv_path.exists() and timings_path.exists()
    monkeypatch.undo()
    assert main(["verify-results", str(tmp_path)]) == 1  # the interrupted third run, named
    out = capsys.readouterr().out
    assert "no .json beside it" in out and "SHA-256" not in out
