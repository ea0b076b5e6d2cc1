"""``dwmgrad_regret``: DWMGrad's measured regret against the derived bound.

Variants (settings of :mod:`experiments.named.online`):

* ``analysed``: ``DWMGrad(**theory.dwmgrad.ANALYSED_OPTIONS, lr=0.1)`` (α/√t, momentum decay
  λ = 0.99, max second moment) with the runner's projection onto the box: the algorithm whose
  regret ``theory.dwmgrad.regret_bound`` bounds (Upper bound, derived in this project);
* ``paper:<rule>``: the published algorithm (constant lr = 1e-2, γ = 0.9, no decay, no max)
  with each window rule ("loss", "loss_decrease", "loss_increase"), also projected. The theory
  gives no bound for these (``bound`` is null).

Problems: random linear losses with a bias (comparator at a corner), random coordinatewise
quadratics (both d = 10, G∞ = 1, box [-1, 1]) and Reddi et al.'s Theorem 1 game. For every
horizon T on a log grid (3 decades at quick scale) R_T is read off one run of the longest
horizon (the algorithm does not depend on T). Reported: median and 10–90 % band over seeds,
the bound, their ratio, and the fitted regret exponent (log-log slope of the median over
T ≥ 50, 90 % bootstrap interval over seeds). ``bound_holds``: every seed's R_T ≤ bound at
every T, for the analysed variant on every problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments import metrics
from experiments.named import online
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    finite_or_none,
    load_records,
    log_grid,
    resolve_scale,
)
from experiments.problems import make_problem
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory.dwmgrad import ANALYSED_MOMENTUM_DECAY, regret_bound

NAME = "dwmgrad_regret"
DESCRIPTION = "DWMGrad's measured regret (analysed and published variants) vs the derived bound"
HORIZON: dict[Scale, int] = {"quick": 5_000, "full": 100_000}
SEEDS: dict[Scale, tuple[int, ...]] = {"quick": tuple(range(8)), "full": tuple(range(32))}
FIT_FROM = 50
WINDOW_RULES = ("loss", "loss_decrease", "loss_increase")
MOMENTUM, EPS, MAX_WINDOW = 0.9, 1e-8, 10

#: problem label -> (problem, params, deterministic?)
PROBLEMS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "online_linear": ("online_linear", {"d": 10, "G_inf": 1.0, "bias": 0.2}, False),
    "online_quadratic": ("online_quadratic", {"d": 10, "G_inf": 1.0}, False),
    "reddi_theorem1": ("reddi_theorem1", {"C": 3.0}, True),
}


def variants() -> dict[str, dict[str, Any]]:
    """variant label -> DWMGrad hyperparameters."""
    out = {"analysed": online.analysed_dwmgrad("loss")}
    out.update({f"paper:{rule}": {"lr": online.ADAPTIVE_LR, "window_rule": rule}
                for rule in WINDOW_RULES})
    return out


def run_spec_for(variant: str, problem_label: str, scale: Scale) -> RunSpec:
    problem, params, deterministic = PROBLEMS[problem_label]
    record = ("regret", "window", "momentum") if problem_label == "online_linear" else ("regret",)
    return RunSpec(experiment=NAME, problem=problem, problem_params=params, optimizer="DWMGrad",
                   hyperparameters={"momentum": MOMENTUM, "eps": EPS, "max_window": MAX_WINDOW,
                                    **variants()[variant]},
                   seeds=(0,) if deterministic else SEEDS[scale], horizon=HORIZON[scale],
                   record=record)


def specs(scale: Scale) -> list[RunSpec]:
    check_scale(scale)
    return [run_spec_for(v, p, scale) for v in variants() for p in PROBLEMS]


def horizons(scale: Scale) -> list[int]:
    return log_grid(5, HORIZON[scale], 4)


def bound_for(record: RunRecord, T: int) -> float:
    """theory.dwmgrad.regret_bound for the run's problem and hyperparameters at horizon T."""
    problem = make_problem(record.spec.problem, record.spec.seeds[:1], record.spec.problem_params)
    hyper = record.spec.hyperparameters
    return regret_bound(T, problem.dim, problem.D_inf, problem.G_inf,  # type: ignore[attr-defined]
                        lr=float(hyper["lr"]), momentum=float(hyper["momentum"]),
                        eps=float(hyper["eps"]), max_window=float(hyper["max_window"]),
                        momentum_decay=float(hyper.get("momentum_decay", ANALYSED_MOMENTUM_DECAY)))


def exponent(grid: list[int], regret: np.ndarray) -> dict[str, Any]:
    """Log-log slope of R_T over T >= FIT_FROM (columns where every seed has R_T > 0)."""
    cols = [i for i, T in enumerate(grid) if T >= FIT_FROM and np.all(regret[:, i] > 0)]
    if len(cols) < 2:
        return {"slope": None, "ci_low": None, "ci_high": None,
                "note": "fewer than 2 horizons with positive regret for every seed"}
    fit = metrics.fit_power_law(np.array(grid)[cols], regret[:, cols])
    return {**fit.as_dict(), "fit_T": [grid[cols[0]], grid[cols[-1]]]}


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    grid = horizons(chosen)
    idx = np.array(grid) - 1
    rows: list[dict[str, Any]] = []
    exponents: dict[str, dict[str, Any]] = {}
    series: dict[str, Any] = {"regret": {}, "window_momentum": {}}
    records: list[RunRecord] = []
    holds = True
    for variant in variants():
        exponents[variant] = {}
        for label in PROBLEMS:
            (record,) = load_records(store, [run_spec_for(variant, label, chosen)])
            records.append(record)
            regret = record.quantity("regret")[:, idx]                     # (seeds, grid)
            med, q10, q90 = metrics.quantile_band(regret)
            bounds = [bound_for(record, T) if variant == "analysed" else None for T in grid]
            for j, T in enumerate(grid):
                b = bounds[j]
                rows.append({"variant": variant, "problem": label, "T": T,
                             "regret_median": float(med[j]), "regret_q10": float(q10[j]),
                             "regret_q90": float(q90[j]), "regret_max": float(regret[:, j].max()),
                             "bound": b, "ratio": None if b is None else float(med[j] / b)})
                if b is not None and not bool(np.all(regret[:, j] <= b)):
                    holds = False
            exponents[variant][label] = exponent(grid, regret)
            series["regret"][f"{variant}|{label}"] = {
                "T": grid, "median": finite_list(med), "q10": finite_list(q10),
                "q90": finite_list(q90), "bound": bounds,
                "fit": exponents[variant][label],
            }
            if "window" in record.extras:
                steps = np.unique(np.geomspace(1, record.spec.horizon, 300).round().astype(int))
                series["window_momentum"][variant] = {
                    "t": steps.tolist(),
                    "window": finite_list(np.median(record.quantity("window"), 0)[steps - 1]),
                    "momentum": finite_list(np.median(record.quantity("momentum"), 0)[steps - 1]),
                }
    analysed_T = [r["T"] for r in rows if r["variant"] == "analysed"]
    metrics_out = {
        "rows": rows,
        "exponents": exponents,
        "bound_holds": holds and bool(analysed_T),
        "max_ratio_analysed": finite_or_none(max(
            (r["regret_max"] / r["bound"] for r in rows if r["bound"]), default=float("nan"))),
        "horizons": grid,
    }
    return envelope(NAME, chosen, records, metrics_out, series)
