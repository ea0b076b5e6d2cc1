"""``cost_scaling``: optimizer step time against d (through and beyond the last-level cache),
total time against the number of steps n, step time against DWMGrad's window δ, and state.

Each optimizer (every built-in of ``dwmgrad.registry.OPTIMIZERS`` and torch's Adam, which
``theory.cost_model`` models too; SGD as the reference) runs on a diagonal quadratic
(``quadratic``, ``rotate=False``, float32, one instance). The runs are timings (``TIMED``):
``run``/``all`` make them after every other run, one at a time in one process,
repeat-major (repeat r of every size and optimizer before repeat r + 1), so a load change on
the machine spreads over all points instead of biasing some sizes; every spec records
``step_times``, the wall time and the stepping thread's CPU time of each ``optimizer.step``
call alone (no problem gradient, no bookkeeping of the runner), under a C allocator pinned to
reuse freed blocks (:func:`experiments.machine.steady_allocator`: glibc's default would unmap
and fault in the step's temporaries from d = 2^23, a second change of regime that is the
kernel's cost, not the optimizer's; ``bench allocator`` measures it). On CPU the cost is read from
the CPU time (:func:`clock`): on a shared machine a step's wall time also counts the time other
processes ran while it waited (measured at load 7-11: the wall-time exponent in d of every
optimizer came out 1.3-1.6); the wall-time fit is reported beside it.

Estimators (robust to load bursts): a run's step time is the median of its step times after
the first (the first allocates the state: the per-run overhead, reported as
``first_step_s``); a point is the median over repeats; exponents are log-log slopes with 90 %
bootstrap intervals over repeats (:func:`experiments.metrics.fit_power_law`).

* d: sizes ``OVERHEAD_DIM`` (10: the per-step overhead, Python and dispatch, measured), the
  in-cache sweep ``DIMS`` and ``BEYOND_CACHE_DIMS`` (2^22 .. 2^24 at quick). The exponent
  ``time_exponent_d`` is fitted to the step time minus the same repeat's overhead, on the
  sizes whose working set (parameters + gradient + state, from the run) is at least
  ``CACHE_MARGIN`` times the last-level cache (read from the OS by
  :func:`experiments.machine.last_level_cache`, recorded by every run); beside it the
  overhead's share of the step at the smallest fitted size, the fit without subtraction
  (``time_exponent_d_raw``) and over all sizes (``time_exponent_d_all``).
* n: the total time of steps 2..n at d = ``N_SWEEP_DIM`` (n = 10, 100, 1000; the first step,
  the per-run overhead, excluded), fitted against n - 1 (``time_exponent_n``).
* δ: DWMGrad's step time at d = ``WINDOW_DIM`` (beyond the cache) with
  ``init_window = max_window = δ`` (the window at δ from the first step), minus the overhead,
  against δ (``time_exponent_window``; Θ(n·d) says 0).
* ``state_bytes`` (every state tensor) per parameter at the largest d against
  ``theory.cost_model``; peak memory: every spec requests the runner's "peak_memory" (one extra
  step outside the timed loop, under ``torch.profiler`` on CPU): parameters + gradient + state
  + the step's temporaries (``peak_memory_measured_bytes``, with its exponent in d >= 10^4),
  and the accounting estimate parameters + gradient + state at the largest d.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from experiments import metrics
from experiments.measurements.cost_scaling import CostEntry, CostScalingMetrics, Fit, WindowCost
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    load_records,
    resolve_scale,
)
from experiments.optimizers import package_optimizers
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory import cost_model

NAME = "cost_scaling"
DESCRIPTION = "Step time vs d beyond the cache (overhead subtracted), vs n and vs the window"
TIMED = True
LR = 1e-3
COMPARATOR = "Adam"
"""torch's Adam, modelled by theory.cost_model too: the claim's harness comparison."""


def optimizers() -> dict[str, dict[str, Any]]:
    """Every built-in optimizer (``dwmgrad.registry.OPTIMIZERS``, in order) and
    ``COMPARATOR``, each at lr = ``LR`` and otherwise its defaults."""
    return {name: {"lr": LR} for name in (*package_optimizers(), COMPARATOR)}


REFERENCE = "SGD"
DIMS: dict[Scale, tuple[int, ...]] = {"quick": (100, 1_000, 10_000, 100_000, 1_000_000),
                                      "full": (100, 1_000, 10_000, 100_000, 1_000_000,
                                               10_000_000)}
"""The in-cache sweep (also the audit's cost sweep, :mod:`experiments.audit.search_cost`)."""
OVERHEAD_DIM = 10
"""The size whose step time is the per-step overhead (Python, dispatch), subtracted."""
BEYOND_CACHE_DIMS: dict[Scale, tuple[int, ...]] = {"quick": (1 << 22, 1 << 23, 1 << 24),
                                                   "full": (1 << 22, 1 << 23, 1 << 24, 1 << 25)}
"""Sizes meant to lie beyond the last-level cache (float32: 16 to 64 MiB per tensor at quick);
which of them are is decided from the recorded cache size (``CACHE_MARGIN``)."""
CACHE_MARGIN = 2.0
"""A size is beyond the cache when its working set is at least this many times the LLC."""
STEPS: dict[Scale, int] = {"quick": 20, "full": 100}
BEYOND_CACHE_STEPS: dict[Scale, int] = {"quick": 6, "full": 20}
N_SWEEP: tuple[int, ...] = (10, 100, 1000)
N_SWEEP_DIM = 1_000
WINDOWS: tuple[int, ...] = (1, 10, 100, 1000)
WINDOW_DIM = 1 << 22
WINDOW_OPTIMIZER = "DWMGrad"
REPEATS: dict[Scale, int] = {"quick": 3, "full": 5}
LARGE_D = 10_000
"""The memory exponent's fit (and the audit's time exponent) start here."""
MIN_FIT_SIZES = 2
DTYPE = "float32"
ITEMSIZE = 4


def sizes(scale: Scale) -> tuple[int, ...]:
    """Every d of the d sweep: the overhead size, the in-cache sweep, the beyond-cache sizes."""
    return (OVERHEAD_DIM, *DIMS[scale], *BEYOND_CACHE_DIMS[scale])


def steps_at(d: int, scale: Scale) -> int:
    return BEYOND_CACHE_STEPS[scale] if d > max(DIMS[scale]) else STEPS[scale]


def run(optimizer: str, d: int, steps: int, repeat: int,
        hyper: dict[str, Any] | None = None) -> RunSpec:
    chosen = hyper if hyper is not None else {"lr": LR}
    return RunSpec(experiment=NAME, problem="quadratic",
                   problem_params={"d": d, "mu": 1.0, "L": 10.0, "rotate": False},
                   optimizer=optimizer, hyperparameters=chosen, seeds=(repeat,), horizon=steps,
                   dtype=DTYPE, record=("peak_memory", "step_times"))


def window_run(window: int, scale: Scale, repeat: int) -> RunSpec:
    hyper = {"lr": LR, "init_window": window, "max_window": window}
    return run(WINDOW_OPTIMIZER, WINDOW_DIM, BEYOND_CACHE_STEPS[scale], repeat, hyper)


def d_sweep(optimizer: str, scale: Scale) -> list[list[RunSpec]]:
    """[repeat][d] specs of the d sweep."""
    return [[run(optimizer, d, steps_at(d, scale), r) for d in sizes(scale)]
            for r in range(REPEATS[scale])]


def n_sweep(optimizer: str, scale: Scale) -> list[list[RunSpec]]:
    """[repeat][n] specs of the n sweep at d = N_SWEEP_DIM."""
    return [[run(optimizer, N_SWEEP_DIM, n, r) for n in N_SWEEP] for r in range(REPEATS[scale])]


def window_sweep(scale: Scale) -> list[list[RunSpec]]:
    """[repeat][δ] specs of the window sweep."""
    return [[window_run(w, scale, r) for w in WINDOWS] for r in range(REPEATS[scale])]


def specs(scale: Scale) -> list[RunSpec]:
    """Repeat-major: every point of repeat r (all sweeps) before any of repeat r + 1; inside a
    repeat the d sweep is optimizer-major, one optimizer's sizes one after the other (about a
    second apart beyond the cache), ascending in even repeats and descending in odd ones.

    The exponent is a slope across sizes, so the sizes of one optimizer are measured close
    together in time: the machine's speed drifts over tens of seconds (at dc24b3a, idle,
    size-major order: a run's log step time beyond the cache shifted by up to 0.14 with the
    block of runs it sat in, shared by every optimizer of the block, against 0.05 between
    the optimizers of one block), and a shift between the blocks of two sizes went straight
    into every optimizer's slope. Alternating the direction cancels a steady drift. The
    runner keeps the problems of a repeat's sizes (:func:`experiments.runner.run_spec`'s
    timed problem cache), so each is built once per repeat. It did not narrow the quick
    interval on the idle machine (``/usr/bin/time -v dwmgrad-verify all`` at 88f5fa6, load
    0.9, in a fresh clone: DWMGrad's d exponent 0.993 [0.850, 1.083], its
    per-repeat slopes 1.007, 0.839, 1.074, its step times within a run a log-sd of 0.056
    apart): each run also gets a level of its own, which only more runs average out."""
    check_scale(scale)
    out: list[RunSpec] = []
    stepped = (*optimizers(), REFERENCE)
    for r in range(REPEATS[scale]):
        for optimizer in stepped:
            row = d_sweep(optimizer, scale)[r]
            out += row if r % 2 == 0 else row[::-1]
        for optimizer in optimizers():
            out += n_sweep(optimizer, scale)[r]
        out += window_sweep(scale)[r]
    return list(dict.fromkeys(out))


CPU_CLOCK, WALL_CLOCK = "optimizer_step_cpu_s", "optimizer_step_s"


def clock(record: RunRecord) -> str:
    """The step times a run's cost is read from: on CPU the stepping thread's CPU time (time
    other processes ran while the step waited is not its cost: the machine may be shared),
    on a GPU the synchronised wall time."""
    return WALL_CLOCK if record.spec.device.startswith("cuda") else CPU_CLOCK


def step_times(record: RunRecord, key: str | None = None) -> np.ndarray:
    """The recorded time of each optimizer step (``key``: default :func:`clock`); ValueError
    if absent or malformed."""
    key = key or clock(record)
    times = np.asarray(record.timings.get(key, []), dtype=float)
    if times.ndim != 1 or times.size < 2 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError(f"run {record.spec.key()}: {key} must hold >= 2 finite non-negative "
                         "step times")
    return times


def step_time(record: RunRecord, key: str | None = None) -> float:
    """Median step time after the first step (the first allocates the state)."""
    return float(np.median(step_times(record, key)[1:]))


def run_time(record: RunRecord) -> float:
    """Total time of the steps after the first."""
    return float(step_times(record)[1:].sum())


def _grid(store: ResultStore, grid: list[list[RunSpec]]) -> list[list[RunRecord]]:
    return [load_records(store, row) for row in grid]


def _values(records: list[list[RunRecord]], value: Any) -> np.ndarray:
    return np.array([[value(r) for r in row] for row in records], dtype=float)


def _fit(x: list[int], y: np.ndarray, cols: np.ndarray | None = None) -> Fit:
    cols = np.arange(len(x)) if cols is None else cols
    return Fit(**metrics.fit_power_law(np.array(x, dtype=float)[cols], y[:, cols]).as_dict())


def _positive_fit(x: list[int], y: np.ndarray, cols: np.ndarray) -> tuple[Fit | None, str]:
    """The fit of ``y`` over ``cols``, or None and why not."""
    if len(cols) < MIN_FIT_SIZES:
        return None, (f"{len(cols)} size(s) beyond the cache, fewer than {MIN_FIT_SIZES}: "
                      "no fit")
    if not np.all(y[:, cols] > 0):
        return None, ("the step time minus the overhead is not positive at every fitted size "
                      "and repeat: the overhead dominates, no fit")
    return _fit(x, y, cols), ""


def last_level_cache(records: list[RunRecord]) -> tuple[int | None, str]:
    """The LLC the runs recorded (the largest, if they differ), and where it was read."""
    known = [(int(r.timings["llc_bytes"]), str(r.timings.get("llc_source", "")))
             for r in records if r.timings.get("llc_bytes") is not None]
    return max(known) if known else (None, "not recorded")


def beyond_cache(working_set: np.ndarray, llc: int | None, dims: list[int],
                 scale: Scale) -> np.ndarray:
    """Indices of the sizes whose working set is >= CACHE_MARGIN x LLC (LLC unknown: the
    BEYOND_CACHE_DIMS sizes), never the overhead size."""
    beyond = (np.isin(dims, BEYOND_CACHE_DIMS[scale]) if llc is None
              else working_set >= CACHE_MARGIN * llc)
    return np.flatnonzero(beyond & (np.array(dims) != OVERHEAD_DIM))


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


def _spread(values: np.ndarray) -> dict[str, list[float | None]]:
    """Median, min and max over repeats (NaN: None)."""
    return {"median": finite_list(np.median(values, 0)), "min": finite_list(values.min(0)),
            "max": finite_list(values.max(0))}


def _entry(optimizer: str, dims: list[int], d_records: list[list[RunRecord]],
           n_records: list[list[RunRecord]], llc: int | None, scale: Scale,
           reference: np.ndarray) -> tuple[CostEntry, dict[str, Any]]:
    step = _values(d_records, step_time)
    overhead = step[:, :1]                                 # OVERHEAD_DIM, same repeat
    net = step - overhead
    wall = _values(d_records, lambda r: step_time(r, WALL_CLOCK))
    first = d_records[0]
    state = np.array([float(r.timings["state_bytes"]) for r in first])
    param = np.array([float(r.timings["param_bytes"]) for r in first])
    working_set = 2 * param + state
    fitted = beyond_cache(working_set, llc, dims, scale)
    fit, note = _positive_fit(dims, net, fitted)
    raw, _ = _positive_fit(dims, step, fitted)
    wall_fit, _ = _positive_fit(dims, wall - wall[:, :1], fitted)
    peak = _values(d_records, lambda r: float(r.timings["peak_memory_bytes"]))
    n_time = _values(n_records, run_time)
    large = np.flatnonzero(np.array(dims) >= LARGE_D)
    median_step = np.median(step, 0)
    measured_state = float(state[-1] / dims[-1])
    predicted_state = state_model(optimizer)
    traffic = traffic_model(optimizer)
    share = (float(np.median(overhead) / median_step[fitted[0]]) if len(fitted) else None)
    entry = CostEntry(
        time_exponent_d=fit, time_exponent_d_note=note,
        fitted_dims=tuple(dims[i] for i in fitted),
        overhead_step_s=float(np.median(overhead)),
        overhead_share_at_fit=share,
        time_exponent_d_raw=raw,
        wall_time_exponent_d=wall_fit,
        time_exponent_d_all=_fit(dims, step),
        time_exponent_n=_fit([n - 1 for n in N_SWEEP], n_time),
        first_step_s=float(np.median([step_times(r)[0] for row in n_records for r in row])),
        state_bytes_per_param_measured=measured_state,
        state_bytes_per_param_model=predicted_state,
        state_matches_model=(None if predicted_state is None
                             else bool(abs(measured_state - predicted_state) < 0.01)),
        state_exponent_d=float(np.polyfit(np.log(dims), np.log(state), 1)[0]),
        step_time_s_at_max_d=float(median_step[-1]),
        sgd_step_ratio_at_max_d=float(np.median(reference, 0)[-1] / median_step[-1]),
        traffic_bytes_per_param_model=traffic,
        effective_GBps_at_max_d=(None if traffic is None
                                 else float(traffic * dims[-1] / median_step[-1] / 1e9)),
        peak_memory_estimate_bytes=float(working_set[-1]),
        peak_memory_estimate_method="accounting: parameters + gradient + optimizer state",
        peak_memory_measured_bytes=tuple(finite_list(np.median(peak, 0))),
        peak_memory_method=str(first[-1].timings["peak_memory_method"]),
        memory_exponent_d=_fit(dims, peak, large),
    )
    series = {"step": _spread(step), "net": _spread(np.where(net > 0, net, np.nan)),
              "wall": _spread(wall),
              "run": _spread(n_time), "state": state.tolist()}
    return entry, series


def _window(store: ResultStore, scale: Scale, overhead: np.ndarray
            ) -> tuple[WindowCost, dict[str, Any], list[RunRecord]]:
    records = _grid(store, window_sweep(scale))
    step = _values(records, step_time)
    net = step - overhead[:, None]
    fit, note = _positive_fit(list(WINDOWS), net, np.arange(len(WINDOWS)))
    cost = WindowCost(WINDOW_OPTIMIZER, WINDOW_DIM, WINDOWS, fit, note)
    return cost, _spread(step), [r for row in records for r in row]


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    dims = list(sizes(chosen))
    reference_records = _grid(store, d_sweep(REFERENCE, chosen))
    reference = _values(reference_records, step_time)
    all_records = [r for row in reference_records for r in row]
    loaded = {o: (_grid(store, d_sweep(o, chosen)), _grid(store, n_sweep(o, chosen)))
              for o in optimizers()}
    for d_records, n_records in loaded.values():
        all_records += [r for grid in (d_records, n_records) for row in grid for r in row]
    llc, llc_source = last_level_cache(all_records)
    results: dict[str, CostEntry] = {}
    series: dict[str, Any] = {"d": dims, "n": [n - 1 for n in N_SWEEP], "window": list(WINDOWS),
                              "window_dim": WINDOW_DIM, "llc_bytes": llc,
                              "step_time_s": {}, "net_step_time_s": {}, "wall_step_time_s": {},
                              "run_time_s": {},
                              "state_bytes": {}, "fitted_dims": {}, "overhead_s": {},
                              REFERENCE: np.median(reference, 0).tolist()}
    for optimizer, (d_records, n_records) in loaded.items():
        entry, parts = _entry(optimizer, dims, d_records, n_records, llc, chosen, reference)
        results[optimizer] = entry
        series["step_time_s"][optimizer] = parts["step"]
        series["net_step_time_s"][optimizer] = parts["net"]
        series["wall_step_time_s"][optimizer] = parts["wall"]
        series["run_time_s"][optimizer] = parts["run"]
        series["state_bytes"][optimizer] = parts["state"]
        series["fitted_dims"][optimizer] = list(entry.fitted_dims)
        series["overhead_s"][optimizer] = entry.overhead_step_s
    overhead = _values(loaded[WINDOW_OPTIMIZER][0], step_time)[:, 0]
    window, series["window_step_time_s"], window_records = _window(store, chosen, overhead)
    all_records += window_records
    times = clock(all_records[0])
    allocator = "; ".join(sorted({str(r.timings.get("allocator") or "not recorded")
                                  for r in all_records}))
    record = CostScalingMetrics(results, window, llc, llc_source, CACHE_MARGIN, times,
                                allocator)
    return envelope(NAME, chosen, all_records, record, series)
