"""The registries collect every theory and proof module; nothing is missing on main."""

from __future__ import annotations

import re
import types

import pytest

from proofs_check import registry as proofs
from theory import registry as theories


def test_every_theory_module_is_present_and_contributes_bounds() -> None:
    assert theories.missing_modules() == []
    modules, _ = theories.import_present(theories.THEORY_MODULES)
    assert all(module.BOUNDS for module in modules)
    names = [b.name for b in theories.bounds()]
    assert len(names) == len(set(names))
    assert theories.bound("dwmgrad_regret").kind == "upper"
    with pytest.raises(ValueError, match="nonsense"):
        theories.bound("nonsense")


def test_every_proof_module_is_present_and_contributes_steps() -> None:
    assert proofs.missing_modules() == []
    modules, _ = proofs.import_present(proofs.PROOF_MODULES)
    assert all(module.STEPS for module in modules)
    assert {"dwmgrad_regret", "dwmgrad_paper_gaps"} <= set(proofs.proof_names())


def test_every_derivation_is_checked_by_a_registered_proof() -> None:
    names = set(proofs.proof_names())
    for der in theories.derivations():
        assert der.proof in names, der.name


def test_select_rejects_an_unknown_proof_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="dwmgrad_regret"):
        proofs.select("nonsense")
    assert {s.proof for s in proofs.select("dwmgrad_regret")} == {"dwmgrad_regret"}


def test_a_step_registered_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    modules, _ = proofs.import_present(proofs.PROOF_MODULES)
    again = types.SimpleNamespace(STEPS=modules[0].STEPS[:1])
    monkeypatch.setattr(proofs, "import_present", lambda names: ([*modules, again], []))
    first = modules[0].STEPS[0]
    with pytest.raises(ValueError, match=f"duplicate proof steps.*{re.escape(first.name)}"):
        proofs.steps()
