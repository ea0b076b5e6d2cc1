"""ahb-lr-robustness is decided on the bisected learning-rate edges, never on the coarse grid:
a coarse tie that bisection separates is decided, a coarse win whose bisected brackets
overlap is not; every diverged setting carries the step it diverged at (typed record)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from experiments.named import ahb_lr
from experiments.spec import RunSpec
from reports.claims import judge
from reports.results import load_results
from reports.verdicts import Verdict

GRID = (0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 8.0)


def _sweep(largest_on_grid: float, low: float | None, high: float | None) -> dict[str, Any]:
    converged = [1.0 if f <= largest_on_grid else 0.0 for f in GRID]
    return {"final_gap_by_lr": [1e-12 if c else 1e-3 for c in converged],
            "fraction_converged_by_lr": converged,
            "diverged_at_step_by_lr": [None] * len(GRID),
            "n_lr_converged": int(sum(converged)),
            "largest_converging_lr_over_L": largest_on_grid,
            "stable_edge": _edge(low, high), "converging_edge": _edge(3.0, 3.5)}


def _edge(low: float | None, high: float | None) -> dict[str, Any]:
    return {"low": low, "high": high, "probe_lr_over_L": [3.5], "probe_passed": [True],
            "probe_final_gap": [1e-12], "probe_diverged_at_step": [None]}


def _write(root: Path, edit: Any) -> Verdict:
    path = root / "measurements" / "empirical.json"
    doc = json.loads(path.read_text())
    sweep = doc["metrics"]["ahb_lr_robustness"]
    sweep["lr_over_L"] = list(GRID)
    edit(sweep)
    path.write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["ahb-lr-robustness"]


def _verdict(root: Path, ahb: dict[str, Any], hb: dict[str, Any]) -> Verdict:
    return _write(root, lambda sweep: sweep["optimizers"].update(AdaptiveHB=ahb, HeavyBall=hb))


@pytest.mark.parametrize(("ahb", "hb", "status"), [
    # the coarse grid ties (both converge at 3, neither at 4); bisection separates them
    (_sweep(3.0, 3.53125, 3.5625), _sweep(3.0, 3.78125, 3.8125), "violated"),
    (_sweep(3.0, 3.875, 3.90625), _sweep(3.0, 3.78125, 3.8125), "holds"),
    # the coarse grid says AdaptiveHB (4 > 3), but the bisected brackets overlap: a tie
    (_sweep(4.0, 3.78125, 4.0), _sweep(3.0, 3.78125, 3.8125), "inconclusive"),
    # converging at the grid's largest lr: the edge lies above the grid
    (_sweep(8.0, 8.0, None), _sweep(3.0, 3.78125, 3.8125), "holds"),
    # nothing converges: below the grid
    (_sweep(0.0, None, 0.1), _sweep(3.0, 3.78125, 3.8125), "violated"),
])
def test_decided_on_the_bisected_edges(result_dir: Path, ahb: dict[str, Any],
                                       hb: dict[str, Any], status: str) -> None:
    verdict = _verdict(result_dir, ahb, hb)
    assert verdict.status == status, verdict.reason
    texts = {e.label: str(e.value) for e in verdict.evidence}
    theory = next(v for k, v in texts.items() if "stability edge 2(1 + beta)" in k)
    assert theory.startswith("3.8 (inside")        # heavy ball's bracket holds 2(1 + 0.9)


@pytest.mark.parametrize(("where", "value", "expected"), [
    ("diverged_at_step_by_lr", [None, None, None, None, None, None, "12"], "expected an integer"),
    ("diverged_at_step_by_lr", [None, None, None, None, None, None, 0], "step 0"),
    ("diverged_at_step_by_lr", [None, None, None, None, None, None, 401], "step 401"),
    ("diverged_at_step_by_lr", [None] * 6, "6 divergence steps for 7"),
    ("diverged_at_step_by_lr", "missing", "no field 'diverged_at_step_by_lr'"),
    # a diverged setting (final None) without its step, and a step beside a final value
    ("final_gap_by_lr", [1e-12] * 6 + [None], "divergence step None"),
    ("diverged_at_step_by_lr", [12] + [None] * 6, "divergence step 12"),
])
def test_a_malformed_divergence_step_is_invalid_data(result_dir: Path, where: str, value: Any,
                                                     expected: str) -> None:
    def edit(sweep: dict[str, Any]) -> None:
        entry = _sweep(3.0, 3.78125, 3.8125)
        if value == "missing":
            del entry[where]
        else:
            entry[where] = value
        sweep["optimizers"]["HeavyBall"] = entry
        sweep["horizon"] = 400

    verdict = _write(result_dir, edit)
    assert verdict.status == "invalid data" and expected in verdict.reason, verdict.reason


def test_a_bracket_that_is_not_one_is_invalid_data(result_dir: Path) -> None:
    verdict = _verdict(result_dir, _sweep(3.0, 3.9, 3.8), _sweep(3.0, 3.78125, 3.8125))
    assert verdict.status == "invalid data" and "stable_edge: low 3.9 is not below high 3.8" \
        in verdict.reason


def _factor(spec: RunSpec) -> float:
    return float(spec.hyperparameters["lr"]) * ahb_lr.KAPPA


@pytest.mark.parametrize(("edge", "bracket"), [
    (3.55, (3.53125, 3.5625)), (3.8, (3.78125, 3.8125)), (9.0, (8.0, None)),
    (0.05, (None, 0.1))])
def test_bisection_brackets_the_edge(edge: float,
                                     bracket: tuple[float | None, float | None]) -> None:
    """With 'passes iff lr L < edge', the bisection from the grid closes on the edge to
    the tolerance; a tie on the grid (3.55 and 3.8 both between 3 and 4) is separated."""
    fetched: list[float] = []

    def fetch(specs: Any) -> list[Any]:
        fetched.extend(_factor(s) for s in specs)
        return list(specs)                       # the spec stands in for its record

    grid = {"HeavyBall": [ahb_lr.spec("t", "HeavyBall", f, (0,), 10) for f in GRID]}
    low, high, probes = ahb_lr.bisect("t", grid, (0,), 10, fetch,  # type: ignore[arg-type]
                                      lambda spec: _factor(spec) < edge)["HeavyBall"]
    assert (low, high) == bracket
    assert [f for f, _ in probes] == pytest.approx(fetched)
    if low is not None and high is not None:
        assert low < edge <= high and high - low <= ahb_lr.TOLERANCE * high
