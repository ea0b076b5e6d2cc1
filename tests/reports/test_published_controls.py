"""The published DWMGrad's linear regret is blamed on DWMGrad only when the controls that share
the suspected confound (Adam, AMSGrad, heavy ball at the same lr and step schedule) do not show
it: a confounded comparison must not give "violated"."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import fake_controls

from experiments.measurements.dwmgrad_regret import ControlRow
from reports.claims import judge
from reports.results import load_results
from reports.verdicts import Verdict


def _json(rows: tuple[ControlRow, ...]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(row) for row in rows]


def _verdicts(root: Path, controls: tuple[ControlRow, ...] | list[dict[str, Any]]
              ) -> dict[str, Verdict]:
    path = root / "measurements" / "dwmgrad_regret.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["controls"] = (_json(controls) if isinstance(controls, tuple)
                                  else controls)
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}


def _without_search(root: Path) -> None:
    """Leave only the regret exponents as evidence (the fake search finds a counterexample)."""
    path = root / "measurements" / "counterexample_search.json"
    doc = json.loads(path.read_text())
    for entry in doc["metrics"]["targets"].values():
        entry["found"] = False
    path.write_text(json.dumps(doc))


def test_linear_regret_the_controls_do_not_share_is_the_mechanisms(result_dir: Path) -> None:
    _without_search(result_dir)
    verdict = _verdicts(result_dir, fake_controls(published=1.0, control=0.5))[
        "dwmgrad-convergence-published"]
    assert verdict.status == "violated"
    assert "linear regret" in verdict.reason and "paper:loss" in verdict.reason
    assert "lr_schedule=inv_sqrt" in verdict.reason  # the ablation names what removes it


def test_linear_regret_shared_by_the_controls_is_the_constant_step(result_dir: Path) -> None:
    """The fake published DWMGrad is linear (exponent 1.0); so are Adam, AMSGrad and heavy
    ball at the same constant lr: a confound, not a violation."""
    _without_search(result_dir)
    verdict = _verdicts(result_dir, fake_controls(published=1.0, control=0.97))[
        "dwmgrad-convergence-published"]
    assert verdict.status == "inconclusive"
    assert "constant step size" in verdict.reason and "not blamed on DWMGrad" in verdict.reason


def test_linear_regret_without_a_control_is_not_blamed(result_dir: Path) -> None:
    """Where no control at the same lr and schedule was measured, a linear regret cannot be
    attributed: inconclusive, never violated."""
    _without_search(result_dir)
    rows = tuple(row for row in fake_controls() if row.family != "control")
    verdict = _verdicts(result_dir, rows)["dwmgrad-convergence-published"]
    assert verdict.status == "inconclusive"
    assert "no control at lr 0.01, constant measured" in verdict.reason


@pytest.mark.parametrize(("field", "value", "named"), [
    ("tail", None, "metrics.controls[0].tail"),            # no fit object at all
    ("family", "baseline", "metrics.controls[0]"),          # not published/ablation/control
    ("schedule", "cosine", "metrics.controls[0]"),          # a schedule no rule knows
    ("lr", "0.01", "metrics.controls[0].lr"),               # a string, not a number
])
def test_a_malformed_control_row_is_invalid_data(result_dir: Path, field: str, value: Any,
                                                 named: str) -> None:
    rows = _json(fake_controls())
    rows[0][field] = value
    verdict = _verdicts(result_dir, rows)["dwmgrad-convergence-published"]
    assert verdict.status == "invalid data" and named in verdict.reason, verdict.reason


def test_a_non_finite_control_exponent_is_invalid_data(result_dir: Path) -> None:
    rows = _json(fake_controls())
    rows[3]["tail"]["slope"] = float("nan")
    verdict = _verdicts(result_dir, rows)["dwmgrad-convergence-published"]
    assert verdict.status == "invalid data" and "dwmgrad_regret" in verdict.reason


def test_an_empty_control_table_is_invalid_data(result_dir: Path) -> None:
    verdict = _verdicts(result_dir, [])["dwmgrad-convergence-published-decaying"]
    assert verdict.status == "invalid data" and "metrics.controls" in verdict.reason


@pytest.mark.parametrize(("decaying", "control", "status"), [
    (0.97, 0.5, "violated"),        # DWMGrad's own: the controls at alpha/sqrt(t) are fine
    (0.97, 0.97, "inconclusive"),   # shared with the controls at the same step
    (0.45, 0.5, "inconclusive"),    # sublinear, but no proof covers it
])
def test_decaying_step_claim(result_dir: Path, decaying: float, control: float,
                             status: str) -> None:
    controls = fake_controls(decaying=decaying, control=control)
    verdict = _verdicts(result_dir, controls)["dwmgrad-convergence-published-decaying"]
    assert verdict.status == status, verdict.reason
