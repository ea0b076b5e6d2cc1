"""The one rule for "A is better than B" (reports.comparison), fed the cases it must reject:
overlapping intervals called decisive, a family an uncorrected test would pass but Holm must
not, a confounded (unpaired or tuned-on-evaluation-seeds) comparison, one seed, and the
universal claim broken on one problem (issue 11's AdaptiveHB on the MLP)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from report_fake_results import FAKE_SEEDS, fake_loss

from reports.claims import judge
from reports.comparison import (
    ALPHA,
    Decided,
    Difference,
    check_paired,
    holm_adjusted,
    never_worse,
    paired_difference,
    universal_better,
)
from reports.results import InvalidData, load_results


def _row(where: str, estimate: float, p: float, instances: int = 10) -> Difference:
    return Difference(where, estimate, estimate - 1, estimate + 1, p, instances, 0.0, 0.0)


def test_holm_adjusted_p_values() -> None:
    # hand computation: sorted 0.005*4, 0.01*3, 0.03*2, max(0.06, 0.04*1)
    assert holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjusted([0.5, 0.9]) == [1.0, 1.0]                       # capped at 1


def test_a_family_an_uncorrected_test_passes_is_not_decided_after_holm() -> None:
    rows = [_row(f"problem {i}", -1.0, 0.04) for i in range(4)]            # each p < ALPHA
    assert all(r.p_value <= ALPHA for r in rows)
    verdict = universal_better(Decided.of(rows), "A is better", "src")
    assert verdict.status == "inconclusive", verdict.reason
    assert "an uncorrected test would have decided" in verdict.reason
    decided = universal_better(Decided.of([_row("p", -1.0, 0.001), _row("q", -1.0, 0.02),
                                           _row("r", -1.0, 0.03)]), "A is better", "src")
    assert decided.status == "holds", decided.reason                     # 0.003, 0.04, 0.04


def test_overlapping_intervals_are_never_decisive() -> None:
    rng = np.random.default_rng(1)
    a = rng.lognormal(0.0, 1.0, 10)
    b = a * rng.lognormal(0.05, 1.0, 10)             # a slightly better point value, noisy
    row = paired_difference("noisy", np.log10(a), np.log10(b))
    assert row.low < 0 < row.high and row.p_value > ALPHA
    verdict = universal_better(Decided.of([row]), "A is better", "src")
    assert verdict.status == "inconclusive", verdict.reason


def test_a_clear_paired_win_holds_and_a_loss_on_one_problem_violates() -> None:
    base = np.linspace(1.0, 2.0, 10)
    win = paired_difference("win", base - 0.5, base)
    loss = paired_difference("loss", base + 0.5, base)
    assert win.high < 0 and win.p_value == 0.0 and loss.low > 0
    assert universal_better(Decided.of([win]), "A", "src").status == "holds"
    verdict = universal_better(Decided.of([win, win, loss]), "A", "src")
    assert verdict.status == "violated" and "loss" in verdict.reason
    assert never_worse(Decided.of([win, loss]), "A", "src").status == "violated"
    assert never_worse(Decided.of([win]), "A", "src").status == "holds"


def test_diverged_and_never_reached_are_infinite_and_tie_with_each_other() -> None:
    never = np.full(10, math.inf)
    reached = np.full(10, 45.0)
    assert paired_difference("A never", never, reached).low == math.inf
    tie = paired_difference("both never", never, never)
    assert tie.estimate == 0.0 and tie.p_value == 1.0
    with pytest.raises(ValueError, match="NaN"):
        paired_difference("nan", np.array([1.0, math.nan]), np.array([1.0, 2.0]))


def test_one_seed_is_never_decided() -> None:
    row = paired_difference("one", np.array([1.0]), np.array([100.0]))
    assert row.instances == 1 and "one seed: no interval" in row.text()
    assert universal_better(Decided.of([row]), "A", "src").status == "inconclusive"
    assert never_worse(Decided.of([paired_difference("one", np.array([100.0]),
                                                     np.array([1.0]))]),
                       "A", "src").status == "inconclusive"


def test_a_confounded_comparison_is_refused() -> None:
    a = fake_loss(0.1)
    check_paired("f", "ok", a, fake_loss(0.2))
    other_seeds = dataclasses.replace(fake_loss(0.2), seeds=tuple(s + 1 for s in FAKE_SEEDS))
    with pytest.raises(InvalidData, match="different seeds or horizons"):
        check_paired("f", "unpaired", a, other_seeds)
    shorter = dataclasses.replace(fake_loss(0.2), horizon=10)
    with pytest.raises(InvalidData, match="different seeds or horizons"):
        check_paired("f", "unpaired", a, shorter)
    untuned = dataclasses.replace(fake_loss(0.2), tuned=None)
    with pytest.raises(InvalidData, match="not tuned"):
        check_paired("f", "untuned", a, untuned)
    assert a.tuned is not None
    leaked = dataclasses.replace(fake_loss(0.2), tuned=dataclasses.replace(
        a.tuned, tuning_seeds=(2, 1000)))
    with pytest.raises(InvalidData, match=r"tuned on evaluation seeds \[2\]"):
        check_paired("f", "leaked", a, leaked)


def _claims(root: Path) -> dict[str, str]:
    return {j.claim.id: j.verdict.status for j in judge(load_results(root))}


def _set_mlp(root: Path, label: str, finals: list[float], steps: list[int | None]) -> None:
    path = root / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    entry = doc["metrics"]["mlp"][label]
    entry["final_by_seed"], entry["steps_by_seed"] = finals, steps
    path.write_text(json.dumps(doc))


def test_adaptive_hb_never_reaching_the_mlp_threshold_violates_ahb_faster(
        result_dir: Path) -> None:
    """Issue 11: AdaptiveHB never reaches the MLP threshold heavy ball reaches in 45 steps."""
    n = len(FAKE_SEEDS)
    _set_mlp(result_dir, "AdaptiveHB", [0.574] * n, [None] * n)
    _set_mlp(result_dir, "HeavyBall", [0.082] * n, [45] * n)
    verdict = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}["ahb-faster"]
    assert verdict.status == "violated", verdict.reason
    assert "mlp: steps to threshold" in verdict.reason
    # the fake controls: beta_k collapsed on minibatches, fine on full batches
    assert "on the MLP blamed on the secant curvature of minibatch gradients" in verdict.reason


def _ahb_with_controls(root: Path, full_ahb: list[int], beta: float) -> str:
    n = len(FAKE_SEEDS)
    _set_mlp(root, "AdaptiveHB", [0.574] * n, [None] * n)
    _set_mlp(root, "HeavyBall", [0.082] * n, [45] * n)
    path = root / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    controls = doc["metrics"]["ahb_controls"]
    controls["full_batch"]["AdaptiveHB"]["steps_by_seed"] = full_ahb
    controls["full_batch"]["HeavyBall"]["steps_by_seed"] = [11] * n
    controls["momentum_median"] = beta
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["ahb-faster"].reason


def test_ahb_faster_blames_only_what_its_controls_show(result_dir: Path) -> None:
    n = len(FAKE_SEEDS)
    partly = _ahb_with_controls(result_dir, [19] * n, beta=0.09)     # still slower, less so
    assert "partly blamed on the secant curvature" in partly, partly
    not_collapsed = _ahb_with_controls(result_dir, [11] * n, beta=0.9)
    assert "not explained by the controls" in not_collapsed, not_collapsed


def test_the_fake_set_decides_every_comparison(result_dir: Path) -> None:
    """On the synthetic set (10 seeds, 3 % spread) every paired difference is decided."""
    claims = _claims(result_dir)
    assert claims["dwmgrad-faster-small-scale"] == "holds"        # 100 vs 200 steps
    assert claims["ahb-faster"] == "holds"                        # 220 vs 300 steps
    assert claims["demon-adam-improves"] == "holds"               # 0.15 vs 0.2
    assert claims["aida-competitive"] == "holds"                  # 0.17 vs 0.2 and 0.18
    assert claims["aida-narrower-stepsizes"] == "holds"           # 1.5 vs 2.5 and 3.0

