"""``dwmgrad_regret``: DWMGrad's measured regret against the derived bounds.

Variants (settings of :mod:`experiments.named.online`), each with the registered bound that
covers it (:data:`VARIANTS`):

* ``analysed``: ``DWMGrad(**theory.dwmgrad.ANALYSED_OPTIONS, lr=0.1)`` (α/√t, γ = 0.9, δ = 10,
  momentum decay λ = 0.99, max second moment) with the runner's projection onto the box, bound
  ``dwmgrad_regret`` (theory.dwmgrad). At T = 5000 it is vacuous (above the trivial bound
  T·d·G∞·D∞); each row says so and ``informative_T`` gives the horizon from which it is below
  half the trivial bound;
* ``analysed:tuned``: the same algorithm at γ = 0.5, δ = 4, λ = 0.9 and the α that minimises
  the bound's √T coefficient (theory.dwmgrad.TUNED_ALPHA): informative at quick scale;
* ``constant_momentum``: momentum_decay = 1 (μ_t = γω_t/δ for ever) at γ = 0.5, δ = 4 and the
  tuned α of the worst-case constant-momentum bound ``dwmgrad_constant_momentum_regret``
  (theory.dwmgrad_constant_momentum), evaluated with each seed's measured window decrements
  K_T (the window is recorded);
* ``paper:<rule>``: the published algorithm (constant lr = 1e-2, γ = 0.9, no decay, no max)
  with each window rule ("loss", "loss_decrease", "loss_increase"), also projected. The theory
  gives no bound for these (``bound`` is null);
* ``metrics.controls``: the published DWMGrad's ablation (one option changed at a time) and
  the shared-confound controls (Adam, AMSGrad, heavy ball at the same lr and schedule), each
  with its tail regret exponent (:mod:`experiments.named.published_controls`).

Problems: random linear losses with a bias (comparator at a corner), random coordinatewise
quadratics (both d = 10, G∞ = 1, box [-1, 1]) and Reddi et al.'s Theorem 1 game. For every
horizon T on a log grid (3 decades at quick scale) R_T is read off one run of the longest
horizon (the algorithm does not depend on T). Reported per row (``RegretRow`` of
:mod:`experiments.measurements.dwmgrad_regret`): median and 10–90 % band over seeds, the
bound (the largest over seeds: each seed's own K_T), the trivial comparator, the minimax lower
bound of any algorithm on the box (``theory.online``: (√2/4) d G∞ D∞ √T, the floor under every
upper bound), bound/trivial and ``vacuous`` (bound/trivial >= 1), the ratios; per variant and
problem the fitted regret exponent (log-log slope of the median over T ≥ 50 and over the last
decade, 90 % bootstrap interval over seeds) and ``informative_T``. ``bound_holds``: every
seed's R_T ≤ its bound at every T, for every bounded variant on every problem.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

import theory.dwmgrad as th
import theory.dwmgrad_constant_momentum as cm
import theory.online as online_theory
from experiments import metrics
from experiments.measurements.dwmgrad_regret import (
    ControlRow,
    DwmgradRegretMetrics,
    PowerFit,
    RegretExponent,
    RegretRow,
)
from experiments.named import online, published_controls
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
from theory.core import Bound
from theory.dwmgrad import ANALYSED_MOMENTUM_DECAY

NAME = "dwmgrad_regret"
DESCRIPTION = "DWMGrad's measured regret (analysed and published variants) vs the derived bounds"
HORIZON: dict[Scale, int] = {"quick": 5_000, "full": 100_000}
SEEDS: dict[Scale, tuple[int, ...]] = {"quick": tuple(range(8)), "full": tuple(range(32))}
FIT_FROM = 50
WINDOW_RULES = ("loss", "loss_decrease", "loss_increase")
EPS = 1e-8
#: A bound is informative at a horizon where bound/trivial is at most this.
INFORMATIVE = 0.5

#: problem label -> (problem, params, deterministic?)
PROBLEMS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "online_linear": ("online_linear", {"d": 10, "G_inf": 1.0, "bias": 0.2}, False),
    "online_quadratic": ("online_quadratic", {"d": 10, "G_inf": 1.0}, False),
    "reddi_theorem1": ("reddi_theorem1", {"C": 3.0}, True),
}
#: The box of every problem above ([-1, 1]^d): the tuned steps use its side.
D_INF = 2.0


def variants() -> dict[str, dict[str, Any]]:
    """variant label -> DWMGrad hyperparameters."""
    tuned_decaying = float(th.TUNED_ALPHA.subs({th.D_inf: D_INF, th.gamma: 0.5, th.delta: 4,
                                                th.lam: 0.9}))
    tuned_constant = float(cm.TUNED_ALPHA.subs({cm.D_inf: D_INF, cm.gamma: 0.5, cm.delta: 4,
                                                cm.K: 0}))
    out = {"analysed": {**online.analysed_dwmgrad("loss"), "momentum": 0.9, "max_window": 10},
           "analysed:tuned": {**online.analysed_dwmgrad("loss", lr=tuned_decaying),
                              "momentum": 0.5, "max_window": 4, "init_window": 1,
                              "momentum_decay": 0.9},
           "constant_momentum": {**online.analysed_dwmgrad("loss", lr=tuned_constant),
                                 "momentum": 0.5, "max_window": 4, "init_window": 1,
                                 "momentum_decay": 1.0}}
    out.update({f"paper:{rule}": {"lr": online.ADAPTIVE_LR, "window_rule": rule,
                                  "momentum": 0.9, "max_window": 10}
                for rule in WINDOW_RULES})
    return out


#: variant label -> the registered bound that covers it (variants not listed have none).
VARIANT_BOUNDS: dict[str, Bound] = {"analysed": th.REGRET_BOUND,
                                    "analysed:tuned": th.REGRET_BOUND,
                                    "constant_momentum": cm.REGRET_BOUND}


def run_spec_for(variant: str, problem_label: str, scale: Scale) -> RunSpec:
    problem, params, deterministic = PROBLEMS[problem_label]
    needs_window = problem_label == "online_linear" or variant == "constant_momentum"
    record = ("regret", "window", "momentum") if needs_window else ("regret",)
    return RunSpec(experiment=NAME, problem=problem, problem_params=params, optimizer="DWMGrad",
                   hyperparameters={"eps": EPS, **variants()[variant]},
                   seeds=(0,) if deterministic else SEEDS[scale], horizon=HORIZON[scale],
                   record=record)


def control_spec(setting: published_controls.Setting, problem_label: str,
                 scale: Scale) -> RunSpec:
    """A run of the published DWMGrad's ablation/control table (:mod:`published_controls`)."""
    problem, params, deterministic = PROBLEMS[problem_label]
    hyper = ({"eps": EPS, **setting.hyperparameters} if setting.optimizer == "DWMGrad"
             else setting.hyperparameters)
    return RunSpec(experiment=NAME, problem=problem, problem_params=params,
                   optimizer=setting.optimizer, hyperparameters=hyper,
                   seeds=(0,) if deterministic else SEEDS[scale], horizon=HORIZON[scale],
                   record=("regret",))


def specs(scale: Scale) -> list[RunSpec]:
    """Every variant on every problem, then the control table's runs; a control run equal to
    a variant's run (the published DWMGrad at lr 1e-2 where the variant records only the
    regret) is listed once: both read the same result file."""
    check_scale(scale)
    runs = ([run_spec_for(v, p, scale) for v in variants() for p in PROBLEMS]
            + [control_spec(s, p, scale) for s, p in published_controls.plan(scale,
                                                                               tuple(PROBLEMS))])
    return list({spec.key(): spec for spec in runs}.values())


def controls_table(store: ResultStore, scale: Scale, grid: list[int]
                   ) -> tuple[list[ControlRow], list[RunRecord]]:
    """The ablation/control table: every setting's tail regret exponent on every problem."""
    idx = np.array(grid) - 1
    rows, records = [], []
    for setting, label in published_controls.plan(scale, tuple(PROBLEMS)):
        (record,) = load_records(store, [control_spec(setting, label, scale)])
        records.append(record)
        tail = exponent(grid, record.quantity("regret")[:, idx]).tail
        rows.append(published_controls.table_row(setting, label, tail))
    return rows, records


def horizons(scale: Scale) -> list[int]:
    return log_grid(5, HORIZON[scale], 4)


def bound_values(record: RunRecord, T: int, decrements: float = 0.0) -> dict[str, float]:
    """The symbols of the run's bound at horizon T (``decrements``: the seed's K_T)."""
    problem = make_problem(record.spec.problem, record.spec.seeds[:1], record.spec.problem_params)
    hyper = record.spec.hyperparameters
    return {"T": T, "d": problem.dim, "D_inf": problem.D_inf,  # type: ignore[attr-defined]
            "G_inf": problem.G_inf, "alpha": float(hyper["lr"]),  # type: ignore[attr-defined]
            "gamma": float(hyper["momentum"]), "epsilon": float(hyper["eps"]),
            "delta": float(hyper["max_window"]),
            "lambda": float(hyper.get("momentum_decay", ANALYSED_MOMENTUM_DECAY)),
            "K": decrements}


def _arguments(bound: Bound, values: dict[str, float]) -> dict[str, float]:
    return {name: values[name] for name in bound.arg_names}


def minimax_lower(record: RunRecord, T: int) -> float:
    """The minimax lower bound of online linear optimization on the run's box at horizon T."""
    problem = make_problem(record.spec.problem, record.spec.seeds[:1], record.spec.problem_params)
    return float(online_theory.MINIMAX_LOWER_BOUND.evaluate(
        T=T, d=problem.dim, G_inf=problem.G_inf,  # type: ignore[attr-defined]
        D_inf=problem.D_inf))  # type: ignore[attr-defined]


def bound_for(record: RunRecord, T: int, decrements: float = 0.0) -> float:
    """The variant's registered bound for the run's problem and hyperparameters at horizon T."""
    bound = bound_of(record)
    return float(bound.evaluate(**_arguments(bound, bound_values(record, T, decrements))))


def bound_of(record: RunRecord) -> Bound:
    """The registered bound covering the run's hyperparameters (ValueError if none)."""
    hyper = record.spec.hyperparameters
    for variant, bound in VARIANT_BOUNDS.items():
        if all(hyper.get(k) == v for k, v in variants()[variant].items()):
            return bound
    raise ValueError(f"no registered bound covers the hyperparameters {dict(hyper)}")


def seed_decrements(record: RunRecord, grid: list[int]) -> np.ndarray:
    """K_T of every seed at every horizon of ``grid`` (zeros when the window is not
    recorded, i.e. for bounds that do not depend on it): shape (seeds, len(grid))."""
    if "window" not in record.extras:
        return np.zeros((len(record.spec.seeds), len(grid)))
    window = record.quantity("window")
    return np.array([[cm.window_decrements(row[:T]) for T in grid] for row in window])


def decrements_settled(decrements: np.ndarray, grid: list[int]) -> bool:
    """Whether no seed's K_T (``decrements``, seeds x horizons) grew over the last decade of
    horizons (T >= T_max/10): only then may K_T be held at its last value beyond the data."""
    first = next(j for j, T in enumerate(grid) if T >= grid[-1] / 10)
    return bool(np.all(decrements[:, -1] <= decrements[:, first]))


def informative_horizon(record: RunRecord, decrements: np.ndarray,
                        grid: list[int]) -> float | None:
    """The horizon from which the run's bound is at most INFORMATIVE x its trivial bound, K_T
    held at its largest value at the largest horizon; None when there is none, and when the
    bound reads K_T and K_T still grew over the last decade (:func:`decrements_settled`): a
    K_T growing like T makes the K_T sqrt(T) term outgrow the trivial T d G D, so no horizon
    can be read off (quick online_linear and reddi_theorem1: K_T reached 0.09 T and 0.33 T)."""
    bound = bound_of(record)
    if "K" in bound.arg_names and not decrements_settled(decrements, grid):
        return None
    values = _arguments(bound, bound_values(record, 1, float(decrements[:, -1].max())))
    del values["T"]
    return cm.informative_horizon(bound, values, ratio=INFORMATIVE)


def exponent(grid: list[int], regret: np.ndarray) -> RegretExponent:
    """Log-log slope of R_T over T >= FIT_FROM, with ``tail``: the same fit over the last
    decade of horizons only (T >= T_max/10), free of the transient (a rate is decided on it)."""
    return RegretExponent(whole=power_fit(grid, regret, FIT_FROM),
                          tail=power_fit(grid, regret, max(FIT_FROM, grid[-1] // 10)))


def power_fit(grid: list[int], regret: np.ndarray, first: int) -> PowerFit:
    """Log-log slope of R_T over T >= ``first`` (columns where every seed has R_T > 0)."""
    cols = [i for i, T in enumerate(grid) if T >= first and np.all(regret[:, i] > 0)]
    if len(cols) < 2:
        return PowerFit(None, None, None, None, None, None, None,
                        "fewer than 2 horizons with positive regret for every seed")
    fit = metrics.fit_power_law(np.array(grid)[cols], regret[:, cols])
    return PowerFit(**fit.as_dict(), fit_T=(grid[cols[0]], grid[cols[-1]]), note=None)


def _bounded_rows(variant: str, label: str, record: RunRecord, grid: list[int],
                  regret: np.ndarray) -> tuple[list[RegretRow], bool, float | None]:
    """The rows of one variant on one problem, whether every seed is below its bound, and the
    informative horizon (None without a bound)."""
    med, q10, q90 = metrics.quantile_band(regret)
    bounded = variant in VARIANT_BOUNDS
    decrements = seed_decrements(record, grid) if bounded else None
    rows: list[RegretRow] = []
    holds = True
    for j, T in enumerate(grid):
        bound = trivial = ratio_max = None
        if decrements is not None:
            per_seed = np.array([bound_for(record, T, float(k)) for k in decrements[:, j]])
            holds = holds and bool(np.all(regret[:, j] <= per_seed))
            bound = float(per_seed.max())
            ratio_max = float(np.max(regret[:, j] / per_seed))
            reg_bound = VARIANT_BOUNDS[variant]
            trivial = reg_bound.trivial_value(**_arguments(reg_bound, bound_values(record, T)))
        rows.append(RegretRow(
            variant=variant, problem=label, T=T, regret_median=float(med[j]),
            regret_q10=float(q10[j]), regret_q90=float(q90[j]),
            regret_max=float(regret[:, j].max()),
            bound_name=VARIANT_BOUNDS[variant].name if bounded else None,
            bound=bound, trivial=trivial, minimax_lower=minimax_lower(record, T),
            bound_over_trivial=None if bound is None or trivial is None else bound / trivial,
            vacuous=None if bound is None or trivial is None else bound >= trivial,
            ratio=None if bound is None else float(med[j] / bound), ratio_max=ratio_max))
    horizon = (informative_horizon(record, decrements, grid)
               if decrements is not None else None)
    return rows, holds, horizon


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    grid = horizons(chosen)
    idx = np.array(grid) - 1
    rows: list[RegretRow] = []
    exponents: dict[str, dict[str, RegretExponent]] = {}
    informative: dict[str, dict[str, float | None]] = {}
    series: dict[str, Any] = {"regret": {}, "window_momentum": {}, "hyperparameters": variants()}
    records: list[RunRecord] = []
    holds = True
    for variant in variants():
        exponents[variant] = {}
        for label in PROBLEMS:
            (record,) = load_records(store, [run_spec_for(variant, label, chosen)])
            records.append(record)
            regret = record.quantity("regret")[:, idx]                     # (seeds, grid)
            mine, mine_hold, horizon = _bounded_rows(variant, label, record, grid, regret)
            rows.extend(mine)
            holds = holds and mine_hold
            if variant in VARIANT_BOUNDS:
                informative.setdefault(variant, {})[label] = horizon
            exponents[variant][label] = exponent(grid, regret)
            series["regret"][f"{variant}|{label}"] = {
                "T": grid, **{key: finite_list([getattr(r, f"regret_{key}") for r in mine])
                              for key in ("median", "q10", "q90")},
                "bound": [r.bound for r in mine],
                "trivial": [r.trivial for r in mine],
                "minimax_lower": [r.minimax_lower for r in mine],
                "fit": asdict(exponents[variant][label]),
            }
            if "window" in record.extras and label == "online_linear":
                steps = np.unique(np.geomspace(1, record.spec.horizon, 300).round().astype(int))
                series["window_momentum"][variant] = {
                    "t": steps.tolist(),
                    "window": finite_list(np.median(record.quantity("window"), 0)[steps - 1]),
                    "momentum": finite_list(np.median(record.quantity("momentum"), 0)[steps - 1]),
                }
    controls, control_records = controls_table(store, chosen, grid)
    records += control_records
    bounded = [r for r in rows if r.bound is not None]
    metrics_out = DwmgradRegretMetrics(
        rows=tuple(rows), exponents=exponents, bound_holds=holds and bool(bounded),
        max_ratio_analysed=finite_or_none(max(
            (r.ratio_max for r in bounded if r.ratio_max is not None), default=float("nan"))),
        informative_T=informative, informative_ratio=INFORMATIVE, horizons=tuple(grid),
        controls=tuple(controls))
    return envelope(NAME, chosen, records, metrics_out, series)
