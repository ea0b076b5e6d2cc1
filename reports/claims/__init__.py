"""The claims registry: every checkable claim of the four seeds, and every derived claim.

Each :class:`~reports.verdicts.Claim` names its source (the seed file and the sentence it
makes, a paper the seeds rely on, or ``derived`` for what this toolkit itself derives), the
theory objects and experiments that test it, the figures that show it, and a rule: a
function of the loaded result files that returns a verdict of
:data:`~reports.verdicts.STATUSES` with its evidence. :func:`judge` evaluates all of them; a
claim whose results are missing is ``not run`` with the command that produces them, never
dropped.

One module per subject holds its rules and its ``CLAIMS``; :data:`SUBJECTS` lists the modules.
Adding a claim is one rule function and one ``Claim(...)`` entry in its subject's ``CLAIMS``;
each is registered here through :func:`register_claim`, the function plugins call too
(``docs/plugins.md``). :func:`claims` lists every registered claim, the built-ins first.

Seeds: 000 DWMGrad (Wang, Li, Zeng), 001 adaptive heavy ball (Sun et al.), 002 Demon
(Chen et al.), 003 Aida (Zhang, Niwa, Kleijn), in ``shared/seeds/``.
"""

from __future__ import annotations

from types import ModuleType

from experiments.named import EXPERIMENTS
from reports.claims import aida, cost, demon, dwmgrad, heavy_ball, invariance, proofs, reddi
from reports.results import ResultSet
from reports.verdicts import Claim, JudgedClaim, bound_ids, proof_ids
from verify_io.plugins import PluginError, Registry, built_in, on_discovered

SUBJECTS: tuple[ModuleType, ...] = (dwmgrad, cost, heavy_ball, reddi, invariance, demon, aida,
                                     proofs)
"""The claim modules, in the order the report presents their claims."""

CLAIMS: tuple[Claim, ...] = tuple(c for subject in SUBJECTS for c in subject.CLAIMS)


def _check(name: str, claim: Claim) -> None:
    if not isinstance(claim, Claim):
        raise TypeError(f"{name!r}: expected a reports.verdicts.Claim, got "
                        f"{type(claim).__name__}")
    if claim.id != name:
        raise ValueError(f"{name!r}: the claim's id is {claim.id!r}")
    if not callable(claim.rule):
        raise TypeError(f"{name!r}: rule {claim.rule!r} is not a function")


CLAIM_REGISTRY: Registry[Claim] = Registry("claims", _check)
"""Every claim (built-ins and plugins), by id."""


def register_claim(claim: Claim) -> Claim:
    """Register ``claim`` (a :class:`~reports.verdicts.Claim`: statement, source, the bounds
    and experiments it rests on, figures, rule) under ``claim.id``. Raises
    ``ValueError``/``TypeError`` (a :class:`~verify_io.plugins.PluginError` naming the plugin
    when a plugin registers) for a malformed claim or an id already taken; a plugin claim
    resting on an experiment or bound nobody registered is refused once plugins are loaded."""
    return CLAIM_REGISTRY.add(getattr(claim, "id", ""), claim)


with built_in():
    for _claim in CLAIMS:
        register_claim(_claim)


def claims() -> tuple[Claim, ...]:
    """Every registered claim, in registration order (the built-ins in :data:`SUBJECTS`
    order, then plugins')."""
    return tuple(CLAIM_REGISTRY.values())


def _check_plugin_claims() -> None:
    """A plugin claim's experiments must be registered, and its ``theory`` ids name registered
    bounds and proofs (``bound:NAME``, ``proof:NAME``, like the built-in claims')."""
    from proofs_check.registry import proof_names
    from theory.registry import bounds

    known_bounds: set[str] | None = None
    for _, claim, origin in CLAIM_REGISTRY.registered():
        if origin.how == "built-in":
            continue
        unknown = [e for e in claim.experiments if e not in EXPERIMENTS]
        if unknown:
            raise PluginError(f"plugin {origin.where} ({origin.how}): claim {claim.id!r} rests on "
                              f"experiment(s) {unknown}; registered: {sorted(EXPERIMENTS)}")
        if known_bounds is None:
            known_bounds = set(bound_ids(*(b.name for b in bounds()))) | set(
                proof_ids(*proof_names()))
        missing = [t for t in claim.theory if t not in known_bounds]
        if missing:
            raise PluginError(f"plugin {origin.where} ({origin.how}): claim {claim.id!r} rests on "
                              f"{missing}; expected ids of registered bounds and proofs "
                              "('bound:NAME', 'proof:NAME', reports.verdicts.bound_ids)")


on_discovered(_check_plugin_claims)


def judge(results: ResultSet, chosen: tuple[Claim, ...] | None = None) -> list[JudgedClaim]:
    """Every claim of ``chosen`` (default: every registered claim, :func:`claims`) with its
    verdict, in order; ids must be unique."""
    judged = claims() if chosen is None else chosen
    ids = [c.id for c in judged]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return [JudgedClaim(c, c.evaluate(results)) for c in judged]
