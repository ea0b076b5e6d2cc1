"""The typed metrics of ``measurements/heavy_ball_rate.json``
(written by ``experiments.named.heavy_ball_rate``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import InvalidData, MeasurementRecord


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
class PepitRow:
    """PEPit's worst case of ‖x_N − x*‖² (‖x_0 − x*‖ ≤ 1) for one method at its tuning, κ, N
    and function class ("quadratic" or "smooth_strongly_convex"), the exact worst case over
    quadratics, the solver of the accepted solve, and why a rejected one was rejected
    (``theory.pepit_worst_case.reference``)."""

    kappa: float
    method: str
    function_class: str
    steps: int
    worst_case: float | None
    exact_quadratic: float
    accepted: bool
    solver: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class HeavyBallRateMetrics(MeasurementRecord):
    """The metrics of ``measurements/heavy_ball_rate.json``: one row per κ, ascending, and
    PEPit's worst cases beside them."""

    EXPERIMENT = "heavy_ball_rate"
    VERSION = 2
    rows: tuple[RateRow, ...]
    pepit: tuple[PepitRow, ...]

    def check(self, file: str) -> None:
        for row in self.pepit:
            if row.accepted != (not row.problems) or (row.accepted and row.worst_case is None):
                raise InvalidData(file, f"metrics.pepit: kappa {row.kappa} N {row.steps} "
                                        f"{row.function_class}: accepted={row.accepted} with "
                                        f"problems {list(row.problems)} and worst_case "
                                        f"{row.worst_case}")
