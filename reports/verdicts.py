"""Verdict types: the six statuses and their precedence, what a rule returns, the claim.

A :class:`Claim` pairs a statement (from a seed document, from the literature the seeds
rely on, or derived by this toolkit) with a rule: a function of the loaded result files
(:class:`~reports.results.ResultSet`) that returns a :class:`Verdict`. The statuses, most
decisive first (:data:`STATUSES`; :func:`decisive` and :func:`combine` apply the order):

- ``invalid data``: a result file is corrupt or holds non-finite numbers (names the file);
- ``violated``: the measurements contradict the claim;
- ``not run``: an experiment or stage the claim needs has no result (gives the command);
- ``vacuous``: the bound is not below its trivial comparator where it was tested;
- ``inconclusive``: the data cannot decide (with the reason);
- ``holds``.

A rule raises :class:`~reports.results.MissingResult` for an absent result and
:class:`~reports.results.InvalidData` for a bad one (typed records raise it naming the file and
field); :meth:`Claim.evaluate` turns them into ``not run`` and ``invalid data`` so a claim is
never dropped. Any other exception propagates: it is a bug, not a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from reports.results import InvalidData, MissingResult, ResultSet

Status = Literal["invalid data", "violated", "not run", "vacuous", "inconclusive", "holds"]
STATUSES: tuple[Status, ...] = get_args(Status)
"""Every verdict status, most decisive first: the order :func:`decisive` applies."""
SourceKind = Literal["seed", "literature", "derived"]

EvidenceValue = str | float | int | bool | None


@dataclass(frozen=True)
class Evidence:
    """One number or fact behind a verdict, with where it comes from."""

    label: str
    value: EvidenceValue
    source: str = ""

    def describe(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "source": self.source}


@dataclass(frozen=True)
class Counterexample:
    """A replayable witness against a claim (a saved loss sequence, a failing proof step)."""

    subject: str
    detail: str
    replay: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"subject": self.subject, "detail": self.detail, "replay": self.replay}


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str
    evidence: tuple[Evidence, ...] = ()
    counterexamples: tuple[Counterexample, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status {self.status!r}; expected one of {STATUSES}")


def decisive(*statuses: Status) -> Status:
    """The status that wins when sub-verdicts combine: the earliest in :data:`STATUSES`."""
    if not statuses:
        raise ValueError("decisive() needs at least one status")
    return min(statuses, key=STATUSES.index)


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """One verdict from several: the :func:`decisive` status with the reasons of the verdicts
    that have it; the evidence and counterexamples of all of them."""
    parts = list(verdicts)
    status = decisive(*(v.status for v in parts))
    return Verdict(status, "; ".join(v.reason for v in parts if v.status == status),
                   tuple(e for v in parts for e in v.evidence),
                   tuple(x for v in parts for x in v.counterexamples))


def count_statuses(statuses: Iterable[str]) -> dict[str, int]:
    """{status: how many} for every status of :data:`STATUSES`, in precedence order."""
    given = list(statuses)
    unknown = sorted(set(given) - set(STATUSES))
    if unknown:
        raise ValueError(f"verdict status {unknown[0]!r}; expected one of {STATUSES}")
    return {s: given.count(s) for s in STATUSES}


def tally_text(counts: Mapping[str, int]) -> str:
    """The one summary every output prints: ``"2 violated, 6 inconclusive, 15 holds"``
    (statuses in precedence order, those with no claim left out)."""
    parts = [f"{counts.get(s, 0)} {s}" for s in STATUSES if counts.get(s, 0)]
    return ", ".join(parts) or "no claims"


@dataclass(frozen=True)
class ClaimSource:
    """Where a claim comes from: a seed file and what it says, a paper, or ``derived``."""

    kind: SourceKind
    document: str
    says: str

    def describe(self) -> dict[str, str]:
        return {"kind": self.kind, "document": self.document, "says": self.says}


Rule = Callable[[ResultSet], Verdict]


def bound_ids(*names: str) -> tuple[str, ...]:
    """The ids of registered bounds (their ``Bound.name``) for :attr:`Claim.theory`."""
    return tuple(f"bound:{name}" for name in names)


def proof_ids(*names: str) -> tuple[str, ...]:
    """The ids of registered proofs (the ``proof`` of their steps) for :attr:`Claim.theory`."""
    return tuple(f"proof:{name}" for name in names)


@dataclass(frozen=True)
class Claim:
    """One checkable claim: statement, provenance, what tests it, and its verdict rule.

    ``theory`` holds the registered ids of the bounds and proofs the claim rests on
    (:func:`bound_ids`: ``bound:<name>`` of :func:`theory.registry.bounds`;
    :func:`proof_ids`: ``proof:<name>`` of :func:`proofs_check.registry.proof_names`; one test
    checks every id against the registries);
    ``experiments`` names measurement files; ``figures`` names the report's figures that show
    the evidence.
    """

    id: str
    title: str
    source: ClaimSource
    statement: str
    theory: tuple[str, ...]
    experiments: tuple[str, ...]
    figures: tuple[str, ...]
    rule: Rule = field(repr=False)

    def evaluate(self, results: ResultSet) -> Verdict:
        """The rule's verdict; an absent result gives ``not run`` (with the command that
        produces it), a corrupt or non-finite one ``invalid data`` (naming the file). Any
        other exception propagates: a bug in the rule, never a verdict."""
        try:
            return self.rule(results)
        except MissingResult as exc:
            return Verdict("not run", str(exc))
        except InvalidData as exc:
            return Verdict("invalid data", str(exc))


@dataclass(frozen=True)
class JudgedClaim:
    claim: Claim
    verdict: Verdict

    def describe(self) -> dict[str, Any]:
        c, v = self.claim, self.verdict
        return {
            "id": c.id,
            "title": c.title,
            "source": c.source.describe(),
            "statement": c.statement,
            "theory": list(c.theory),
            "experiments": list(c.experiments),
            "figures": list(c.figures),
            "verdict": v.status,
            "reason": v.reason,
            "evidence": [e.describe() for e in v.evidence],
            "counterexamples": [x.describe() for x in v.counterexamples],
        }
