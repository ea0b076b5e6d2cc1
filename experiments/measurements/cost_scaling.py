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
    """One optimizer: time exponents in d (large d, all d) and n, state bytes per parameter
    measured and modelled, step time, traffic and peak memory at the largest d."""

    time_exponent_d: Fit
    time_exponent_d_all: Fit
    time_exponent_n: Fit
    state_bytes_per_param_measured: float
    state_bytes_per_param_model: float | None
    state_matches_model: bool | None
    state_exponent_d: float
    step_time_s_at_max_d: float
    problem_share_at_max_d: float
    traffic_bytes_per_param_model: float | None
    effective_GBps_at_max_d: float | None
    peak_memory_estimate_bytes: float
    peak_memory_estimate_method: str
    peak_memory_measured_bytes: tuple[float | None, ...]
    peak_memory_method: str
    memory_exponent_d: Fit


@dataclass(frozen=True)
class CostScalingMetrics(MeasurementRecord):
    """The metrics of ``measurements/cost_scaling.json``: {optimizer: entry}."""

    EXPERIMENT = "cost_scaling"
    VERSION = 1
    optimizers: dict[str, CostEntry]
