"""The minimax lower bound's step: exact E|S_T|, verified as registered, a larger constant
rejected (the mutant that doubles it is false and caught; halving it stays true)."""

from __future__ import annotations

import math

import pytest

import theory.online as on
from proofs_check import mutants as mt
from proofs_check.online_lower import STEPS, expected_abs_sum


@pytest.mark.parametrize(("T", "exact"), [(1, 1.0), (2, 1.0), (3, 1.5), (4, 1.5), (5, 1.875)])
def test_expected_abs_sum_is_exact(T: int, exact: float) -> None:
    assert expected_abs_sum(T) == pytest.approx(exact, rel=1e-12)


def test_expected_abs_sum_tends_to_sqrt_2t_over_pi() -> None:
    assert expected_abs_sum(4000) == pytest.approx(math.sqrt(2 * 4000 / math.pi), rel=1e-3)


def test_the_registered_lower_bound_is_verified_and_tight_at_t_2() -> None:
    (result,) = [s.check() for s in STEPS]
    assert result.status == "verified" and result.instances >= 1000
    assert result.worst_slack == pytest.approx(0.0, abs=1e-12)  # Szarek's equality at T = 2


@pytest.mark.parametrize(("operator", "truth", "caught"), [("double", "false", True),
                                                           ("halve", "still true", False)])
def test_a_wrong_constant_is_rejected(operator: str, truth: str, caught: bool) -> None:
    (_, _, expr), = [site for site in mt.sites(on.MINIMAX_LOWER) if site[0] == operator]
    mutant = mt.Mutant("theory.online", "proofs_check.online_lower", "MINIMAX_LOWER", operator,
                       "", expr)
    outcome = mt.run_mutant(mutant)
    assert (outcome.truth, outcome.caught) == (truth, caught), outcome
