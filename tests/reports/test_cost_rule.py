"""dwmgrad-cost-linear is an order, Θ(n·d): two-sided. Each time exponent's CI must lie in
[0.9, 1.1]; flat data (per-step overhead), a CI reaching outside the band or one repetition
decide nothing; a super-linear growth Adam shares is the harness's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reports.claims import judge
from reports.results import load_results
from reports.verdicts import Verdict


def _fit(slope: float, low: float, high: float, n: float = 3.0) -> dict[str, Any]:
    return {"slope": slope, "intercept": -12.0, "ci_low": low, "ci_high": high, "level": 0.9,
            "n_samples": n}


def _verdict(root: Path, d: dict[str, Any], n: dict[str, Any],
             adam_d: dict[str, Any] | None = None) -> Verdict:
    path = root / "measurements" / "cost_scaling.json"
    doc = json.loads(path.read_text())
    table = doc["metrics"]["optimizers"]
    table["DWMGrad"]["time_exponent_d"], table["DWMGrad"]["time_exponent_n"] = d, n
    if adam_d is not None:
        table["Adam"]["time_exponent_d"] = adam_d
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["dwmgrad-cost-linear"]


LINEAR = _fit(1.0, 0.95, 1.05)


@pytest.mark.parametrize(("d", "n", "adam_d", "status", "said"), [
    (_fit(0.97, 0.93, 1.01), LINEAR, None, "holds", "lie in [0.9, 1.1]"),
    # flat from per-step overhead (the quick d-exponent 0.59): the old one-sided rule said holds
    (_fit(0.59, 0.5, 0.68), LINEAR, None, "inconclusive", "overhead"),
    # the CI reaches above the band: not shown linear, not shown super-linear
    (_fit(1.05, 0.98, 1.2), LINEAR, None, "inconclusive", "reaches outside"),
    (LINEAR, _fit(0.95, 0.7, 1.05), None, "inconclusive", "n: the CI"),
    # super-linear, Adam linear: DWMGrad's own
    (_fit(1.5, 1.4, 1.6), LINEAR, LINEAR, "violated", "faster than for Adam"),
    # super-linear, and so is Adam: the harness
    (_fit(1.5, 1.4, 1.6), LINEAR, _fit(1.45, 1.35, 1.55), "inconclusive", "harness"),
    # one repetition: an exact value is no interval
    (_fit(1.0, 1.0, 1.0, 1.0), LINEAR, None, "inconclusive", "one timing repetition"),
])
def test_cost_rule_is_two_sided(result_dir: Path, d: dict[str, Any], n: dict[str, Any],
                                adam_d: dict[str, Any] | None, status: str, said: str) -> None:
    verdict = _verdict(result_dir, d, n, adam_d)
    assert verdict.status == status and said in verdict.reason, verdict.reason


@pytest.mark.parametrize("bad", [float("nan"), None, "1.0"])
def test_a_non_finite_or_malformed_exponent_is_invalid_data(result_dir: Path, bad: Any) -> None:
    d = _fit(1.0, 0.95, 1.05)
    d["ci_high"] = bad
    verdict = _verdict(result_dir, d, LINEAR)
    assert verdict.status == "invalid data" and "cost_scaling" in verdict.reason, verdict.reason
