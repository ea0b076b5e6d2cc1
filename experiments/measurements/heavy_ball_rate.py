"""The typed metrics of ``measurements/heavy_ball_rate.json``
(written by ``experiments.named.heavy_ball_rate``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class RateRow:
    """One condition number κ: ρ* and the measured rates (medians over seeds, and per seed;
    ``None`` where a fit is not a finite number), GD's theory and measured rate, and the
    fitted windows of steps."""

    kappa: float
    rho_star: float
    rate_measured: float | None
    rate_fit_jordan: float | None
    gd_rate_theory: float
    gd_rate_measured: float | None
    rate_measured_seeds: tuple[float | None, ...]
    rate_fit_jordan_seeds: tuple[float | None, ...]
    gd_rate_measured_seeds: tuple[float | None, ...]
    window: tuple[int, int]
    window_error_min: float
    gd_window: tuple[int, int]


@dataclass(frozen=True)
class HeavyBallRateMetrics(MeasurementRecord):
    """The metrics of ``measurements/heavy_ball_rate.json``: one row per κ, ascending."""

    EXPERIMENT = "heavy_ball_rate"
    VERSION = 1
    rows: tuple[RateRow, ...]
