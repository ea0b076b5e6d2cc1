"""The typed metrics of ``measurements/cost_scaling.json``
(written by ``experiments.named.cost_scaling``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class Fit:
    """``y ~ exp(intercept) x^slope`` with its bootstrap CI (``metrics.PowerLawFit.as_dict``)."""

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    level: float
    n_samples: float


@dataclass(frozen=True)
class CostEntry:
    """One optimizer: the time exponent in d beyond the last-level cache with the per-step
    overhead subtracted (None, with ``time_exponent_d_note`` saying why, when it cannot be
    fitted), the sizes it was fitted on, the overhead and its share of the step at the
    smallest fitted size, the same fit without subtraction, over all sizes and on wall time,
    the exponent in n (steps after the first; the first step's time is the per-run
    overhead), state bytes per parameter measured and modelled, step time, SGD's step time
    over it, traffic and peak memory at the largest d."""

    time_exponent_d: Fit | None
    time_exponent_d_note: str
    fitted_dims: tuple[int, ...]
    overhead_step_s: float
    overhead_share_at_fit: float | None
    time_exponent_d_raw: Fit | None
    wall_time_exponent_d: Fit | None
    time_exponent_d_all: Fit
    time_exponent_n: Fit
    first_step_s: float
    state_bytes_per_param_measured: float
    state_bytes_per_param_model: float | None
    state_matches_model: bool | None
    state_exponent_d: float
    step_time_s_at_max_d: float
    sgd_step_ratio_at_max_d: float
    traffic_bytes_per_param_model: float | None
    effective_GBps_at_max_d: float | None
    peak_memory_estimate_bytes: float
    peak_memory_estimate_method: str
    peak_memory_measured_bytes: tuple[float | None, ...]
    peak_memory_method: str
    memory_exponent_d: Fit


@dataclass(frozen=True)
class WindowCost:
    """Step time of ``optimizer`` at d = ``dim`` against its window δ (init = max = δ), the
    overhead subtracted: the exponent (None, with ``note``, when it cannot be fitted)."""

    optimizer: str
    dim: int
    windows: tuple[int, ...]
    time_exponent_window: Fit | None
    note: str


@dataclass(frozen=True)
class CostScalingMetrics(MeasurementRecord):
    """The metrics of ``measurements/cost_scaling.json``: {optimizer: entry}, the window sweep
    and the last-level cache the runs recorded (bytes, where read; None if unknown) with the
    margin a fitted size's working set has over it, the step times the fits read
    (``clock``: the runner's timings key), and the C allocator the timed runs stepped under
    (:func:`experiments.machine.steady_allocator`; several, "; "-joined, if runs differ)."""

    EXPERIMENT = "cost_scaling"
    VERSION = 3
    optimizers: dict[str, CostEntry]
    window: WindowCost
    llc_bytes: int | None
    llc_source: str
    cache_margin: float
    clock: str
    allocator: str
