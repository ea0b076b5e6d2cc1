"""Audit parts ``audit_search`` (the counterexample search) and ``audit_cost`` (cost in d).

* ``audit_search``: the calibrated CMA-ES search of :mod:`experiments.named.counterexample_search`
  with the audited optimizer as its only target (controls AMSGrad and the analysed DWMGrad),
  its runs stored under ``runs/counterexample_search`` and its replay files under
  ``measurements/counterexamples``, like the standard search's;
* ``audit_cost``: the audited optimizer and SGD (the problem's share) on the diagonal
  quadratic of :mod:`experiments.named.cost_scaling` (float32, one instance) for d over its
  decades, repeated; the wall time per step, its log-log exponent for d >= 10^4 with a 90 %
  bootstrap interval over repeats, and the optimizer's state per parameter at the largest d.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments import metrics
from experiments.audit.target import Target
from experiments.measurements.audit import AuditCostMetrics, AuditSearchMetrics
from experiments.measurements.cost_scaling import Fit
from experiments.named import cost_scaling, counterexample_search
from experiments.named.common import Scale, envelope, load_records
from experiments.named.counterexample_criterion import CRITERION_TEXT
from experiments.named.counterexample_search import Run
from experiments.spec import RunSpec
from experiments.store import ResultStore

SEARCH = "audit_search"
COST = "audit_cost"


def search(store: ResultStore, target: Target, scale: Scale, run: Run) -> None:
    """Run the search against the audited optimizer and its replays through ``run``."""
    counterexample_search.search(store, scale, run, [target.setting()])


def measure_search(store: ResultStore, target: Target, scale: Scale) -> dict[str, Any]:
    done = counterexample_search.judged(store, scale, [target.setting()])
    (result,) = done.results
    entry = result.entry(counterexample_search.T0[scale])
    record = AuditSearchMetrics(target.audited(), entry.found, entry.n_found, entry.evaluations,
                                entry.avg_regret_by_T, entry.final_x, entry.conditions,
                                entry.replay, CRITERION_TEXT)
    series = {"search_scores": {target.label: done.found[0].scores}}
    return envelope(SEARCH, scale, done.records, record, series)


def cost_spec(optimizer: str, options: dict[str, Any], d: int, scale: Scale,
              repeat: int) -> RunSpec:
    return RunSpec(experiment=COST, problem="quadratic",
                   problem_params={"d": d, "mu": 1.0, "L": 10.0, "rotate": False},
                   optimizer=optimizer, hyperparameters=options, seeds=(repeat,),
                   horizon=cost_scaling.STEPS[scale], dtype=cost_scaling.DTYPE)


def cost_grid(optimizer: str, options: dict[str, Any], scale: Scale) -> list[list[RunSpec]]:
    """[repeat][d] specs."""
    return [[cost_spec(optimizer, options, d, scale, r) for d in cost_scaling.DIMS[scale]]
            for r in range(cost_scaling.REPEATS[scale])]


def _reference() -> tuple[str, dict[str, Any]]:
    return cost_scaling.REFERENCE, {"lr": 1e-3}


def cost_specs(target: Target, scale: Scale) -> list[RunSpec]:
    reference = _reference()
    return [s for optimizer, options in ((target.optimizer, dict(target.options)), reference)
            for row in cost_grid(optimizer, options, scale) for s in row]


def measure_cost(store: ResultStore, target: Target, scale: Scale) -> dict[str, Any]:
    dims = list(cost_scaling.DIMS[scale])
    grids = {"target": cost_grid(target.optimizer, dict(target.options), scale),
             "reference": cost_grid(*_reference(), scale)}
    loaded = {name: [load_records(store, row) for row in grid] for name, grid in grids.items()}
    step = {name: np.array([[float(r.timings["step_s"]) for r in row] for row in rows])
            for name, rows in loaded.items()}
    large = np.flatnonzero(np.array(dims) >= cost_scaling.LARGE_D)
    fit = metrics.fit_power_law(np.array(dims, dtype=float)[large], step["target"][:, large])
    last = loaded["target"][0][-1]
    result = AuditCostMetrics(
        target.audited(), tuple(dims), tuple(np.median(step["target"], 0).tolist()),
        tuple(np.median(step["reference"], 0).tolist()), Fit(**fit.as_dict()),
        float(last.timings["state_bytes"]) / dims[-1])
    records = [r for rows in loaded.values() for row in rows for r in row]
    series = {"d": dims, "step_time_s": {target.label: result.step_time_s,
                                         cost_scaling.REFERENCE: result.reference_step_time_s}}
    return envelope(COST, scale, records, result, series)
