"""Building blocks the claim rules share: names, intervals, proof-step tallies (comparisons:
:mod:`reports.comparison`).

Each helper reads only a :class:`~reports.results.ResultSet` (or values taken from it) and
raises :class:`~reports.results.MissingResult` for an absent result (the rule becomes
``not run``) and :class:`~reports.results.InvalidData` for one that breaks the contract.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from experiments.measurements.empirical import TASKS
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
    value of that instance, shown as such, never a degenerate ``[v, v]`` interval, and no
    rule decides on it."""

    value: float
    low: float
    high: float
    instances: int | None = None

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


EMPIRICAL_TASKS: tuple[str, ...] = TASKS
EMPIRICAL_FILE = "measurements/empirical.json"


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
