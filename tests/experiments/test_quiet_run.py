"""`run` is quiet: nothing on stderr (file descriptor 2, so C++ output counts) for a small run
that measures peak memory with torch's profiler; progress bars only with --verbose off a
terminal; the run ends with a table of its numbers."""

from __future__ import annotations

import contextlib
import os
import types
from pathlib import Path
from typing import Any

import pytest

from dwmgrad_verify.cli import main
from experiments import runner
from experiments.spec import RunSpec
from experiments.store import ResultStore

NOTICE = b"USDT:2026-12-07 03:15:53 1:1 SyncActivityProfilerHandler.cpp:52] profiler_start\n"


def _tiny_experiment() -> types.ModuleType:
    module = types.ModuleType("tiny")
    module.DESCRIPTION = "two short runs, one measuring peak memory"  # type: ignore[attr-defined]

    def specs(scale: str) -> list[RunSpec]:
        return [RunSpec(experiment="tiny", problem="quadratic", optimizer=name,
                        hyperparameters={"lr": 1e-2}, problem_params={"d": 5}, seeds=(0, 1),
                        horizon=20, record=("peak_memory",)) for name in ("DWMGrad", "SGD")]

    def measure(store: ResultStore) -> dict[str, Any]:
        records = [store.load(spec) for spec in specs("quick")]
        return {"experiment": "tiny", "metrics": {
            "final_loss_dwmgrad": float(records[0].losses[:, -1].mean()),
            "peak_bytes_positive": all(r.timings["peak_memory_bytes"] > 0 for r in records)},
            "runs": [r.spec.key() for r in records]}

    module.specs = specs  # type: ignore[attr-defined]
    module.measure = measure  # type: ignore[attr-defined]
    return module


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("experiments.api.experiments_registry",
                        lambda: {"tiny": _tiny_experiment()})


def test_a_small_run_prints_nothing_on_stderr_and_ends_with_a_table(
        tiny: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny", "--out", str(tmp_path)]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["experiment", "quantity", "value"]
    assert lines[2].split() == ["tiny", "runs", "2"]
    assert lines[4].split() == ["tiny", "peak_bytes_positive", "True"]
    assert lines[-1] == f"measurements: {tmp_path / 'measurements'}/<experiment>.json"


def test_verbose_draws_progress_bars_off_a_terminal_and_quiet_does_not(
        tiny: None, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny", "--out", str(tmp_path / "v"), "--verbose"]) == 0
    assert "runs:" in capfd.readouterr().err
    assert main(["run", "tiny", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capfd.readouterr().err == ""


def test_without_the_filter_the_profiler_floods_stderr(
        tiny: None, tmp_path: Path, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # What the empty-stderr test guards against (if torch stops printing these notices, the
    # filter in experiments.runner can go).
    monkeypatch.setattr(runner, "_without_profiler_notices", contextlib.nullcontext)
    assert main(["run", "tiny", "--out", str(tmp_path)]) == 0
    assert "profiler_start" in capfd.readouterr().err


def test_the_filter_drops_the_notices_and_keeps_other_lines(
        capfd: pytest.CaptureFixture[str]) -> None:
    with runner._without_profiler_notices():
        os.write(2, NOTICE + b"a real problem\n" + NOTICE.replace(b"start", b"stop"))
    assert capfd.readouterr().err == "a real problem\n"
