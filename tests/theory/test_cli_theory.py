"""`dwmgrad-verify theory`: every bound with assumptions and LaTeX; --out writes atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from theory.cli import write_results
from theory.dwmgrad import REGRET_BOUND


def test_json_lists_every_bound_with_assumptions_and_latex(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["theory", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"bounds", "derivations", "analysed_options", "paper_algorithm_gaps",
                         "missing_modules"}
    by_name = {b["name"]: b for b in data["bounds"]}
    regret = by_name["dwmgrad_regret"]
    assert regret["latex"] == REGRET_BOUND.latex()
    assert regret["kind"] == "upper" and regret["reference"].startswith("derived here")
    assert {a["name"] for a in regret["assumptions"]} >= {
        "convex", "box", "bounded_gradients", "inv_sqrt_step", "momentum_decay",
        "monotone_second_moment", "window_range"}
    for bound in data["bounds"]:
        assert {"name", "kind", "latex", "assumptions", "reference", "symbols"} <= set(bound)
    assert data["analysed_options"]["lr_schedule"] == "inv_sqrt"
    assert len(data["paper_algorithm_gaps"]) == 4


def test_text_output_shows_latex_and_assumptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["theory"]) == 0
    out = capsys.readouterr().out
    assert REGRET_BOUND.latex() in out
    assert "monotone_second_moment" in out and "What the published DWMGrad breaks" in out


def test_write_results_writes_bounds_and_appendix(tmp_path: Path) -> None:
    path = write_results(tmp_path)
    assert path == tmp_path / "theory" / "bounds.json"
    assert json.loads(path.read_text())["bounds"]
    assert (tmp_path / "theory" / "derivations.md").exists()
    assert (tmp_path / "tables" / "derivations.tex").exists()


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["theory", "--out", str(target)]) == 2
    assert "expected a directory" in capsys.readouterr().err


def test_appendix_option_runs_the_checks_and_writes_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from proofs_check.core import ProofStep, StepResult

    stub = StepResult("dwmgrad_regret", "L1", "stub statement for L1", "symbolic", "verified",
                      0.0, 0)
    monkeypatch.setattr("proofs_check.registry.select", lambda proof=None: [
        ProofStep("dwmgrad_regret", "L1", "stub", lambda: stub),
        ProofStep("unrelated_proof", "x", "not part of a derivation", lambda: 1 / 0)])
    assert main(["theory", "--appendix", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    md = (tmp_path / "theory" / "derivations.md").read_text()
    assert "L1: symbolic, verified" in md and "stub statement for L1" in md
    assert "stub statement for L1" in (tmp_path / "tables" / "derivations.tex").read_text()
