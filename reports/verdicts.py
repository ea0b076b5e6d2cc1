"""Verdict types: what a claim's rule returns, and the claim it judges.

A :class:`Claim` pairs a statement (from a seed document, from the literature the seeds
rely on, or derived by this toolkit) with a rule: a function of the loaded result files
(:class:`~reports.results.ResultSet`) that returns a :class:`Verdict`. A rule raises
:class:`~reports.results.MissingResult` when a file or key it needs is absent;
:meth:`Claim.evaluate` turns that into ``inconclusive`` with the reason, so a claim is never
dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from reports.results import CONTRACT_ERRORS, MissingResult, ResultSet

Status = Literal["holds", "violated", "inconclusive"]
STATUSES: tuple[Status, ...] = ("holds", "violated", "inconclusive")
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


@dataclass(frozen=True)
class ClaimSource:
    """Where a claim comes from: a seed file and what it says, a paper, or ``derived``."""

    kind: SourceKind
    document: str
    says: str

    def describe(self) -> dict[str, str]:
        return {"kind": self.kind, "document": self.document, "says": self.says}


Rule = Callable[[ResultSet], Verdict]


@dataclass(frozen=True)
class Claim:
    """One checkable claim: statement, provenance, what tests it, and its verdict rule.

    ``theory`` names bounds of ``theory/bounds.json`` and proofs of ``checks/checks.json``;
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
        """The rule's verdict; absent results give ``inconclusive`` with the reason."""
        try:
            return self.rule(results)
        except MissingResult as exc:
            return Verdict("inconclusive", f"missing results: {exc}")
        except CONTRACT_ERRORS as exc:
            return Verdict("inconclusive",
                           f"results do not follow the contract: {type(exc).__name__}: {exc}")


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
