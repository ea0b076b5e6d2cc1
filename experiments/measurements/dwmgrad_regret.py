"""The typed metrics of ``measurements/dwmgrad_regret.json``
(written by ``experiments.named.dwmgrad_regret``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import InvalidData, MeasurementRecord


@dataclass(frozen=True)
class RegretRow:
    """A variant on a problem at horizon T: regret over seeds (median, 10-90 % band, max);
    the registered bound covering the variant (``bound_name``, None for an unbounded
    variant) at its largest over seeds (each seed's own data, e.g. K_T), the trivial
    comparator T d G∞ D∞, the minimax lower bound (√2/4) d G∞ D∞ √T that a worst-case
    adversary forces on any method (``theory.online``), bound/trivial and ``vacuous``
    (bound/trivial >= 1: "R <= bound" cannot fail), regret_median/bound and the largest
    R_T/bound over seeds."""

    variant: str
    problem: str
    T: int
    regret_median: float
    regret_q10: float
    regret_q90: float
    regret_max: float
    bound_name: str | None
    bound: float | None
    trivial: float | None
    minimax_lower: float
    bound_over_trivial: float | None
    vacuous: bool | None
    ratio: float | None
    ratio_max: float | None

    def where(self) -> str:
        return f"{self.variant} on {self.problem} T={self.T}"


@dataclass(frozen=True)
class PowerFit:
    """Log-log slope of R_T over ``fit_T`` (first and last horizon) with its bootstrap CI;
    every number None (and ``note`` saying why) where no fit was possible."""

    slope: float | None
    intercept: float | None
    ci_low: float | None
    ci_high: float | None
    level: float | None
    n_samples: float | None
    fit_T: tuple[int, int] | None
    note: str | None


@dataclass(frozen=True)
class RegretExponent:
    """The regret exponent of one variant on one problem: over T >= FIT_FROM (``whole``) and
    over the last decade of horizons (``tail``, free of the transient: rates are decided on
    it)."""

    whole: PowerFit
    tail: PowerFit


@dataclass(frozen=True)
class ControlRow:
    """One setting of the published DWMGrad's ablation/control table on one problem
    (``experiments.named.published_controls``): ``family`` "published", "ablation" (one
    option ``change``d) or "control" (a standard method at the same ``lr`` and
    ``schedule``), and its tail regret exponent."""

    setting: str
    family: str
    optimizer: str
    lr: float
    schedule: str
    change: str
    problem: str
    tail: PowerFit

    def where(self) -> str:
        return f"{self.setting} on {self.problem}"


FAMILIES = ("published", "ablation", "control")
SCHEDULES = ("constant", "inv_sqrt")


@dataclass(frozen=True)
class DwmgradRegretMetrics(MeasurementRecord):
    """Every row, the exponents ({variant: {problem: exponent}}), whether every seed stayed
    below its bound at every horizon (``bound_holds``), the largest R_T/bound, and per bounded
    variant and problem the horizon from which the bound is at most ``informative_ratio`` x
    the trivial one (None when never, or when K_T still grew over the last decade of
    horizons, so that no horizon can be read off); ``controls``: the published DWMGrad's
    ablation and the shared-confound controls (:class:`ControlRow`)."""

    EXPERIMENT = "dwmgrad_regret"
    VERSION = 2
    rows: tuple[RegretRow, ...]
    exponents: dict[str, dict[str, RegretExponent]]
    bound_holds: bool
    max_ratio_analysed: float | None
    informative_T: dict[str, dict[str, float | None]]
    informative_ratio: float
    horizons: tuple[int, ...]
    controls: tuple[ControlRow, ...]

    def check(self, file: str) -> None:
        for i, control in enumerate(self.controls):
            if control.family not in FAMILIES or control.schedule not in SCHEDULES:
                raise InvalidData(file, f"metrics.controls[{i}] ({control.where()}): family "
                                        f"{control.family!r} / schedule {control.schedule!r}, "
                                        f"expected one of {FAMILIES} / {SCHEDULES}")
        for i, row in enumerate(self.rows):
            if row.bound is not None and row.bound_over_trivial is None:
                raise InvalidData(file, f"metrics.rows[{i}] ({row.where()}) has a bound but "
                                        "bound_over_trivial is None")
            if not row.minimax_lower > 0:
                raise InvalidData(file, f"metrics.rows[{i}] ({row.where()}) has minimax_lower "
                                        f"{row.minimax_lower!r}; expected a positive number")

    def variant_rows(self, variants: tuple[str, ...], file: str) -> list[RegretRow]:
        """The rows of exactly these variants (InvalidData when there is none)."""
        rows = [row for row in self.rows if row.variant in variants]
        if not rows:
            raise InvalidData(file, f"metrics.rows has no row of {', '.join(variants)}")
        return rows
