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


def _sweep(by_beta: list[float], noise: float = 0.01, n: int = 10,
           seed: int = 0) -> dict[str, Any]:
    """A sweep whose seed j at beta i ends at by_beta[i] times (1 + noise * z_ij)."""
    z = np.random.default_rng(seed).standard_normal((len(by_beta), n))
    rows = [[b * (1 + noise * z[i, j]) for j in range(n)] for i, b in enumerate(by_beta)]
    return {"final_loss_by_beta": by_beta, "diverged_at_step_by_beta": [None] * len(by_beta),
            "log10_spread": None, "log10_spread_ci_low": None,
            "log10_spread_ci_high": None, "n_samples": n, "seeds": list(range(n)),
            "final_by_beta_and_seed": rows,
            "tuned": {"grid": [0.005, 0.05, 0.5], "scores": [-1.0, -2.0, None],
                      "chosen_lr": 0.05, "at_grid_edge": False,
                      "tuning_seeds": [1000, 1001, 1002]},
            "tuned_at_beta": 0.9}


FLAT, STEEP = [0.2, 0.2, 0.21, 0.2, 0.2], [0.2, 0.25, 0.3, 0.4, 0.6]


def _verdict(root: Path, **entries: dict[str, Any]) -> Verdict:
    path = root / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["demon_momentum_robustness"]["optimizers"].update(entries)
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["demon-robustness"]


@pytest.mark.parametrize(("demon", "decay", "control", "status"), [
    (_sweep(FLAT), _sweep(STEEP, seed=1), _sweep(STEEP, seed=2), "holds"),
    (_sweep(STEEP), _sweep(FLAT, seed=1), _sweep(STEEP, seed=2), "violated"),
    # Demon's point spread is larger, but the seeds are noisy: overlap, not a violation
    (_sweep([0.2, 0.22, 0.2, 0.21, 0.24], noise=0.3), _sweep(FLAT, noise=0.3, seed=1),
     _sweep(FLAT, seed=2), "inconclusive"),
    # worse than the constant-lr control only: decided on the comparator
    (_sweep([0.2, 0.22, 0.24, 0.26, 0.28]), _sweep(STEEP, seed=1), _sweep(FLAT, noise=0.0),
     "holds"),
    # one seed: no interval
    (_sweep(STEEP, n=1), _sweep(FLAT, n=1), _sweep(FLAT, n=1), "inconclusive"),
])
def test_demon_robustness_rule(result_dir: Path, demon: dict[str, Any], decay: dict[str, Any],
                               control: dict[str, Any], status: str) -> None:
    verdict = _verdict(result_dir, **{"DemonSGD": demon, "HeavyBall (lr decay)": decay,
                                      "HeavyBall": control})
    assert verdict.status == status, verdict.reason


def test_a_diverged_setting_is_an_infinite_spread(result_dir: Path) -> None:
    decay = _sweep(FLAT, seed=1)
    decay["final_by_beta_and_seed"][4] = [None] * 10            # beta 0.99 diverged
    verdict = _verdict(result_dir, DemonSGD=_sweep(STEEP), **{"HeavyBall (lr decay)": decay})
    assert verdict.status == "holds" and "vs inf" in " ".join(
        str(e.value) for e in verdict.evidence), verdict.reason


@pytest.mark.parametrize(("field", "value"), [
    ("final_by_beta_and_seed", [[0.2] * 9] * 5), ("seeds", [0, 1]),
    ("n_samples", 2.5), ("final_by_beta_and_seed", [[float("nan")] * 10] * 5)])
def test_a_malformed_sweep_is_invalid_data(result_dir: Path, field: str, value: Any) -> None:
    demon = _sweep(FLAT)
    demon[field] = value
    verdict = _verdict(result_dir, DemonSGD=demon)
    assert verdict.status == "invalid data" and "empirical" in verdict.reason, verdict.reason


def test_an_lr_tuned_on_an_evaluation_seed_is_refused(result_dir: Path) -> None:
    demon = _sweep(FLAT)
    demon["tuned"]["tuning_seeds"] = [3, 1000]
    verdict = _verdict(result_dir, DemonSGD=demon)
    assert verdict.status == "invalid data" and "tuned on evaluation seeds [3]" in \
        verdict.reason, verdict.reason


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
