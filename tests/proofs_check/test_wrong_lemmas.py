"""The four wrong lemmas of issue 10 are reported violated, with an instance that breaks them.

Each test replaces one registered object of :mod:`theory.dwmgrad` by the wrong expression (as
a referee's scratch copy did) and runs the proof step that uses it; the theorem is changed
together with the lemma where the issue did, so only the lemma's own check can catch it.
"""

from __future__ import annotations

import pytest
import sympy as sp

import proofs_check.dwmgrad_regret as proof
import theory.dwmgrad as th
from proofs_check.core import StepResult


def _violated(result: StepResult) -> None:
    assert result.status == "violated", result.detail
    assert result.counterexample, "a violated step names its instance"
    assert result.worst_slack < 0


def test_l2_without_sqrt_delta_is_violated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(th, "STEP_BOUND", th.alpha / sp.sqrt(th.t))
    _violated(proof.l2_normalised_step())


def test_l3_without_eps_is_violated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(th, "INV_STEP_BOUND", th.G_inf * sp.sqrt(th.t) / th.alpha)
    _violated(proof.l3_inverse_step_monotone())


def test_l8_halved_with_the_theorem_is_violated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(th, "REGRET_EXPR", th.REGRET_EXPR - th.d * th.DISTANCE_TERM / 2)
    monkeypatch.setattr(th, "DISTANCE_TERM", th.DISTANCE_TERM / 2)
    assert proof.theorem_assembly().status == "verified"  # the theorem still adds up
    _violated(proof.l8_telescoping())


def test_l9_without_one_over_one_minus_lambda_is_violated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = th.MOMENTUM_TERM * (1 - th.lam)
    monkeypatch.setattr(th, "REGRET_EXPR", th.REGRET_EXPR - th.d * (th.MOMENTUM_TERM - wrong))
    monkeypatch.setattr(th, "MOMENTUM_TERM", wrong)
    assert proof.theorem_assembly().status == "verified"
    _violated(proof.l9_momentum_term())


@pytest.mark.parametrize("step", [proof.l2_normalised_step, proof.l3_inverse_step_monotone,
                                  proof.l8_telescoping, proof.l9_momentum_term])
def test_the_registered_lemmas_are_verified(step: object) -> None:
    assert callable(step)
    assert step().status == "verified"
