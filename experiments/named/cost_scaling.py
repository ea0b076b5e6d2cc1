"""``cost_scaling``: time per step and optimizer state against d, total time against n.

Each optimizer (the package's seven and torch's Adam, which ``theory.cost_model`` models)
runs on a diagonal quadratic (``quadratic`` with ``rotate=False``, float32, one instance) for
d = 10^2 .. 10^6 (quick; 10^7 at full scale) and, at d = 10^3, for n = 10, 100, 1000 steps;
every point is repeated (separate runs, seeds 0..R-1) and the exponents are log-log slopes with
90 % bootstrap intervals over the repetitions (:func:`experiments.metrics.fit_power_law`).

What is measured (from the run files; the runner's ``timings``):
* ``step_s``: wall time per step of the whole runner step (problem gradient, about 4 passes
  over d, plus the optimizer step); at small d it is dominated by the fixed Python and
  dispatch overhead, so the exponent is fitted both over all d and over d >= 10^4
  (``time_exponent_d``, the Θ(d) regime) and the per-step time of SGD on the same problem is
  reported as the problem's share;
* ``state_bytes``: bytes of every tensor in the optimizer's state (per-element and 0-d);
  per parameter at the largest d, against ``theory.cost_model.MODELS[...].state_bytes_per_param``;
* peak memory: every spec requests the runner's "peak_memory" measurement, i.e. one extra
  optimizer step after the timed loop, on a copy of the run's parameter and optimizer state,
  under ``torch.profiler`` with memory profiling (CPU; on CUDA torch.cuda.max_memory_allocated
  over the run). ``peak_memory_measured_bytes`` (median over repetitions, per d) is parameters
  + gradient + state + the peak of the step's temporaries, with its log-log exponent in d
  (``memory_exponent_d``, d >= 10^4); next to it ``peak_memory_estimate_bytes``, the accounting
  estimate parameters + gradient + state at the largest d, which omits the temporaries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from experiments import metrics
from experiments.measurements.cost_scaling import CostEntry, CostScalingMetrics, Fit
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
from theory import cost_model

NAME = "cost_scaling"
DESCRIPTION = "Step time and optimizer state vs d (4+ decades) and total time vs n"
OPTIMIZERS: dict[str, dict[str, Any]] = {
    "DWMGrad": {"lr": 1e-3},
    "AdaBelief": {"lr": 1e-3},
    "Aida": {"lr": 1e-3},
    "DemonSGD": {"lr": 1e-3, "momentum": 0.9},
    "DemonAdam": {"lr": 1e-3},
    "AdaptiveHB": {"lr": 1e-3},
    "AdamAHB": {"lr": 1e-3},
    "Adam": {"lr": 1e-3},
}
REFERENCE = "SGD"
DIMS: dict[Scale, tuple[int, ...]] = {"quick": (100, 1_000, 10_000, 100_000, 1_000_000),
                                      "full": (100, 1_000, 10_000, 100_000, 1_000_000,
                                               10_000_000)}
STEPS: dict[Scale, int] = {"quick": 20, "full": 100}
N_SWEEP: tuple[int, ...] = (10, 100, 1000)
N_SWEEP_DIM = 1_000
REPEATS: dict[Scale, int] = {"quick": 3, "full": 5}
LARGE_D = 10_000
DTYPE = "float32"
ITEMSIZE = 4


def run(optimizer: str, d: int, steps: int, repeat: int) -> RunSpec:
    hyper = OPTIMIZERS.get(optimizer, {"lr": 1e-3})
    return RunSpec(experiment=NAME, problem="quadratic",
                   problem_params={"d": d, "mu": 1.0, "L": 10.0, "rotate": False},
                   optimizer=optimizer, hyperparameters=hyper, seeds=(repeat,), horizon=steps,
                   dtype=DTYPE, record=("peak_memory",))


def d_sweep(optimizer: str, scale: Scale) -> list[list[RunSpec]]:
    """[repeat][d] specs of the d sweep."""
    return [[run(optimizer, d, STEPS[scale], r) for d in DIMS[scale]]
            for r in range(REPEATS[scale])]


def n_sweep(optimizer: str, scale: Scale) -> list[list[RunSpec]]:
    """[repeat][n] specs of the n sweep at d = N_SWEEP_DIM."""
    return [[run(optimizer, N_SWEEP_DIM, n, r) for n in N_SWEEP] for r in range(REPEATS[scale])]


def specs(scale: Scale) -> list[RunSpec]:
    check_scale(scale)
    out: list[RunSpec] = []
    for optimizer in (*OPTIMIZERS, REFERENCE):
        out += [s for row in d_sweep(optimizer, scale) for s in row]
    for optimizer in OPTIMIZERS:
        out += [s for row in n_sweep(optimizer, scale) for s in row]
    return list(dict.fromkeys(out))          # the two sweeps share the point (d, n) = (10^3, 10)


def _timing(grid: list[list[RunSpec]], store: ResultStore, key: str
            ) -> tuple[np.ndarray, list[RunRecord]]:
    records = [load_records(store, row) for row in grid]
    values = np.array([[float(r.timings[key]) for r in row] for row in records])
    return values, [r for row in records for r in row]


def _fit(x: list[int], y: np.ndarray, mask: np.ndarray | None = None) -> Fit:
    cols = np.arange(len(x)) if mask is None else np.flatnonzero(mask)
    return Fit(**metrics.fit_power_law(np.array(x, dtype=float)[cols], y[:, cols]).as_dict())


def state_model(optimizer: str) -> float | None:
    """State bytes per parameter predicted by theory.cost_model (float32, one tensor)."""
    model = cost_model.MODELS.get(optimizer)
    if model is None:
        return None
    expr = sp.sympify(model.state_bytes_per_param(ITEMSIZE))
    return float(expr.subs({cost_model.P: 1, cost_model.K: 2}))


def traffic_model(optimizer: str) -> float | None:
    """Bytes moved per parameter per step by the for-loop path (theory.cost_model)."""
    model = cost_model.MODELS.get(optimizer)
    if model is None:
        return None
    return float(sp.sympify(model.bytes_per_param(ITEMSIZE)).subs({cost_model.P: 1,
                                                                   cost_model.K: 2}))


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    dims = list(DIMS[chosen])
    large = np.array(dims) >= LARGE_D
    all_records: list[RunRecord] = []
    reference, ref_records = _timing(d_sweep(REFERENCE, chosen), store, "step_s")
    all_records += ref_records
    results: dict[str, CostEntry] = {}
    series: dict[str, Any] = {"d": dims, "n": list(N_SWEEP),
                              "step_time_s": {}, "run_time_s": {}, "state_bytes": {},
                              REFERENCE: np.median(reference, 0).tolist()}
    for optimizer in OPTIMIZERS:
        step_s, recs = _timing(d_sweep(optimizer, chosen), store, "step_s")
        peak, _ = _timing(d_sweep(optimizer, chosen), store, "peak_memory_bytes")
        run_s, n_recs = _timing(n_sweep(optimizer, chosen), store, "run_s")
        all_records += recs + n_recs
        state = np.array([float(r.timings["state_bytes"]) for r in recs[: len(dims)]])
        param = np.array([float(r.timings["param_bytes"]) for r in recs[: len(dims)]])
        measured_state = float(state[-1] / dims[-1])
        predicted_state = state_model(optimizer)
        traffic = traffic_model(optimizer)
        median_step = np.median(step_s, 0)
        results[optimizer] = CostEntry(
            time_exponent_d=_fit(dims, step_s, large),
            time_exponent_d_all=_fit(dims, step_s),
            time_exponent_n=_fit(list(N_SWEEP), run_s),
            state_bytes_per_param_measured=measured_state,
            state_bytes_per_param_model=predicted_state,
            state_matches_model=(None if predicted_state is None
                                 else bool(abs(measured_state - predicted_state) < 0.01)),
            state_exponent_d=float(np.polyfit(np.log(dims), np.log(state), 1)[0]),
            step_time_s_at_max_d=float(median_step[-1]),
            problem_share_at_max_d=float(np.median(reference, 0)[-1] / median_step[-1]),
            traffic_bytes_per_param_model=traffic,
            effective_GBps_at_max_d=(None if traffic is None
                                     else float(traffic * dims[-1] / median_step[-1] / 1e9)),
            peak_memory_estimate_bytes=float(2 * param[-1] + state[-1]),
            peak_memory_estimate_method="accounting: parameters + gradient + optimizer state",
            peak_memory_measured_bytes=tuple(finite_list(np.median(peak, 0))),
            peak_memory_method=str(recs[-1].timings["peak_memory_method"]),
            memory_exponent_d=_fit(dims, peak, large),
        )
        series["step_time_s"][optimizer] = {"median": median_step.tolist(),
                                           "min": step_s.min(0).tolist(),
                                           "max": step_s.max(0).tolist()}
        series["run_time_s"][optimizer] = {"median": np.median(run_s, 0).tolist(),
                                          "min": run_s.min(0).tolist(),
                                          "max": run_s.max(0).tolist()}
        series["state_bytes"][optimizer] = state.tolist()
    return envelope(NAME, chosen, all_records, CostScalingMetrics(results), series)
