"""``heavy_ball_rate``: Polyak-tuned heavy ball and gradient descent on quadratics over κ.

Polyak (1964), algorithms.md §2: on f(x) = ½ xᵀAx with μI ⪯ A ⪯ LI, heavy ball with
α* = 4/(√L+√μ)², β* = ((√L-√μ)/(√L+√μ))² converges at ρ* = (√κ-1)/(√κ+1) per step, but the
double roots at λ = μ and λ = L make the error ~ k·ρ*^k, so a plain log-linear fit over a
finite window overestimates ρ* (κ = 100, steps 200..400: 0.8210, not 0.8182); the fit with
the k^p factor recovers ρ*. Gradient descent with step 2/(L+μ) converges at (κ-1)/(κ+1).

Runs: ``quadratic_centred`` (x* = 0, so errors down to 1e-30 are resolved in float64), d = 10
with a random rotation, eigenvalues linearly spaced in [1, κ], seeds 0..4, error ‖x_k - x*‖
recorded ("dist"; k = step - 1 iterations done). Heavy ball is fitted on k ∈ [2m, 4m] with
m = :func:`transient_end` = round(20/(-ln ρ*)) (κ = 100 gives exactly the published window
[200, 400]): the fit starts after the transient (ρ*^k ≤ e^-20) and each row records the
smallest error in its window, which must stay above :data:`FLOAT64_FLOOR`; gradient descent
on k ∈ [m', 2m'] with m' = round(5/(-ln q)), q = (κ-1)/(κ+1).

Beside them (``metrics.pepit``, :func:`pepit_rows`): PEPit's worst case of ‖x_N - x*‖² for
N in :data:`PEPIT_STEPS`, for heavy ball at the same (α*, β*) over quadratics and over smooth
strongly convex functions, and for gradient descent over the latter
(:mod:`theory.pepit_worst_case`: a solve is kept only when its own primal/dual diagnostics
are accurate and it agrees with the exact worst case over quadratics; a rejected one is kept
with its reasons). These are computed, not run: a few seconds of SDP solves per κ.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from experiments import metrics
from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics, PepitRow, RateRow
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    finite_or_none,
    load_records,
    resolve_scale,
)
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory import heavy_ball as hb
from theory import pepit_worst_case as pep

NAME = "heavy_ball_rate"
DESCRIPTION = "Polyak heavy ball and GD on quadratics over kappa: measured rate vs rho*"
KAPPAS: dict[Scale, tuple[float, ...]] = {"quick": (10.0, 100.0, 1000.0),
                                           "full": (10.0, 100.0, 1000.0, 10000.0)}
DIM = 10
SEEDS = (0, 1, 2, 3, 4)
SERIES_POINTS = 400
TRANSIENT_EFOLDS = 20.0
"""The transient is over once ρ*^k ≤ e^-TRANSIENT_EFOLDS; a rate fit must start after it."""
PEPIT_STEPS: dict[Scale, tuple[int, ...]] = {"quick": (2, 4, 8, 12), "full": (2, 4, 8, 12)}
"""Horizons N of PEPit's worst cases (an SDP of size ~N per solve: seconds in all)."""
FLOAT64_FLOOR = math.sqrt(sys.float_info.min)
"""‖x_k‖ squares each coordinate: below √(smallest normal float64) ≈ 1.5e-154 the squares
leave the normal range and the recorded error loses precision (a fit must stay above it)."""




def polyak_tuning(mu: float, L: float) -> tuple[float, float, float]:
    """(α*, β*, ρ*) of Polyak's heavy ball: ``theory.heavy_ball``'s expressions at (μ, L)."""
    values = {hb.mu: mu, hb.L: L}
    return (float(hb.ALPHA_STAR.subs(values)), float(hb.BETA_STAR.subs(values)),
            float(hb.RHO_STAR.subs(values)))


def gd_rate(kappa: float) -> float:
    """(κ-1)/(κ+1): ``theory.heavy_ball.GD_RATE_KAPPA`` at κ."""
    return float(hb.GD_RATE_KAPPA.subs(hb.kappa, kappa))


def gd_step(mu: float, L: float) -> float:
    """2/(L+μ): ``theory.heavy_ball.GD_STEP`` at (μ, L)."""
    return float(hb.GD_STEP.subs({hb.mu: mu, hb.L: L}))


def transient_end(kappa: float) -> int:
    """First iteration k after heavy ball's transient at κ: round(TRANSIENT_EFOLDS/(-ln ρ*))."""
    return round(TRANSIENT_EFOLDS / -math.log(polyak_tuning(1.0, kappa)[2]))


def heavy_ball_window(kappa: float) -> tuple[int, int]:
    m = transient_end(kappa)
    return 2 * m, 4 * m


def gd_window(kappa: float) -> tuple[int, int]:
    m = round(5.0 / -math.log(gd_rate(kappa)))
    return m, 2 * m


def _spec(kappa: float, optimizer: str, hyper: dict[str, Any], last: int) -> RunSpec:
    return RunSpec(experiment=NAME, problem="quadratic_centred",
                   problem_params={"d": DIM, "mu": 1.0, "L": kappa, "spacing": "linear"},
                   optimizer=optimizer, hyperparameters=hyper, seeds=SEEDS,
                   horizon=last + 1, record=("dist",))


def spec_pair(kappa: float) -> tuple[RunSpec, RunSpec]:
    """(heavy ball, gradient descent) runs at condition number ``kappa`` (μ = 1, L = κ)."""
    alpha, beta, _ = polyak_tuning(1.0, kappa)
    hb = _spec(kappa, "HeavyBall", {"lr": alpha, "momentum": beta}, heavy_ball_window(kappa)[1])
    gd = _spec(kappa, "SGD", {"lr": gd_step(1.0, kappa)}, gd_window(kappa)[1])
    return hb, gd


def specs(scale: Scale) -> list[RunSpec]:
    return [s for kappa in KAPPAS[check_scale(scale)] for s in spec_pair(kappa)]


def fitted_rates(record: RunRecord, window: tuple[int, int], jordan: bool) -> np.ndarray:
    """Per-seed fitted rate of ‖x_k - x*‖ over iterations k in ``window``."""
    errors = record.quantity("dist")                         # column t-1 holds e_{k = t-1}
    return np.array([metrics.fit_linear_rate(e, *window, jordan=jordan).rho for e in errors])


def pepit_rows(kappa: float, steps: tuple[int, ...]) -> list[PepitRow]:
    """PEPit's worst cases at κ (μ = 1, L = κ): heavy ball at Polyak's tuning over quadratics
    (checked against the exact worst case) and over smooth strongly convex functions, and
    gradient descent with step 2/(L+μ) over smooth strongly convex functions."""
    alpha, beta, _ = polyak_tuning(1.0, kappa)
    cases: list[tuple[str, float, float, pep.FunctionClass]] = [
        ("heavy ball", alpha, beta, "quadratic"),
        ("heavy ball", alpha, beta, "smooth_strongly_convex"),
        ("GD", gd_step(1.0, kappa), 0.0, "smooth_strongly_convex")]
    rows = []
    for method, a, b, function_class in cases:
        for n in steps:
            ref = pep.reference(a, b, 1.0, kappa, n, function_class)
            rows.append(PepitRow(kappa=kappa, method=method, function_class=function_class,
                                 steps=n, worst_case=(None if ref.worst_case is None
                                             else finite_or_none(ref.worst_case)),
                                 exact_quadratic=ref.exact_quadratic, accepted=ref.accepted,
                                 solver=ref.solver, problems=ref.problems))
    return rows


def _thin(values: np.ndarray) -> tuple[list[int], list[float | None]]:
    idx = np.unique(np.linspace(0, values.size - 1, SERIES_POINTS).round().astype(int))
    return idx.tolist(), finite_list(values[idx])


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    rows: list[RateRow] = []
    curves: dict[str, Any] = {}
    records: list[RunRecord] = []
    pepit: list[PepitRow] = []
    for kappa in KAPPAS[chosen]:
        pepit += pepit_rows(kappa, PEPIT_STEPS[chosen])
        hb, gd = load_records(store, spec_pair(kappa))
        records += [hb, gd]
        hb_window, gd_window_ = heavy_ball_window(kappa), gd_window(kappa)
        plain = fitted_rates(hb, hb_window, jordan=False)
        jordan = fitted_rates(hb, hb_window, jordan=True)
        gd_plain = fitted_rates(gd, gd_window_, jordan=False)
        rows.append(RateRow(
            kappa=kappa,
            rho_star=polyak_tuning(1.0, kappa)[2],
            rate_measured=finite_or_none(float(np.median(plain))),
            rate_fit_jordan=finite_or_none(float(np.median(jordan))),
            gd_rate_theory=gd_rate(kappa),
            gd_rate_measured=finite_or_none(float(np.median(gd_plain))),
            rate_measured_seeds=tuple(finite_list(plain)),
            rate_fit_jordan_seeds=tuple(finite_list(jordan)),
            gd_rate_measured_seeds=tuple(finite_list(gd_plain)),
            window=hb_window,
            window_error_min=float(hb.quantity("dist")[:, hb_window[0]:hb_window[1] + 1].min()),
            gd_window=gd_window_,
        ))
        hb_steps, hb_err = _thin(np.median(hb.quantity("dist"), axis=0))
        gd_steps, gd_err = _thin(np.median(gd.quantity("dist"), axis=0))
        curves[str(int(kappa))] = {
            "heavy_ball": {"k": hb_steps, "error": hb_err},
            "gd": {"k": gd_steps, "error": gd_err},
        }
    series = {"error_curves": curves,
              "kappa": [r.kappa for r in rows],
              "rho_star": [r.rho_star for r in rows],
              "rate_measured": [r.rate_measured for r in rows],
              "rate_fit_jordan": [r.rate_fit_jordan for r in rows]}
    return envelope(NAME, chosen, records, HeavyBallRateMetrics(tuple(rows), tuple(pepit)),
                    series)
