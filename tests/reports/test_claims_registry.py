"""The claims registry: one module per subject, every module listed, ids unique and kept."""

from __future__ import annotations

import pkgutil

import reports.claims as claims_package
from reports.claims import CLAIMS, SUBJECTS

SHARED_MODULES = {"common"}


def test_every_subject_module_is_in_the_registry() -> None:
    modules = {m.name for m in pkgutil.iter_modules(claims_package.__path__)} - SHARED_MODULES
    assert modules == {s.__name__.rsplit(".", 1)[1] for s in SUBJECTS}


def test_claim_ids_are_unique_and_each_claim_lives_in_one_subject() -> None:
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids)), ids
    assert sum(len(s.CLAIMS) for s in SUBJECTS) == len(CLAIMS)
