"""demon-robustness is decided against the seed's comparator (heavy ball with a decaying lr) on
seed-bootstrap CIs: a point difference inside overlapping CIs, or a loss to the confounded
same-constant-lr control alone, must not make it violated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reports.claims import judge
from reports.results import load_results
from reports.verdicts import Verdict


def _spread(value: float | None, low: float | None, high: float | None,
            n: int = 5) -> dict[str, Any]:
    return {"final_loss_by_beta": [0.2] * 5, "diverged_at_step_by_beta": [None] * 5,
            "log10_spread": value,
            "log10_spread_ci_low": low, "log10_spread_ci_high": high, "n_samples": n}


def _verdict(root: Path, **entries: dict[str, Any]) -> Verdict:
    path = root / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["demon_momentum_robustness"]["optimizers"].update(entries)
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["demon-robustness"]


@pytest.mark.parametrize(("demon", "decay", "control", "status"), [
    (_spread(0.1, 0.05, 0.15), _spread(0.4, 0.3, 0.5), _spread(0.4, 0.3, 0.5), "holds"),
    (_spread(0.6, 0.5, 0.7), _spread(0.2, 0.1, 0.3), _spread(0.4, 0.3, 0.5), "violated"),
    # Demon's point spread is larger, but the CIs overlap: not a violation
    (_spread(0.35, 0.2, 0.5), _spread(0.3, 0.15, 0.45), _spread(0.3, 0.2, 0.4), "inconclusive"),
    # worse than the confounded constant-lr control only: decided on the comparator
    (_spread(0.3, 0.25, 0.35), _spread(0.6, 0.5, None), _spread(0.05, 0.01, 0.1), "holds"),
    # one seed: no interval
    (_spread(0.6, 0.6, 0.6, 1), _spread(0.2, 0.2, 0.2, 1), _spread(0.2, 0.2, 0.2, 1),
     "inconclusive"),
])
def test_demon_robustness_rule(result_dir: Path, demon: dict[str, Any], decay: dict[str, Any],
                               control: dict[str, Any], status: str) -> None:
    verdict = _verdict(result_dir, **{"DemonSGD": demon, "HeavyBall (lr decay)": decay,
                                      "HeavyBall": control})
    assert verdict.status == status, verdict.reason


@pytest.mark.parametrize(("field", "value"), [
    ("log10_spread_ci_low", "missing"), ("log10_spread_ci_high", float("nan")),
    ("n_samples", 2.5), ("log10_spread", "0.1")])
def test_a_malformed_interval_is_invalid_data(result_dir: Path, field: str, value: Any) -> None:
    demon = _spread(0.1, 0.05, 0.15)
    if value == "missing":
        del demon[field]
    else:
        demon[field] = value
    verdict = _verdict(result_dir, DemonSGD=demon)
    assert verdict.status == "invalid data" and "empirical" in verdict.reason, verdict.reason


def test_a_missing_comparator_is_invalid_data(result_dir: Path) -> None:
    path = result_dir / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    del doc["metrics"]["demon_momentum_robustness"]["optimizers"]["HeavyBall (lr decay)"]
    path.write_text(json.dumps(doc))
    verdict = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}[
        "demon-robustness"]
    assert verdict.status == "invalid data" and "HeavyBall (lr decay)" in verdict.reason


def test_spread_ci_resamples_the_seeds() -> None:
    from experiments.named.empirical import spread_ci

    assert spread_ci(np.array([[1.0, 1.0, 1.0], [10.0, 10.0, 10.0]])) == (1.0, 1.0)
    low, high = spread_ci(np.array([[1.0, 1.0, 1.0], [10.0, 10.0, np.inf]]))
    assert low == 1.0 and high == np.inf       # resamples where the diverged seed dominates
    low, high = spread_ci(np.array([[1.0, 2.0, 4.0], [1.0, 2.0, 4.0]]))
    assert low == high == 0.0                  # paired: the same seeds at every beta


def test_spread_ci_counts_a_nan_seed_as_diverged() -> None:
    from experiments.named.empirical import spread_ci

    low, high = spread_ci(np.array([[1.0, 1.0, np.nan], [10.0, 10.0, 10.0]]))
    assert low == 1.0 and high == np.inf      # never nan, never the nan seed dropped
