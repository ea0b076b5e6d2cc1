"""`dwmgrad-verify check`: one row per step, JSON with the columns, a violated step is a
result (exit 0), an unknown proof is a usage error listing the valid ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from proofs_check import cli
from proofs_check.core import ProofStep, StepResult

GAPS = "dwmgrad_paper_gaps"


def test_json_rows_have_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "--proof", GAPS]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["results"]
    assert len(rows) == 4
    for row in rows:
        assert set(cli.COLUMNS) <= set(row)
        assert row["proof"] == GAPS and row["status"] == "verified"
    assert data["summary"] == {"verified": 4}


def test_text_prints_one_row_per_step_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--proof", GAPS, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["proof", "step", "method"]
    assert sum(line.startswith(GAPS) for line in out) == 4
    assert out[-1] == "4 steps: 4 verified"
    stored = json.loads((tmp_path / "checks" / "checks.json").read_text())
    assert [r["step"] for r in stored["results"]] == [
        "gap:shrinking_second_moment", "gap:constant_step", "gap:non_decaying_momentum",
        "gap:no_projection"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["checks.json"]


def test_unknown_proof_is_a_usage_error_listing_the_proofs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--proof", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "dwmgrad_regret" in err and "Traceback" not in err


def test_a_violated_step_is_printed_with_its_counterexample_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    false = StepResult("demo", "false", "x^2 <= x", "numeric", "violated", -2.0, 1000,
                       {"x": 2.0}, "tolerance 1e-09")
    monkeypatch.setattr("proofs_check.registry.select",
                        lambda proof=None: [ProofStep("demo", "false", "x^2 <= x",
                                                      lambda: false)])
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "violated" in out and "counterexample: {'x': 2.0}" in out
    assert out.splitlines()[-1] == "1 steps: 1 violated"
