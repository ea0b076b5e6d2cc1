"""The claims registry: one module per subject, every module listed, ids unique and kept."""

from __future__ import annotations

import pkgutil

import reports.claims as claims_package
from reports.claims import CLAIMS, SUBJECTS

SHARED_MODULES = {"common", "dwmgrad_controls"}
"""Helpers of several claims (dwmgrad_controls: the published DWMGrad's controls, read by
the dwmgrad subject), not subjects of their own."""


def test_every_subject_module_is_in_the_registry() -> None:
    modules = {m.name for m in pkgutil.iter_modules(claims_package.__path__)} - SHARED_MODULES
    assert modules == {s.__name__.rsplit(".", 1)[1] for s in SUBJECTS}


def test_claim_ids_are_unique_and_each_claim_lives_in_one_subject() -> None:
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)), ids
    assert sum(len(s.CLAIMS) for s in SUBJECTS) == len(CLAIMS)


def unregistered(theory: tuple[str, ...], bounds: set[str], proofs: set[str]) -> list[str]:
    """The ids of ``theory`` that name no registered bound or proof (or have no kind)."""
    known = {f"bound:{b}" for b in bounds} | {f"proof:{p}" for p in proofs}
    return [ref for ref in theory if ref not in known]


def test_claims_reference_registered_bounds_and_proofs() -> None:
    from proofs_check.registry import proof_names
    from theory.registry import bounds

    bound_names, proofs = {b.name for b in bounds()}, set(proof_names())
    assert {c.id: unregistered(c.theory, bound_names, proofs) for c in CLAIMS
            if unregistered(c.theory, bound_names, proofs)} == {}
    # a prose reference, a renamed bound and an id without its kind are all rejected
    assert unregistered(("dwmgrad regret bound", "bound:dwmgrad_regret_v2", "dwmgrad_regret",
                         "bound:dwmgrad_regret", "proof:dwmgrad_regret"),
                        bound_names, proofs) == ["dwmgrad regret bound",
                                                 "bound:dwmgrad_regret_v2", "dwmgrad_regret"]
