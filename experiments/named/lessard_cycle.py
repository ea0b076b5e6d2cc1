"""``lessard_cycle``: heavy ball's 3-cycle on Lessard, Recht and Packard's function.

Lessard, Recht, Packard (SIAM J. Optim. 2016, §4.6), algorithms.md §5: f is 1-strongly convex
and 25-smooth; heavy ball with Polyak's tuning α = 1/9, β = 4/9 started at x_0 = x_1 ∈
[3.07, 3.46] settles into the 3-cycle {0.6465, -1.8024, 2.1159}; starts 3.0 and 3.5 converge
to x* = 0. The runner's ``HeavyBall`` (torch SGD with momentum, first step without momentum)
is exactly x_{k+1} = x_k - α f'(x_k) + β (x_k - x_{k-1}) with x_0 = x_1.

A run is "cycling" when the last iterates repeat with period 3 (|x_T - x_{T-3}| ≤ 1e-9) away
from the minimiser, and "converged" when |x_T - x*| ≤ 1e-8.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.measurements.lessard_cycle import LessardCycleMetrics, Start
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    load_records,
    resolve_scale,
)
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

NAME = "lessard_cycle"
DESCRIPTION = "Heavy ball (alpha=1/9, beta=4/9) on Lessard's function: 3-cycle vs convergence"
ALPHA, BETA = 1.0 / 9.0, 4.0 / 9.0
EXPECTED_CYCLE = (0.6465, -1.8024, 2.1159)
CONVERGING_STARTS = (3.0, 3.5)
GRID_POINTS: dict[Scale, int] = {"quick": 8, "full": 40}
HORIZON: dict[Scale, int] = {"quick": 600, "full": 2000}
PERIOD_TOL = 1e-9
CONVERGED_TOL = 1e-8




def cycle_starts(scale: Scale) -> list[float]:
    return [round(float(v), 6) for v in np.linspace(3.07, 3.46, GRID_POINTS[check_scale(scale)])]


def start_spec(x0: float, horizon: int) -> RunSpec:
    return RunSpec(experiment=NAME, problem="lessard", problem_params={"x0": x0},
                   optimizer="HeavyBall", hyperparameters={"lr": ALPHA, "momentum": BETA},
                   seeds=(0,), horizon=horizon, record=("x",))


def specs(scale: Scale) -> list[RunSpec]:
    horizon = HORIZON[check_scale(scale)]
    return [start_spec(x0, horizon) for x0 in [*cycle_starts(scale), *CONVERGING_STARTS]]


def classify(trajectory: np.ndarray) -> dict[str, Any]:
    """Cycle / convergence verdict and the last three iterates of one 1-d trajectory."""
    last = trajectory[-3:]
    converged = bool(abs(trajectory[-1]) <= CONVERGED_TOL)
    periodic = bool(abs(trajectory[-1] - trajectory[-4]) <= PERIOD_TOL)
    # order the three cycle points like EXPECTED_CYCLE: start at the one nearest 0.6465
    first = int(np.argmin(np.abs(last - EXPECTED_CYCLE[0])))
    points = np.roll(last, -first)
    return {"converged": converged, "cycling": periodic and not converged,
            "final_x": float(trajectory[-1]), "last_three": points.tolist()}


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    records: list[RunRecord] = load_records(store, specs(chosen))
    starts: list[Start] = []
    cycles: list[tuple[float, ...]] = []
    series: dict[str, Any] = {}
    for record in records:
        x0 = float(record.spec.problem_params["x0"])
        trajectory = record.vector("x")[0, :, 0]
        verdict = classify(trajectory)
        starts.append(Start(x0=x0, in_cycle_interval=3.07 <= x0 <= 3.46,
                            converged=verdict["converged"], cycling=verdict["cycling"],
                            final_x=verdict["final_x"],
                            last_three=tuple(verdict["last_three"])))
        if verdict["cycling"]:
            cycles.append(tuple(verdict["last_three"]))
        series[f"{x0:g}"] = finite_list(trajectory[:60])
    cycle_runs = [s for s in starts if s.in_cycle_interval]
    detected = bool(cycle_runs) and all(s.cycling for s in cycle_runs)
    points = np.median(np.array(cycles), axis=0).tolist() if cycles else []
    error = (float(np.max(np.abs(np.array(points) - EXPECTED_CYCLE))) if points else None)
    metrics = LessardCycleMetrics(
        cycle_detected=detected,
        cycle_points=tuple(points),
        expected_cycle=EXPECTED_CYCLE,
        cycle_max_abs_error=error,
        starts=tuple(starts),
        converging_starts_converged=all(s.converged for s in starts
                                        if s.x0 in CONVERGING_STARTS),
        alpha=ALPHA,
        beta=BETA,
    )
    return envelope(NAME, chosen, records, metrics, {"trajectories": series})
