"""The engine benchmark: runs, checks equality, reports a ratio measured in the same run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import engine
from verify_io.errors import UsageError


def test_engine_benchmark_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "engine.json"
    assert engine.main(["--instances", "32", "--horizon", "20", "--loop-instances", "8",
                        "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "throughput ratio batched / loop" in printed
    result = json.loads(out.read_text())
    assert result["instances"] == 32 and result["loop_instances"] == 8
    assert result["results_match"] is True
    # 32 batched instances must beat 8 single runs per instance-step by a wide margin.
    assert result["ratio"] > 3.0
    assert result["ratio"] == pytest.approx(
        result["batched_instance_steps_per_s"] / result["loop_instance_steps_per_s"])


@pytest.mark.parametrize(("argv", "needle"), [
    (["--instances", "0"], "--instances 0"),
    (["--horizon", "ten"], "--horizon 'ten'"),
    (["--optimizer", "Nadam"], "--optimizer 'Nadam'"),
    (["--instances", "4", "--loop-instances", "8"], "exceeds --instances"),
])
def test_engine_benchmark_bad_input(argv: list[str], needle: str) -> None:
    with pytest.raises(UsageError, match=needle.replace("-", r"\-")):
        engine.main(argv)
