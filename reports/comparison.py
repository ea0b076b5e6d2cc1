"""The one rule for every "A is better (faster, more robust, narrower) than B" claim.

Per problem (and per baseline), the two optimizers' per-seed values are compared on the same
evaluation seeds (paired: a seed fixes the start, the noise and the minibatches of both):

* the difference of a statistic (the median over seeds of the per-seed values, or a spread
  over settings) challenger minus baseline, lower is better, with a percentile bootstrap CI
  that resamples the seeds jointly for both (:func:`paired_difference`), and the two-sided
  bootstrap p-value of "no difference" (twice the smaller share of resampled differences on
  either side of 0);
* the comparisons one claim rests on are one family, corrected by Holm-Bonferroni
  (:func:`holm_adjusted`, level :data:`ALPHA`): a row is decided only when its Holm-adjusted
  p-value is at most ALPHA;
* a universal claim (:func:`universal_better`) is **violated** by one decided row in the
  baseline's favour, **holds** when every row is decided in the challenger's favour, and is
  **inconclusive** otherwise, naming the undecided rows (and those an uncorrected test would
  have decided); a row measured on one seed has no interval and is never decided;
* a "competitive" claim (:func:`never_worse`) is violated by one decided row against the
  challenger and holds otherwise.

A diverged run (or a threshold never reached) is +inf: worse than any finite value, equal to
another +inf. Before any statistic, :func:`check_paired` refuses a confounded comparison: one
whose two sides ran on different evaluation seeds or horizons, or whose lr was tuned on a seed
it is evaluated on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.measurements.empirical import EmpiricalMetrics, FinalLoss, RosenbrockLoss
from reports.results import InvalidData, ResultSet
from reports.rules import EMPIRICAL_FILE, entry, interval_text
from reports.verdicts import Evidence, Verdict

LEVEL = 0.9
"""Two-sided level of every interval shown (the project's 90 % CIs)."""
ALPHA = 1 - LEVEL
"""Family-wise error rate of one claim's comparisons (Holm)."""
N_BOOT = 4000
BOOT_SEED = 0

Statistic = Callable[[np.ndarray], np.ndarray]
"""Reduces an array (..., resamples, seeds) of per-seed values to one value per resample."""


def median_over_seeds(values: np.ndarray) -> np.ndarray:
    """The median over seeds (last axis) of (resamples, seeds) values."""
    return np.median(values, axis=-1)


@dataclass(frozen=True)
class Difference:
    """Challenger minus baseline on one problem (lower is better): the statistic's
    difference, its bootstrap CI at :data:`LEVEL`, the two-sided bootstrap p-value and the
    number of paired seeds; ``challenger``/``baseline`` show each side's value."""

    where: str
    estimate: float
    low: float
    high: float
    p_value: float
    instances: int
    challenger: float
    baseline: float

    def text(self, p_holm: float | None = None) -> str:
        sides = f"{_value(self.challenger)} vs {_value(self.baseline)}"
        if self.instances < 2:
            return f"{sides}; difference {_value(self.estimate)} (one seed: no interval)"
        holm = "" if p_holm is None else f", Holm p {p_holm:.3g}"
        # a zero-width interval (every paired difference equal) is an exact value
        difference = interval_text(self.estimate, self.low, self.high, self.instances)
        return f"{sides}; difference {difference} (p {self.p_value:.3g}{holm}, " \
               f"{self.instances} seeds)"


def _value(v: float) -> str:
    return "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:.4g}"


def _minus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - b with inf - inf = 0 (two diverged sides are tied)."""
    with np.errstate(invalid="ignore"):
        d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return np.where(np.isnan(d) & (np.asarray(a) == np.asarray(b)), 0.0, d)


def paired_difference(where: str, challenger: np.ndarray, baseline: np.ndarray,
                      statistic: Statistic = median_over_seeds, n_boot: int = N_BOOT,
                      seed: int = BOOT_SEED) -> Difference:
    """Bootstrap the difference statistic(challenger) - statistic(baseline), resampling the
    seeds (last axis, the same for both sides) jointly. Values may be +inf (diverged), never
    NaN."""
    a, b = np.asarray(challenger, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    if a.shape != b.shape or a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{where}: paired values need one shape with seeds on the last axis; "
                         f"got {a.shape} and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError(f"{where}: NaN among the per-seed values (a diverged seed is +inf)")
    n = a.shape[-1]
    whole = np.arange(n)[None, :]
    sa, sb = float(statistic(a[..., whole])[0]), float(statistic(b[..., whole])[0])
    estimate = float(_minus(np.array(sa), np.array(sb)))
    if n < 2:
        return Difference(where, estimate, estimate, estimate, 1.0, n, sa, sb)
    picks = np.random.default_rng(seed).integers(0, n, (n_boot, n))
    d = _minus(statistic(a[..., picks]), statistic(b[..., picks]))
    low, high = np.quantile(d, [ALPHA / 2, 1 - ALPHA / 2], method="inverted_cdf")
    p = min(1.0, 2 * min(float(np.mean(d <= 0)), float(np.mean(d >= 0))))
    return Difference(where, estimate, float(low), float(high), p, n, sa, sb)


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values: the k-th smallest p times (m - k + 1), made
    non-decreasing in that order and capped at 1; a hypothesis is rejected at level a when its
    adjusted p is <= a."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class Decided:
    """A family's rows with their Holm-adjusted p-values and outcomes."""

    rows: tuple[Difference, ...]
    p_holm: tuple[float, ...]

    @classmethod
    def of(cls, rows: Sequence[Difference]) -> Decided:
        if not rows:
            raise ValueError("a comparison needs at least one row")
        return cls(tuple(rows), tuple(holm_adjusted([r.p_value for r in rows])))

    def outcome(self, i: int) -> str:
        """better / worse (decided after Holm), one seed, or undecided."""
        row = self.rows[i]
        if row.instances < 2:
            return "one seed"
        if self.p_holm[i] <= ALPHA and row.estimate != 0:
            return "better" if row.estimate < 0 else "worse"
        return "undecided"

    def named(self, outcome: str) -> list[str]:
        return [r.where for i, r in enumerate(self.rows) if self.outcome(i) == outcome]

    def evidence(self, source: str) -> tuple[Evidence, ...]:
        return tuple(Evidence(f"{r.where} (challenger - baseline, lower is better)",
                              f"{r.text(self.p_holm[i])} -> {self.outcome(i)}", source)
                     for i, r in enumerate(self.rows))

    def uncorrected_only(self) -> list[str]:
        """Undecided rows an uncorrected test at ALPHA would have decided."""
        return [r.where for i, r in enumerate(self.rows)
                if self.outcome(i) == "undecided" and r.p_value <= ALPHA and r.estimate != 0]


def _undecided_reason(family: Decided) -> str:
    parts = []
    undecided = family.named("undecided")
    if undecided:
        parts.append(f"not resolved (Holm-corrected, family of {len(family.rows)}) on "
                     f"{', '.join(undecided)}")
    loose = family.uncorrected_only()
    if loose:
        parts.append(f"an uncorrected test would have decided {', '.join(loose)}")
    single = family.named("one seed")
    if single:
        parts.append(f"one seed, no interval, on {', '.join(single)}")
    return "; ".join(parts)


def universal_better(family: Decided, claim: str, source: str,
                     extra: tuple[Evidence, ...] = ()) -> Verdict:
    """"``claim``" on every row of ``family`` (module docstring)."""
    evidence = family.evidence(source) + extra
    worse = family.named("worse")
    if worse:
        return Verdict("violated", f"not {claim}: the baseline is better (Holm-corrected, "
                       f"disjoint from no difference) on {', '.join(worse)}", evidence)
    if len(family.named("better")) == len(family.rows):
        return Verdict("holds", f"{claim} on every comparison ({len(family.rows)}, "
                       "Holm-corrected)", evidence)
    better = family.named("better")
    won = f"better on {', '.join(better)}; " if better else ""
    return Verdict("inconclusive", f"{won}{_undecided_reason(family)}", evidence)


def never_worse(family: Decided, claim: str, source: str) -> Verdict:
    """"``claim``": the challenger is nowhere decidedly worse (module docstring)."""
    evidence = family.evidence(source)
    worse = family.named("worse")
    if worse:
        return Verdict("violated", f"not {claim}: worse (Holm-corrected) on "
                       f"{', '.join(worse)}", evidence)
    single = family.named("one seed")
    if single:
        return Verdict("inconclusive", f"one seed, no interval, on {', '.join(single)}",
                       evidence)
    better = family.named("better")
    return Verdict("holds", f"{claim}: never worse (Holm-corrected, family of "
                   f"{len(family.rows)})" + (f"; better on {', '.join(better)}" if better
                                             else ""), evidence)


def check_paired(file: str, where: str, challenger: FinalLoss, baseline: FinalLoss) -> None:
    """InvalidData naming ``where`` when the two sides are not a fair paired comparison:
    different evaluation seeds or horizons, per-seed values missing, a side not tuned, or an
    lr tuned on a seed that is also evaluated (a confounded comparison)."""
    if challenger.seeds != baseline.seeds or challenger.horizon != baseline.horizon:
        raise InvalidData(file, f"{where}: the two sides ran on different seeds or horizons "
                          f"({challenger.seeds}, T = {challenger.horizon} vs "
                          f"{baseline.seeds}, T = {baseline.horizon}); a comparison needs "
                          "paired runs")
    for side in (challenger, baseline):
        if len(side.final_by_seed) != len(side.seeds) or \
                len(side.steps_by_seed) != len(side.seeds):
            raise InvalidData(file, f"{where}: {len(side.final_by_seed)} final values and "
                              f"{len(side.steps_by_seed)} step counts for {len(side.seeds)} "
                              "seeds")
        if side.tuned is None:
            raise InvalidData(file, f"{where}: a side ran at its default lr, not tuned (a "
                              "confounded comparison: both sides must be tuned)")
        shared = sorted(set(side.tuned.tuning_seeds) & set(side.seeds))
        if shared:
            raise InvalidData(file, f"{where}: the lr was tuned on evaluation seeds {shared} "
                              "(a confounded comparison: tuning and evaluation seeds must be "
                              "disjoint)")


def log_finals(loss: FinalLoss) -> np.ndarray:
    """log10 of each seed's final value (floored at 1e-300), +inf where a seed diverged."""
    return np.array([math.inf if v is None else math.log10(max(v, 1e-300))
                     for v in loss.final_by_seed])


def steps(loss: FinalLoss) -> np.ndarray:
    """Each seed's steps to the threshold, +inf where it was never reached."""
    return np.array([math.inf if v is None else float(v) for v in loss.steps_by_seed])


SOURCE = f"{EMPIRICAL_FILE}: metrics (per-seed values at each optimizer's tuned lr)"


def problem_loss(record: EmpiricalMetrics, problem: str, label: str) -> FinalLoss:
    """``label``'s evaluation on ``problem`` (a problem of ``faster_convergence``; a Rosenbrock
    problem reads its start's row of the rosenbrock table)."""
    task, _, start = problem.partition("_")
    where = f"metrics.{task}"
    loss = entry(record.table(task), label, EMPIRICAL_FILE, where)
    if start:
        if not isinstance(loss, RosenbrockLoss):
            raise InvalidData(EMPIRICAL_FILE, f"{where}.{label} has no per-start final losses")
        loss = entry(loss.by_start, start, EMPIRICAL_FILE, f"{where}.{label}.by_start")
    assert isinstance(loss, FinalLoss)
    return loss


def family(r: ResultSet, challenger: str, baselines: Sequence[str],
           per_seed: Callable[[FinalLoss], np.ndarray], what: str) -> Decided:
    """One row per problem and baseline: ``what`` (per-seed values, lower is better) of the
    challenger minus the baseline's, paired on the evaluation seeds."""
    record = r.record(EmpiricalMetrics)
    problems = tuple(record.faster_convergence)
    if not problems:
        raise InvalidData(EMPIRICAL_FILE, "metrics.faster_convergence names no problem")
    rows = []
    for base in baselines:
        for problem in problems:
            a, b = problem_loss(record, problem, challenger), problem_loss(record, problem, base)
            where = f"{problem}: {what}, {challenger} (lr {a.lr:g}) vs {base} (lr {b.lr:g})"
            check_paired(EMPIRICAL_FILE, where, a, b)
            rows.append(paired_difference(where, per_seed(a), per_seed(b)))
    return Decided.of(rows)


def faster_than(r: ResultSet, challenger: str, baseline: str) -> Verdict:
    """"``challenger`` converges faster than ``baseline``": fewer steps to each problem's
    threshold (median over seeds; never reached = +inf), on every problem."""
    rows = family(r, challenger, [baseline], steps, "steps to threshold")
    return universal_better(rows, f"{challenger} reaches the threshold first", SOURCE)


def better_than(r: ResultSet, challenger: str, baselines: Sequence[str]) -> Verdict:
    """"``challenger`` trains better than ``baselines``": a lower final loss (median of log10
    over seeds) on every problem."""
    rows = family(r, challenger, baselines, log_finals, "log10 final loss")
    return universal_better(rows, f"{challenger} ends lower than {', '.join(baselines)}",
                            SOURCE)


def competitive(r: ResultSet, challenger: str, baselines: Sequence[str]) -> Verdict:
    """"``challenger`` is competitive with ``baselines``": its final loss is nowhere worse."""
    rows = family(r, challenger, baselines, log_finals, "log10 final loss")
    return never_worse(rows, f"{challenger} is competitive with {', '.join(baselines)}",
                       SOURCE)
