"""The typed metrics of ``measurements/audit_*.json`` (written by :mod:`experiments.audit`):
one record per part of the battery run on one optimizer."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord
from experiments.measurements.cost_scaling import Fit
from experiments.measurements.lessard_cycle import Start
from experiments.measurements.reddi import ReddiRun


@dataclass(frozen=True)
class Audited:
    """The audited optimizer: its label, import path and options (as canonical JSON)."""

    label: str
    optimizer: str
    options_json: str


@dataclass(frozen=True)
class RegretPoint:
    """R_T on one problem at horizon T over seeds, and the trivial comparator T·d·G∞·D∞."""

    problem: str
    T: int
    regret_median: float
    regret_q10: float
    regret_q90: float
    regret_max: float
    trivial: float


@dataclass(frozen=True)
class RateFit:
    """Log-log slope of R_T over the last decade of horizons, with its 90 % bootstrap CI over
    seeds (one seed: the exact value); ``None`` when R_T is not positive enough to fit."""

    slope: float | None
    ci_low: float | None
    ci_high: float | None
    note: str


@dataclass(frozen=True)
class UserBound:
    """A bound the user registered for the audited optimizer (``theory.core.Bound``)."""

    name: str
    latex: str
    kind: str
    reference: str
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class BoundRow:
    """One user bound on one problem at horizon T: each seed's R_T against the bound at that
    seed's data (``ratio_max`` = max over seeds of R_T / bound, at ``worst_seed``), and the
    largest bound over seeds against the trivial comparator."""

    bound: str
    problem: str
    T: int
    ratio_max: float
    worst_seed: int
    regret_at_worst: float
    bound_at_worst: float
    bound_max: float
    trivial: float
    bound_over_trivial: float
    run: str


@dataclass(frozen=True)
class AuditRegretMetrics(MeasurementRecord):
    """``measurements/audit_regret.json``: the online regret suite and the user bounds."""

    EXPERIMENT = "audit_regret"
    VERSION = 1
    target: Audited
    rows: tuple[RegretPoint, ...]
    tail_fits: dict[str, RateFit]
    bounds: tuple[UserBound, ...]
    bound_rows: tuple[BoundRow, ...]


@dataclass(frozen=True)
class AuditReddiMetrics(MeasurementRecord):
    """``measurements/audit_reddi.json``: final iterate and R_T/T on Reddi et al.'s three
    constructions (minimiser x* = -1; Adam with the published settings ends at +1)."""

    EXPERIMENT = "audit_reddi"
    VERSION = 1
    target: Audited
    runs: dict[str, ReddiRun]
    minimiser: float


@dataclass(frozen=True)
class AuditLessardMetrics(MeasurementRecord):
    """``measurements/audit_lessard.json``: every start of Lessard et al.'s function,
    converged, cycling (period 3) or neither at the horizon."""

    EXPERIMENT = "audit_lessard"
    VERSION = 1
    target: Audited
    horizon: int
    starts: tuple[Start, ...]


@dataclass(frozen=True)
class AuditSearchMetrics(MeasurementRecord):
    """``measurements/audit_search.json``: the calibrated counterexample search against the
    audited optimizer (controls AMSGrad and the analysed DWMGrad)."""

    EXPERIMENT = "audit_search"
    VERSION = 1
    target: Audited
    found: bool
    n_found: int
    evaluations: int
    avg_regret_by_T: dict[str, float]
    final_x: float
    conditions: str
    replay: str
    criterion: str


@dataclass(frozen=True)
class InvarianceRow:
    """One game and transformation: the normalised change (``None``: not finite, the
    transformed run diverged) and its class."""

    game: str
    transform: str
    worst: float | None
    kind: str


@dataclass(frozen=True)
class AuditInvarianceMetrics(MeasurementRecord):
    """``measurements/audit_invariance.json``: the metamorphic audit of the optimizer, with
    the worst class per transformation over the games."""

    EXPERIMENT = "audit_invariance"
    VERSION = 1
    target: Audited
    horizon: int
    table: dict[str, str]
    rows: tuple[InvarianceRow, ...]


@dataclass(frozen=True)
class AuditCostMetrics(MeasurementRecord):
    """``measurements/audit_cost.json``: wall time per step against d (median over repeats)
    beside SGD on the same problem, its exponent for d >= 10^4, and the state per parameter."""

    EXPERIMENT = "audit_cost"
    VERSION = 1
    target: Audited
    dims: tuple[int, ...]
    step_time_s: tuple[float, ...]
    reference_step_time_s: tuple[float, ...]
    time_exponent_d: Fit
    state_bytes_per_param: float
