"""Building blocks the claim rules share: names, intervals, comparisons, proof-step tallies.

Each helper reads only a :class:`~reports.results.ResultSet` (or values taken from it) and
raises :class:`~reports.results.MissingResult` for an absent result (the rule becomes
``not run``) and :class:`~reports.results.InvalidData` for one that breaks the contract.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from experiments.measurements.empirical import TASKS, EmpiricalMetrics, FinalLoss, RosenbrockLoss
from reports.results import CHECKS_FILE, InvalidData, MissingResult, ResultSet
from reports.verdicts import Counterexample, Evidence, Status, Verdict


def entry(table: Mapping[str, Any], label: str, file: str, where: str) -> Any:
    """``table[label]``: an optimizer's entry under its exact label (the one its experiment
    writes, e.g. "Adam", "DWMGrad (analysed)"); InvalidData naming the file when absent."""
    if label not in table:
        raise InvalidData(file, f"{where} has no entry '{label}' (entries: "
                                f"{sorted(map(str, table))})")
    return table[label]


def number(value: Any, what: str) -> float:
    """``value`` as a float; a non-number is a contract error (TypeError). Result files with
    a non-finite number never reach a rule (:class:`~reports.results.InvalidData` on load)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} is {value!r}, not a number")
    return float(value)


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval (a fitted slope, a median with a CI).

    ``instances`` is how many independent instances (seeds, timing repetitions) the interval
    is taken over, when the result file says (``n_samples``). One instance makes it an exact
    value of that instance, shown as such, never a degenerate ``[v, v]`` interval, and
    :func:`compare` does not decide a comparison on it."""

    value: float
    low: float
    high: float
    instances: int | None = None

    @classmethod
    def final_loss(cls, loss: FinalLoss, what: str) -> Interval:
        """A final loss with its CI; a run with diverged seeds (median None) is +inf."""
        if loss.final_loss_median is None or loss.ci_low is None or loss.ci_high is None:
            if loss.diverged_seeds:
                return cls(math.inf, math.inf, math.inf)
            raise InvalidData(EMPIRICAL_FILE, f"{what} has no final loss and no diverged seed")
        return cls(loss.final_loss_median, loss.ci_low, loss.ci_high, loss.n_samples)

    @property
    def single(self) -> bool:
        """One instance: an exact value, no interval."""
        return self.instances == 1

    def text(self) -> str:
        if math.isinf(self.value):
            return "diverged"
        return interval_text(self.value, self.low, self.high, self.instances)


def interval_suffix(low: float | None, high: float | None, instances: float | None,
                    spec: str = ".4g") -> str:
    """What follows a point value: " [low, high]"; where there is no interval an exact
    value's note, " (one instance)" or " (exact: all N instances equal)" for a zero-width
    interval (a deterministic result), never a degenerate " [v, v]"; "" without bounds."""
    if instances == 1:
        return " (one instance)"
    if low is None or high is None:
        return ""
    if format(low, spec) == format(high, spec):
        count = "" if instances is None else f" {int(instances)}"
        return f" (exact: all{count} instances equal)"
    return f" [{format(low, spec)}, {format(high, spec)}]"


def interval_text(value: float, low: float | None, high: float | None,
                  instances: float | None, spec: str = ".4g") -> str:
    """``value`` with :func:`interval_suffix`."""
    return format(value, spec) + interval_suffix(low, high, instances, spec)


Outcome = Literal["better", "worse", "tie", "one instance"]


def compare(challenger: Interval, baseline: Interval) -> Outcome:
    """Lower is better; ``better``/``worse`` only when the intervals do not overlap (a
    diverged run is worse than a finite one). A side measured on one instance has no
    interval: the comparison is ``one instance`` (undecided), never decided on ``[v, v]``."""
    if math.isinf(challenger.value) or math.isinf(baseline.value):
        if math.isinf(challenger.value) and math.isinf(baseline.value):
            return "tie"
        return "worse" if math.isinf(challenger.value) else "better"
    if challenger.single or baseline.single:
        return "one instance"
    if challenger.high < baseline.low:
        return "better"
    if challenger.low > baseline.high:
        return "worse"
    return "tie"


EMPIRICAL_TASKS: tuple[str, ...] = TASKS
EMPIRICAL_FILE = "measurements/empirical.json"


@dataclass(frozen=True)
class TaskComparison:
    task: str
    outcome: Outcome
    challenger: Interval
    baseline: Interval


def compare_final_losses(results: ResultSet, challenger: str, baseline: str,
                         tasks: Iterable[str] = EMPIRICAL_TASKS) -> list[TaskComparison]:
    """Final-loss medians with CIs of two optimizers on each empirical task (lower is better)."""
    out = []
    record = results.record(EmpiricalMetrics)
    for task in tasks:
        table = record.task(task)
        where = f"metrics.{task}"
        ch = entry(table, challenger, EMPIRICAL_FILE, where)
        base = entry(table, baseline, EMPIRICAL_FILE, where)
        ci_ch = Interval.final_loss(ch, f"{where}.{challenger}")
        ci_base = Interval.final_loss(base, f"{where}.{baseline}")
        out.append(TaskComparison(task, compare(ci_ch, ci_base), ci_ch, ci_base))
    return out


def comparison_evidence(comps: Iterable[TaskComparison], challenger: str,
                        baseline: str) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(f"{c.task}: final loss {challenger} vs {baseline}",
                 f"{c.challenger.text()} vs {c.baseline.text()} -> {c.outcome}",
                 f"measurements/empirical.json: metrics.{c.task}")
        for c in comps
    )


def better_or_matches(results: ResultSet, challenger: str, baselines: Iterable[str],
                      need_one_win: bool) -> Verdict:
    """Verdict for "``challenger`` trains better than (or matches) ``baselines``".

    Violated when the challenger is significantly worse than a baseline on some task;
    holds when it is never worse and (if ``need_one_win``) significantly better somewhere;
    otherwise inconclusive (every difference within the confidence intervals).
    """
    evidence: list[Evidence] = []
    outcomes: list[str] = []
    for base in baselines:
        comps = compare_final_losses(results, challenger, base)
        evidence.extend(comparison_evidence(comps, challenger, base))
        outcomes.extend(f"{c.outcome}:{c.task} vs {base}" for c in comps)
    worse = [o.split(":", 1)[1] for o in outcomes if o.startswith("worse")]
    better = [o.split(":", 1)[1] for o in outcomes if o.startswith("better")]
    single = [o.split(":", 1)[1] for o in outcomes if o.startswith("one instance")]
    if worse:
        return Verdict("violated", f"{challenger} is significantly worse on {', '.join(worse)}",
                       tuple(evidence))
    if single:
        return Verdict("inconclusive", f"one instance: no interval to compare on "
                       f"{', '.join(single)}", tuple(evidence))
    if better or not need_one_win:
        won = f"better on {', '.join(better)}" if better else "within the CIs everywhere"
        return Verdict("holds", f"{challenger} is never significantly worse; {won}",
                       tuple(evidence))
    return Verdict("inconclusive",
                   f"{challenger} matches its baselines within the confidence intervals on every "
                   "task: no faster convergence resolved at this scale", tuple(evidence))


def faster_than(results: ResultSet, challenger: str, baseline: str) -> Verdict:
    """Verdict for "``challenger`` converges faster than ``baseline``": steps to reach each
    problem's threshold on f - f* (median over seeds; never reached counts as slowest).

    The claim is universal, so one problem where the challenger is slower *and* its final
    loss is worse with disjoint CIs (:func:`compare`) violates it; so does being slower on
    more than half of the problems. Holds when it is faster or tied on every problem, faster
    on one, and its final loss is nowhere worse with disjoint CIs; inconclusive otherwise.
    """
    table = results.record(EmpiricalMetrics).faster_convergence
    evidence: list[Evidence] = []
    faster, slower = [], []
    for problem, row in table.items():
        steps = row.steps_to_threshold
        where = f"metrics.faster_convergence.{problem}.steps_to_threshold"
        a = entry(steps, challenger, EMPIRICAL_FILE, where)
        b = entry(steps, baseline, EMPIRICAL_FILE, where)
        evidence.append(Evidence(f"{problem}: steps to threshold, {challenger} vs {baseline}",
                                 f"{_steps(a)} vs {_steps(b)}",
                                 "measurements/empirical.json: metrics.faster_convergence"))
        a_val = math.inf if a is None else a
        b_val = math.inf if b is None else b
        if a_val < b_val:
            faster.append(problem)
        elif a_val > b_val:
            slower.append(problem)
    if not table:
        raise InvalidData("measurements/empirical.json", "metrics.faster_convergence is empty")
    losses: list[TaskComparison] = []
    try:
        losses = problem_final_losses(results, challenger, baseline, tuple(table))
        evidence.extend(comparison_evidence(losses, challenger, baseline))
    except MissingResult as exc:
        evidence.append(Evidence("final losses", f"absent: {exc}", "measurements/empirical.json"))
    worse = [f"{c.task} (final loss {c.challenger.text()} vs {c.baseline.text()})"
             for c in losses if c.outcome == "worse"]
    decisive = [f"{c.task} (final loss {c.challenger.text()} vs {c.baseline.text()})"
                for c in losses if c.outcome == "worse" and c.task in slower]
    if decisive:
        return Verdict("violated", f"{challenger} is slower than {baseline} with a worse final "
                       f"loss (disjoint CIs) on {'; '.join(decisive)}", tuple(evidence))
    if 2 * len(slower) > len(table):
        return Verdict("violated", f"{challenger} is slower than {baseline} on "
                       f"{len(slower)} of {len(table)} problems ({', '.join(slower)})",
                       tuple(evidence))
    if faster and not slower and not worse:
        return Verdict("holds", f"{challenger} reaches the threshold first on "
                       f"{', '.join(faster)} and never later", tuple(evidence))
    return Verdict("inconclusive", f"mixed: {challenger} faster on {', '.join(faster) or 'none'}, "
                   f"slower on {', '.join(slower) or 'none'}"
                   + (f"; final loss worse (disjoint CIs) on {'; '.join(worse)}" if worse else ""),
                   tuple(evidence))


def problem_final_losses(results: ResultSet, challenger: str, baseline: str,
                         problems: tuple[str, ...]) -> list[TaskComparison]:
    """Final-loss comparisons on the problems of ``faster_convergence`` (a Rosenbrock problem
    reads its start's row of the rosenbrock table), each named after its problem."""
    record = results.record(EmpiricalMetrics)
    out = []
    for problem in problems:
        task, _, start = problem.partition("_")
        where = f"metrics.{task}"
        ch = entry(record.task(task), challenger, EMPIRICAL_FILE, where)
        base = entry(record.task(task), baseline, EMPIRICAL_FILE, where)
        if start:
            if not isinstance(ch, RosenbrockLoss) or not isinstance(base, RosenbrockLoss):
                raise InvalidData(EMPIRICAL_FILE, f"{where} has no per-start final losses")
            where += f".by_start.{start}"
            ch = entry(ch.by_start, start, EMPIRICAL_FILE, f"{where}.{challenger}")
            base = entry(base.by_start, start, EMPIRICAL_FILE, f"{where}.{baseline}")
        ci_ch = Interval.final_loss(ch, f"{where}.{challenger}")
        ci_base = Interval.final_loss(base, f"{where}.{baseline}")
        out.append(TaskComparison(problem, compare(ci_ch, ci_base), ci_ch, ci_base))
    return out


def _steps(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f}"


def proof_steps(results: ResultSet, proofs: tuple[str, ...], what: str) -> list[dict[str, Any]]:
    """The rows of ``checks/checks.json`` whose proof is one of ``proofs`` (registered proof
    names of :mod:`proofs_check.registry`, matched exactly)."""
    rows = [r for r in results.check_rows() if r.get("proof") in proofs]
    if not rows:
        raise MissingResult(f"{CHECKS_FILE} has no proof step of {what} "
                            f"({', '.join(proofs)}): run `dwmgrad-verify check --out "
                            f"{results.root}`")
    return rows


def decided_subchecks(row: Mapping[str, Any]) -> dict[str, int]:
    """{method: sub-checks it decided} of a check row; empty when nothing decided the step (no
    ``decided_by`` count, or a numeric/falsification/trajectory decision on 0 instances)."""
    decided = row.get("decided_by")
    if not isinstance(decided, Mapping):
        return {}
    counts = {str(m): int(n) for m, n in decided.items()
              if isinstance(n, int) and not isinstance(n, bool) and n > 0}
    if set(counts) - {"symbolic"} and not int(row.get("instances") or 0) > 0:
        return {}
    return counts


def steps_verdict(results: ResultSet, proofs: tuple[str, ...], what: str) -> Verdict:
    """All steps of ``proofs`` verified -> holds; any violated -> violated (with instance)."""
    rows = proof_steps(results, proofs, what)
    evidence, counterexamples = steps_evidence(rows)
    statuses = [str(r.get("status")) for r in rows]
    status: Status
    if "violated" in statuses:
        status, reason = "violated", f"{statuses.count('violated')} of {len(rows)} steps of " \
                                     f"{what} are violated"
    elif all(s == "verified" and decided_subchecks(r) for s, r in zip(statuses, rows,
                                                                       strict=True)):
        status, reason = "holds", f"all {len(rows)} steps of {what} are verified"
    else:
        undecided = [r for r in rows if r.get("status") != "verified" or not decided_subchecks(r)]
        status, reason = "inconclusive", f"{len(undecided)} of {len(rows)} steps of {what} " \
                                         f"are not decided"
    return Verdict(status, reason, evidence, counterexamples)


def steps_evidence(rows: list[dict[str, Any]]) -> tuple[tuple[Evidence, ...],
                                                        tuple[Counterexample, ...]]:
    tally: dict[str, int] = {}
    for r in rows:
        key = f"{r.get('status')} ({r.get('method')})"
        tally[key] = tally.get(key, 0) + 1
    slacks = [float(r["worst_slack"]) for r in rows
              if isinstance(r.get("worst_slack"), int | float)
              and math.isfinite(float(r["worst_slack"]))]
    proofs = sorted({str(r.get("proof")) for r in rows})
    evidence = [Evidence("proofs", ", ".join(proofs), "checks/checks.json")]
    evidence += [Evidence(f"steps {k}", v, "checks/checks.json") for k, v in sorted(tally.items())]
    if slacks:
        evidence.append(Evidence("worst slack over steps", min(slacks), "checks/checks.json"))
    instances = sum(int(r.get("instances") or 0) for r in rows)
    evidence.append(Evidence("checked instances (numeric + trajectory)", instances,
                             "checks/checks.json"))
    counterexamples = tuple(
        Counterexample(f"{r.get('proof')}: {r.get('step')}",
                       f"{r.get('statement')}; worst slack {r.get('worst_slack')}; "
                       f"instance {r.get('counterexample')}")
        for r in rows if r.get("status") == "violated"
    )
    return tuple(evidence), counterexamples


def gather(missing: list[str], fn: Callable[[], Any]) -> Any:
    """``fn()``, or ``None`` with the reason appended to ``missing`` when a result is absent
    (the rule then decides whether the rest suffices or it is ``not run``)."""
    try:
        return fn()
    except MissingResult as exc:
        missing.append(str(exc))
        return None
