"""Every proof step of the toolkit, collected from a fixed list of proofs_check modules.

Each module in :data:`PROOF_MODULES` exposes ``STEPS: list[ProofStep]``; a step's ``proof``
names the proof it belongs to (one module may hold several proofs, e.g. a derivation and the
instances of the published algorithm's gaps). Missing modules are skipped with a warning
(:func:`theory.registry.import_present`).
"""

from __future__ import annotations

from proofs_check.core import ProofStep
from theory.registry import import_present

PROOF_MODULES: tuple[str, ...] = (
    "proofs_check.dwmgrad_regret",
    "proofs_check.dwmgrad_constant_momentum",
    "proofs_check.heavy_ball",
    "proofs_check.cost_model",
    "proofs_check.identities",
    "proofs_check.online_lower",
)


def missing_modules() -> list[str]:
    """The modules of :data:`PROOF_MODULES` that cannot be imported."""
    return import_present(PROOF_MODULES)[1]


def steps() -> list[ProofStep]:
    """All proof steps, in module order; (proof, step) pairs are unique."""
    modules, _ = import_present(PROOF_MODULES)
    out = [step for module in modules for step in module.STEPS]
    keys = [(s.proof, s.name) for s in out]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate proof steps: {duplicates}")
    return out


def proof_names() -> list[str]:
    """The proofs, in order of first appearance."""
    return list(dict.fromkeys(s.proof for s in steps()))


def select(proof: str | None = None) -> list[ProofStep]:
    """The steps of ``proof`` (all steps if None); ValueError naming the valid proofs."""
    every = steps()
    if proof is None:
        return every
    chosen = [s for s in every if s.proof == proof]
    if not chosen:
        names = list(dict.fromkeys(s.proof for s in every))
        raise ValueError(f"unknown proof {proof!r}; expected one of: {', '.join(names)}")
    return chosen

