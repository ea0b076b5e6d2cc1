"""The typed metrics of ``measurements/lessard_cycle.json``
(written by ``experiments.named.lessard_cycle``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class Start:
    """One start x_0 = x_1: converged / cycling, the final iterate, the last three iterates
    (ordered like the published cycle)."""

    x0: float
    in_cycle_interval: bool
    converged: bool
    cycling: bool
    final_x: float
    last_three: tuple[float, ...]


@dataclass(frozen=True)
class LessardCycleMetrics(MeasurementRecord):
    """The metrics of ``measurements/lessard_cycle.json``."""

    EXPERIMENT = "lessard_cycle"
    VERSION = 1
    cycle_detected: bool
    cycle_points: tuple[float, ...]
    expected_cycle: tuple[float, ...]
    cycle_max_abs_error: float | None
    starts: tuple[Start, ...]
    converging_starts_converged: bool
    alpha: float
    beta: float
