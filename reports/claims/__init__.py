"""The claims registry: every checkable claim of the four seeds, and every derived claim.

Each :class:`~reports.verdicts.Claim` names its source (the seed file and the sentence it
makes, a paper the seeds rely on, or ``derived`` for what this toolkit itself derives), the
theory objects and experiments that test it, the figures that show it, and a rule: a
function of the loaded result files that returns a verdict of
:data:`~reports.verdicts.STATUSES` with its evidence. :func:`judge` evaluates all of them; a
claim whose results are missing is ``not run`` with the command that produces them, never
dropped.

One module per subject holds its rules and its ``CLAIMS``; :data:`SUBJECTS` lists the modules.
Adding a claim is one rule function and one ``Claim(...)`` entry in its subject's ``CLAIMS``.

Seeds: 000 DWMGrad (Wang, Li, Zeng), 001 adaptive heavy ball (Sun et al.), 002 Demon
(Chen et al.), 003 Aida (Zhang, Niwa, Kleijn), in ``shared/seeds/``.
"""

from __future__ import annotations

from types import ModuleType

from reports.claims import aida, cost, demon, dwmgrad, heavy_ball, invariance, proofs, reddi
from reports.results import ResultSet
from reports.verdicts import Claim, JudgedClaim

SUBJECTS: tuple[ModuleType, ...] = (dwmgrad, cost, heavy_ball, reddi, invariance, demon, aida,
                                     proofs)
"""The claim modules, in the order the report presents their claims."""

CLAIMS: tuple[Claim, ...] = tuple(c for subject in SUBJECTS for c in subject.CLAIMS)


def judge(results: ResultSet) -> list[JudgedClaim]:
    """Every claim of :data:`CLAIMS` with its verdict, in registry order."""
    ids = [c.id for c in CLAIMS]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in the registry: {ids}")
    return [JudgedClaim(c, c.evaluate(results)) for c in CLAIMS]
