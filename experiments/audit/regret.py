"""Audit part ``audit_regret``: the online regret suite, and the user's regret bounds.

The audited optimizer plays the problems of :mod:`experiments.named.dwmgrad_regret` (random
linear losses with a bias, random coordinatewise quadratics, d = 10, G∞ = 1, and Reddi et
al.'s Theorem 1 game; box [-1, 1], projected by clamping) for the same horizons and seeds,
recording the regret and the gradients. Per problem and horizon T of a log grid: R_T over
seeds and the trivial comparator T·d·G∞·D∞; per problem the log-log slope of R_T over the
last decade of horizons (:func:`experiments.named.dwmgrad_regret.power_fit`).

A user bound is a :class:`theory.core.Bound` whose symbols are among :data:`SYMBOLS`; it is
evaluated per seed at every horizon with that seed's data (S, the sum over coordinates of the
ℓ2 norm of the gradient history, is measured) and compared with the seed's R_T.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

import theory.dwmgrad as th
from experiments import metrics
from experiments.audit.target import Target
from experiments.measurements.audit import (
    AuditRegretMetrics,
    BoundRow,
    RateFit,
    RegretPoint,
    UserBound,
)
from experiments.named import dwmgrad_regret
from experiments.named.common import Scale, envelope, finite_list, load_records, log_grid
from experiments.problems import make_problem
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory.core import Bound

NAME = "audit_regret"
PROBLEMS = dwmgrad_regret.PROBLEMS
HORIZON = dwmgrad_regret.HORIZON
SEEDS = dwmgrad_regret.SEEDS

#: The symbols a user bound may use, and what each is at a run.
SYMBOLS: dict[str, str] = {
    "T": "the horizon",
    "d": "the problem's dimension",
    "D_inf": "the box's side hi - lo (its l-infinity diameter)",
    "G_inf": "the problem's bound on |g_t|_inf",
    "lr": "the optimizer's 'lr' option",
    "S": "sum over coordinates i of ||g_{1:T,i}||_2, measured on each seed's run",
}
_TRIVIAL = sp.lambdify((th.T, th.d, th.G_inf, th.D_inf), th.TRIVIAL_REGRET)


def check_bound(bound: Bound, target: Target) -> None:
    """ValueError naming the bound and the symbol it uses that the audit cannot supply."""
    unknown = [name for name in bound.arg_names if name not in SYMBOLS]
    if unknown:
        raise ValueError(f"bound {bound.name!r} uses symbol(s) {unknown}; expected symbols "
                         f"among {sorted(SYMBOLS)}")
    if bound.kind != "upper":
        raise ValueError(f"bound {bound.name!r} is a {bound.kind!r} bound; the audit checks "
                         "upper bounds on the regret")
    if "lr" in bound.arg_names and not isinstance(target.options.get("lr"), int | float):
        raise ValueError(f"bound {bound.name!r} uses lr, but the options give no numeric "
                         f"'lr' ({dict(target.options)!r})")


def spec(target: Target, label: str, scale: Scale) -> RunSpec:
    problem, params, deterministic = PROBLEMS[label]
    return target.spec(NAME, problem, HORIZON[scale], (0,) if deterministic else SEEDS[scale],
                       params, record=("regret", "grad"))


def specs(target: Target, scale: Scale) -> list[RunSpec]:
    return [spec(target, label, scale) for label in PROBLEMS]


def horizons(scale: Scale) -> list[int]:
    return log_grid(5, HORIZON[scale], 4)


def gradient_column_norms(record: RunRecord, grid: list[int]) -> np.ndarray:
    """S = Σ_i ||g_{1:T,i}||_2 of every seed at every T of ``grid``: (seeds, len(grid))."""
    g = record.vector("grad")                                      # (seeds, T, d)
    return np.sqrt(np.cumsum(g**2, axis=1)).sum(axis=2)[:, np.array(grid) - 1]


def _problem_values(record: RunRecord, target: Target) -> dict[str, float]:
    s = record.spec
    problem: Any = make_problem(s.problem, s.seeds[:1], s.problem_params)
    values = {"d": float(problem.dim), "D_inf": float(problem.D_inf),
              "G_inf": float(problem.G_inf)}
    if isinstance(target.options.get("lr"), int | float):
        values["lr"] = float(target.options["lr"])
    return values


def bound_rows(bound: Bound, label: str, record: RunRecord, grid: list[int],
               regret: np.ndarray, target: Target) -> list[BoundRow]:
    """``bound`` against every seed's R_T at every horizon of ``grid`` on one problem."""
    values = _problem_values(record, target)
    data: dict[str, float | np.ndarray] = {"T": np.array(grid, dtype=float)[None, :],
            "S": gradient_column_norms(record, grid), **values}
    per_seed = np.broadcast_to(bound.evaluate(**{n: data[n] for n in bound.arg_names}),
                               regret.shape)
    rows = []
    for j, T in enumerate(grid):
        ratio = regret[:, j] / per_seed[:, j]
        worst = int(np.argmax(ratio))
        trivial = float(_TRIVIAL(T, values["d"], values["G_inf"], values["D_inf"]))
        rows.append(BoundRow(bound=bound.name, problem=label, T=T,
                             ratio_max=float(ratio[worst]),
                             worst_seed=int(record.spec.seeds[worst]),
                             regret_at_worst=float(regret[worst, j]),
                             bound_at_worst=float(per_seed[worst, j]),
                             bound_max=float(per_seed[:, j].max()), trivial=trivial,
                             bound_over_trivial=float(per_seed[:, j].max()) / trivial,
                             run=f"runs/{NAME}/{record.spec.key()}.json"))
    return rows


def user_bound(bound: Bound) -> UserBound:
    return UserBound(bound.name, bound.latex(), bound.kind, bound.reference,
                     tuple(bound.arg_names))


def _tail_fit(grid: list[int], regret: np.ndarray) -> RateFit:
    fit = dwmgrad_regret.power_fit(grid, regret, max(dwmgrad_regret.FIT_FROM, grid[-1] // 10))
    return RateFit(fit.slope, fit.ci_low, fit.ci_high,
                   fit.note or f"tail fit over T in {list(fit.fit_T or ())}")


def measure(store: ResultStore, target: Target, scale: Scale,
            bounds: Sequence[Bound] = ()) -> dict[str, Any]:
    grid = horizons(scale)
    idx = np.array(grid) - 1
    records = load_records(store, specs(target, scale))
    rows: list[RegretPoint] = []
    checked: list[BoundRow] = []
    fits: dict[str, RateFit] = {}
    series: dict[str, Any] = {}
    for label, record in zip(PROBLEMS, records, strict=True):
        regret = record.quantity("regret")[:, idx]                       # (seeds, grid)
        med, q10, q90 = metrics.quantile_band(regret)
        values = _problem_values(record, target)
        rows += [RegretPoint(label, T, float(med[j]), float(q10[j]), float(q90[j]),
                             float(regret[:, j].max()),
                             float(_TRIVIAL(T, values["d"], values["G_inf"], values["D_inf"])))
                 for j, T in enumerate(grid)]
        fits[label] = _tail_fit(grid, regret)
        mine = {bound.name: bound_rows(bound, label, record, grid, regret, target)
                for bound in bounds}
        checked += [row for group in mine.values() for row in group]
        series[label] = {"T": grid, "median": finite_list(med), "q10": finite_list(q10),
                         "q90": finite_list(q90),
                         "bounds": {name: [r.bound_max for r in group]
                                    for name, group in mine.items()}}
    result = AuditRegretMetrics(target.audited(), tuple(rows), fits,
                                tuple(user_bound(b) for b in bounds), tuple(checked))
    return envelope(NAME, scale, records, result, series,
                    dict(zip(PROBLEMS, records, strict=True)))
