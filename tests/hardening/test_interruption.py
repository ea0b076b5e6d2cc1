"""Interruption safety: SIGKILL in the middle of the experiments, rerun, and compare.

Both variants are in CI's slow step (each starts CLI processes and kills one). The short one:
``dwmgrad-verify run lessard_cycle heavy_ball_rate --out DIR`` is killed once some but not all
of its runs have results, then rerun, then ``dwmgrad-verify report --out DIR`` builds the
report; the long one kills ``all --scale quick`` itself. The default run keeps the in-process
representatives: tests/experiments/test_store.py (a save interrupted between its files is not
a result, a stale temporary file is ignored, stored specs are skipped on a rerun).

Checked after the kill: every result .json parses, every .csv.gz is whole (header, complete
rows, rows = seeds x horizon x quantities where its .json exists), and a temporary file left by
the kill is never taken for a result. After the rerun: the runs finished before the kill were
not repeated (their three files keep their inode and mtime), exactly the missing runs were
made, and the run files, the measurements (minus their "created" time) and claims.json equal
those of an uninterrupted run. Measurements of wall-clock cost (``TIMED_EXPERIMENTS``) differ
between any two runs; of those only the run lists are compared, and the claims they test by id.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from experiments.records import read_csv_text
from verify_io.files import TEMP_SUFFIX

REPO = Path(__file__).resolve().parents[2]
FAST_EXPERIMENTS = ("lessard_cycle", "heavy_ball_rate")
#: Volatile fields: creation times (the documented exception to bit-identical results).
VOLATILE = {"created"}
#: Experiments whose measurements are wall-clock times: two runs never agree on them, so
#: only their run list is compared, and the claims they test only by id.
TIMED_EXPERIMENTS = {"cost_scaling"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "dwmgrad_verify.cli", *args]


def result_jsons(root: Path) -> list[Path]:
    return sorted(p for p in (root / "runs").glob("*/*.json")
                  if not p.name.endswith(".timings.json") and not p.name.startswith("."))


def kill_midway(argv: Sequence[str], root: Path, total: int, at_least: int,
                timeout: float) -> int:
    """Start ``argv``; SIGKILL it once ``at_least`` (< total) results exist. Returns the
    number of complete results at the moment of the kill."""
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done = len(result_jsons(root)) if (root / "runs").exists() else 0
            if done >= at_least:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
                assert done < total, "every run finished before the kill: nothing to test"
                return done
            if proc.poll() is not None:
                pytest.fail(f"finished (exit {proc.returncode}) before the kill: {proc.stderr}")
            time.sleep(0.01)
        pytest.fail(f"fewer than {at_least} results after {timeout} s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise AssertionError("unreachable")


def assert_nothing_partial(root: Path) -> None:
    """Every .json parses; every .csv.gz is whole; temporary files are not results."""
    for path in (root / "runs").rglob("*"):
        if path.is_dir() or path.name == ".lock":
            continue
        if path.name.startswith("."):                 # an atomic write's temporary file
            assert path.name.endswith(TEMP_SUFFIX), path
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.name.endswith(".csv.gz"):
            text = read_csv_text(path)
            assert text.endswith("\n"), path
            rows = list(csv.reader(text.splitlines()))
            assert rows[0] == ["experiment", "spec_key", "seed", "step", "quantity", "value"]
            assert all(len(r) == 6 for r in rows[1:]), path
            meta_path = path.with_name(path.name.removesuffix(".csv.gz") + ".json")
            if meta_path.exists():
                meta = json.loads(meta_path.read_text())
                spec = meta["spec"]
                assert len(rows) - 1 == (len(spec["seeds"]) * spec["horizon"]
                                         * len(meta["quantities"])), path
        else:
            raise AssertionError(f"unexpected file {path}")


def fingerprints(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of the three files of every complete result."""
    out = {}
    for meta in result_jsons(root):
        for path in (meta, meta.with_suffix(".csv.gz"),
                     meta.with_name(meta.stem + ".timings.json")):
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_ino, stat.st_mtime_ns)
    return out


def strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def comparable_outputs(root: Path) -> dict[str, Any]:
    """Run files (csv bytes, json without git commit), measurements and claims.json without
    volatile fields, the directory's own path in claims.json read as DIR. (The git commit may
    move while others commit to this tree.)"""
    out: dict[str, Any] = {}
    for path in sorted((root / "runs").rglob("*")):
        if path.is_file() and not path.name.startswith(".") and \
                not path.name.endswith(".timings.json"):
            if path.suffix == ".json":
                meta = json.loads(path.read_text())
                meta.pop("git_commit")
                out[str(path.relative_to(root))] = meta
            else:
                out[str(path.relative_to(root))] = path.read_bytes()
    for path in sorted((root / "measurements").glob("*.json")):
        measurement = strip_volatile(json.loads(path.read_text()))
        if path.stem in TIMED_EXPERIMENTS:
            measurement = {"runs": measurement.get("runs")}
        out[str(path.relative_to(root))] = measurement
    # A "not run" reason gives the command to run, which names this directory.
    claims = strip_volatile(json.loads((root / "claims.json").read_text().replace(
        json.dumps(str(root))[1:-1], "DIR")))
    claims.pop("summary", None)          # counts include the timed claims' verdicts
    claims["claims"] = [{"id": c["id"]} if TIMED_EXPERIMENTS & set(c["experiments"]) else c
                        for c in claims["claims"]]
    out["claims.json"] = claims
    return out


def total_runs(names: Sequence[str], scale: str) -> int:
    from experiments.api import experiments_registry

    registry = experiments_registry()
    return sum(len(registry[name].specs(scale)) for name in names)


def check_interrupted_then_resumed(tmp_path: Path, first: Sequence[str],
                                   report: Sequence[str] | None, reference: Path,
                                   total: int, timeout: float) -> None:
    root = tmp_path / "interrupted"
    before = kill_midway(first, root, total, at_least=max(2, total // 5), timeout=timeout)
    assert_nothing_partial(root)
    untouched = fingerprints(root)
    assert len(untouched) == 3 * before

    proc = subprocess.run(first, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = fingerprints(root)
    assert {k: after[k] for k in untouched} == untouched, "finished runs were redone"
    assert len(result_jsons(root)) == total
    assert len(after) - len(untouched) == 3 * (total - before)
    if report is not None:
        proc = subprocess.run(report, cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert_nothing_partial(root)
    assert comparable_outputs(root) == comparable_outputs(reference)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_report(tmp_path: Path) -> None:
    from experiments.api import run_experiments
    from reports.build import build_report

    reference = tmp_path / "reference"
    run_experiments(list(FAST_EXPERIMENTS), "quick", reference, progress=False)
    build_report(reference)
    root = tmp_path / "interrupted"
    check_interrupted_then_resumed(
        tmp_path, cli("run", *FAST_EXPERIMENTS, "--out", str(root)),
        cli("report", "--out", str(root)), reference,
        total_runs(FAST_EXPERIMENTS, "quick"), timeout=900)


@pytest.mark.slow
def test_killed_all_resumes_to_the_same_report(tmp_path: Path) -> None:
    """The full command: ``all --scale quick`` killed during its experiments, rerun; compared
    with an uninterrupted ``all --scale quick``."""
    from experiments.api import experiments_registry

    reference = tmp_path / "reference"
    proc = subprocess.run(cli("all", "--scale", "quick", "--out", str(reference)), cwd=REPO,
                          capture_output=True, text=True, timeout=3600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = list(experiments_registry())
    # An adaptive search adds runs beyond its experiment's specs(): count the reference's.
    total = len(result_jsons(reference))
    assert total >= total_runs(names, "quick")
    root = tmp_path / "interrupted"
    check_interrupted_then_resumed(
        tmp_path, cli("all", "--scale", "quick", "--out", str(root)), None, reference,
        total, timeout=3600)
