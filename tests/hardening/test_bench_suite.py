"""``dwmgrad-verify bench all`` (:mod:`benchmarks.suite`): structure at tiny sizes (not speed).

The end-to-end command is replaced by a cheap one (``list optimizers``); everything else is
the real code path: the optimizer and engine benchmarks at tiny sizes, the ratios, the JSON
file and the printed table. Bad options are refused before any benchmark runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import benchmarks.suite as suite
from benchmarks.cli import BENCHMARKS
from dwmgrad_verify.cli import main

TINY = ["--numel", "64", "--tensors", "2", "--repeats", "1", "--instances", "3",
        "--horizon", "2"]


@pytest.fixture
def bench_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """``bench all`` dispatches to the suite (added here if the table lacks it), with a cheap
    end-to-end command."""
    monkeypatch.setitem(BENCHMARKS, "all", "benchmarks.suite")
    monkeypatch.setattr(suite, "END_TO_END_COMMAND", ("list", "optimizers"))


@pytest.mark.slow
def test_bench_all_writes_the_ratios_measured_in_one_run(
        bench_all: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deep" / "bench.json"
    assert main(["bench", "all", *TINY, "--json-out", str(out)]) == 0
    printed = capsys.readouterr().out
    result: dict[str, Any] = json.loads(out.read_text())
    assert set(result["ratios"]) == set(suite.TARGETS)
    for name, value in result["ratios"].items():
        assert value is not None and math.isfinite(value) and value > 0, name
        assert result["targets_met"][name] in (True, False)
        assert name in printed
    assert result["optimizers"]["numel"] == 64
    assert result["engine"]["instances"] == 3 and result["engine"]["results_match"]
    e2e = result["end_to_end"]
    assert e2e["exit_code"] == 0 and e2e["wall_s"] > 0 and e2e["cpu_s"] > 0
    assert e2e["command"] == "dwmgrad-verify list optimizers"
    assert result["ratios"]["end_to_end_wall_over_target"] == pytest.approx(
        e2e["wall_s"] / suite.END_TO_END_TARGET_S["quick"])
    assert result["ratios"]["end_to_end_cpu_over_target"] == pytest.approx(
        e2e["cpu_s"] / suite.END_TO_END_TARGET_S["quick"])
    # The ratios are the sections' own numbers, not recomputed differently.
    assert result["ratios"]["engine_batched_over_loop"] == result["engine"]["ratio"]
    for name in ("dwmgrad_fused_over_adam_fused", "roofline_fraction_DWMGrad",
                 "authors_over_foreach"):
        assert result["ratios"][name] == result["optimizers"]["ratios"][name]


@pytest.mark.parametrize(("option", "value"), [
    ("--json-out", "{file}/sub/bench.json"), ("--json-out", "{dir}"),
    ("--scale", "tiny"), ("--numel", "0"), ("--repeats", "x"), ("--instances", "-4"),
    ("--threads", "1.5"), ("--numel", "1"),
])
def test_bad_options_are_refused_before_any_benchmark(
        bench_all: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    def tripwire(**kwargs: Any) -> Any:
        raise AssertionError("a benchmark ran before the options were validated")

    monkeypatch.setattr(suite, "run_suite", tripwire)
    (tmp_path / "file").write_text("x")
    value = value.format(file=tmp_path / "file", dir=tmp_path)
    argv = [*TINY, "--json-out", str(tmp_path / "ok.json")]
    argv += [option, value]
    assert main(["bench", "all", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and value in err and "Traceback" not in err
