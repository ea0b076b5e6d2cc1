"""Controls for the published DWMGrad's regret: a sign of linear regret is blamed on DWMGrad's
own mechanism only when the standard methods that share the suspected confound (Adam, AMSGrad,
heavy ball at the same lr and step schedule, on the same problem) do not show it too
(``dwmgrad_regret``'s ``metrics.controls``, :mod:`experiments.named.published_controls`).

Every decision reads tail exponents (the last decade of horizons, never the transient).
"""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements.dwmgrad_regret import ControlRow, DwmgradRegretMetrics, PowerFit
from reports.results import InvalidData, ResultSet
from reports.rules import Interval
from reports.verdicts import Evidence

REGRET_FILE = "measurements/dwmgrad_regret.json"
LINEAR_REGRET_EXPONENT = 0.9
"""A tail regret exponent whose CI lies above this means R_T grows linearly: R_T/T does not
shrink, so the algorithm does not converge in the online convex sense."""
CONSTANT_STEP = "constant step size"
"""The confound a linear regret at a constant lr is attributed to when the controls share it."""


def fitted(fit: PowerFit) -> Interval | None:
    """A fitted exponent with its CI (exact for one instance), None where none was fitted."""
    if fit.slope is None or fit.ci_low is None or fit.ci_high is None:
        return None
    return Interval(fit.slope, fit.ci_low, fit.ci_high,
                    None if fit.n_samples is None else int(fit.n_samples))


def fit_text(fit: PowerFit) -> str:
    iv = fitted(fit)
    return iv.text() if iv else f"no fit ({fit.note or ''})"


def is_linear(iv: Interval | None) -> bool:
    """The exponent lies above LINEAR_REGRET_EXPONENT: its CI's low end (its exact value for
    one instance)."""
    return iv is not None and (iv.value if iv.single else iv.low) > LINEAR_REGRET_EXPONENT


def control_rows(r: ResultSet) -> list[ControlRow]:
    """Every row of ``metrics.controls`` (the typed record names a malformed row)."""
    rows = list(r.record(DwmgradRegretMetrics).controls)
    if not rows:
        raise InvalidData(REGRET_FILE, "metrics.controls is empty (no ablation, no control)")
    return rows


def sharing_controls(rows: list[ControlRow], problem: str, lr: float,
                     schedule: str) -> list[ControlRow]:
    """The controls at the same lr and schedule on ``problem`` that show linear regret too."""
    return [c for c in rows if c.family == "control" and c.problem == problem and c.lr == lr
            and c.schedule == schedule and is_linear(fitted(c.tail))]


def has_controls(rows: list[ControlRow], problem: str, lr: float, schedule: str) -> bool:
    """Whether a control at the same lr and schedule was measured on ``problem``."""
    return any(c.family == "control" and c.problem == problem and c.lr == lr
               and c.schedule == schedule for c in rows)


@dataclass(frozen=True)
class Attribution:
    """Linear-regret findings of DWMGrad settings, split by what causes them."""

    mechanism: list[str]   # linear while the same-lr, same-schedule controls are not
    confound: list[str]    # linear, and so are controls at the same lr and schedule
    uncontrolled: list[str]  # linear, but no control was measured there (not attributed)


def attribute(rows: list[ControlRow], subjects: list[tuple[str, str, float, str,
                                                            Interval | None]]) -> Attribution:
    """For each (label, problem, lr, schedule, tail exponent) of a DWMGrad setting showing
    linear regret: the mechanism's when no control at the same lr and schedule on the same
    problem shows it, else the shared confound's (naming those controls); unattributed where
    no control was measured at that lr and schedule on that problem."""
    mechanism, confound, uncontrolled = [], [], []
    for label, problem, lr, schedule, tail in subjects:
        if not is_linear(tail):
            continue
        shared = sharing_controls(rows, problem, lr, schedule)
        text = f"{label} on {problem} (tail a = {tail.text() if tail else '-'})"
        if not has_controls(rows, problem, lr, schedule):
            uncontrolled.append(f"{text}: no control at lr {lr:g}, {schedule} measured")
        elif shared:
            names = ", ".join(f"{c.optimizer} {fit_text(c.tail)}" for c in shared)
            step = CONSTANT_STEP if schedule == "constant" else f"the {schedule} step"
            confound.append(f"{text}: shared with {names} at lr {lr:g}, {schedule} ({step})")
        else:
            mechanism.append(text)
    return Attribution(mechanism, confound, uncontrolled)


def ablation_evidence(rows: list[ControlRow]) -> tuple[list[Evidence], list[str]]:
    """The ablation/control table as evidence, and which single change removes a linear
    regret the published DWMGrad (lr 1e-2) shows, per problem."""
    evidence = [Evidence(f"{row.family}: {row.setting} on {row.problem}, tail regret exponent",
                         fit_text(row.tail), REGRET_FILE)
                for row in rows]
    removes = []
    for base in (r for r in rows if r.family == "published" and is_linear(fitted(r.tail))):
        for row in rows:
            if (row.family == "ablation" and row.problem == base.problem and row.lr == base.lr
                    and fitted(row.tail) is not None and not is_linear(fitted(row.tail))):
                removes.append(f"{row.change} on {row.problem} ({fit_text(base.tail)} -> "
                               f"{fit_text(row.tail)})")
    return evidence, removes
