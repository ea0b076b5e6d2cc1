"""`dwmgrad-verify check`: one row per step, JSON with the columns, a violated step is a
result (exit 0), an unknown proof is a usage error listing the valid ones."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from proofs_check import cli
from proofs_check import mutants as mt
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


def test_each_row_says_how_it_was_decided_and_why_it_is_not_verified() -> None:
    mixed = StepResult("demo", "mixed", "x <= 1", "symbolic", "verified", 0.5, 10,
                       decided_by={"symbolic": 2, "falsification": 1})
    falsified = StepResult("demo", "searched", "x <= 2", "falsification", "verified", 0.1, 7)
    undecided = StepResult("demo", "open", "x <= 3", "numeric", "inconclusive", math.nan, 0,
                           detail="no instances")
    assert cli._row(mixed).splitlines()[1:] == [
        "    decided by: symbolic 2 + numeric falsification 1 (n=10)"]
    assert cli._row(falsified).splitlines()[1:] == [
        "    decided by: numeric falsification 1 (n=7)"]
    assert cli._row(undecided).splitlines()[1:] == ["    detail: no instances"]
    assert cli._row(undecided).split()[4] == "n/a"           # the slack of no instance


#: Stand-in mutants: two proof modules, two targets each, two operators per target.
FAKE_MUTANTS = [mt.Mutant("theory.t", f"proofs_check.{module}", target, operator, f"site {i}",
                          None)
                for module in ("a", "b") for target in ("X", "Y")
                for i, operator in enumerate(("halve", "double"))]


@pytest.mark.parametrize(("options", "expected"), [
    (["--per-module", "1", "--seed", "3"], mt.sample(FAKE_MUTANTS, 1, 3)),
    (["--per-module", "1"], mt.sample(FAKE_MUTANTS, 1, mt.SAMPLE_SEED)),
    (["--per-target", "1"], mt.spread(FAKE_MUTANTS, 1)),
    ([], FAKE_MUTANTS),
], ids=["sample-seed-3", "sample-ci-seed", "spread", "all"])
def test_check_mutants_runs_the_chosen_mutants_and_prints_each_and_the_score(
        options: list[str], expected: list[mt.Mutant], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert mt.sample(FAKE_MUTANTS, 1, 3) != mt.sample(FAKE_MUTANTS, 1, mt.SAMPLE_SEED)
    ran: list[tuple[list[mt.Mutant], int]] = []

    def run_all(chosen: list[mt.Mutant], progress: Callable[[mt.Outcome], None],
                workers: int) -> list[mt.Outcome]:
        ran.append((list(chosen), workers))
        outcomes = [mt.Outcome(m, "false", -1.0, "", "violated" if i else "verified", "", ())
                    for i, m in enumerate(chosen)]
        for outcome in outcomes:
            progress(outcome)
        return outcomes

    monkeypatch.setattr(mt, "mutants", lambda: FAKE_MUTANTS)
    monkeypatch.setattr(mt, "run_all", run_all)
    assert main(["check", "--mutants", *options, "--workers", "2"]) == 0
    assert ran == [(expected, 2)]
    out = capsys.readouterr().out.splitlines()
    n = len(expected)
    assert out[0] == f"{n} mutants"
    progress = [line.split(" s  ", 1) for line in out[1:n + 1]]    # elapsed seconds first
    assert all(seconds.strip().isdigit() for seconds, _ in progress)
    assert [line for _, line in progress] == [
        f"false      reported {'verified' if i == 0 else 'violated':<12} {m.proof_module}: "
        f"{m.name}" for i, m in enumerate(expected)]
    assert out[n + 1] == (f"mutation score: {n - 1}/{n} false mutants reported violated "
                          f"({100 * (n - 1) / n:.1f} %); 0 mutants still true (0 of them "
                          f"reported violated); {n} mutants")
