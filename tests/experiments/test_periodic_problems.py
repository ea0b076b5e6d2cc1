"""The periodic online family (counterexample search) and the centred quadratic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from experiments.problems import PROBLEMS, make_problem, periodic
from experiments.problems.quadratic import CentredQuadratic


def test_registered() -> None:
    assert PROBLEMS["periodic_online"] is periodic.PeriodicOnline
    assert PROBLEMS["quadratic_centred"] is CentredQuadratic


def test_comparator_prefix_is_the_minimum_over_the_box() -> None:
    """Closed-form prefix minimum vs a brute-force minimum over a fine grid of the box."""
    problem = make_problem("periodic_online", (0, 1, 2, 3, 4, 5), {"space": "mixed"})
    assert isinstance(problem, periodic.PeriodicOnline)
    horizon = 40
    comp = problem.comparator_prefix(horizon)
    grid = torch.linspace(-1, 1, 20001, dtype=torch.float64)
    cumulative = torch.zeros(problem.batch, grid.numel(), dtype=torch.float64)
    for t in range(1, horizon + 1):
        abc = problem._coefficients(t)                                   # (B, 3)
        cumulative += (0.5 * abc[:, :1] * grid * grid + abc[:, 1:2] * grid + abc[:, 2:])
        brute = cumulative.min(dim=1).values.numpy()
        assert np.all(comp[:, t - 1] <= brute + 1e-9)
        np.testing.assert_allclose(comp[:, t - 1], brute, rtol=0, atol=1e-4 * t)


def test_reddi_member_and_candidates_are_deterministic() -> None:
    seq = periodic.reddi_theorem1(3.0)
    problem = make_problem("periodic_online", (0,), {"sequence": seq})
    x = torch.tensor([[0.5]], dtype=torch.float64)
    grads = [float(problem.grad(x, t)) for t in range(1, 7)]
    assert grads == [3.0, -1.0, -1.0, 3.0, -1.0, -1.0]
    # comparator after 3k steps: sum = k (3 - 2) x, minimised at x = -1
    np.testing.assert_allclose(problem.comparator_prefix(6)[0, [2, 5]], [-1.0, -2.0])
    assert periodic.candidate(7, "mixed") == periodic.candidate(7, "mixed")
    assert periodic.candidate(7, "linear") != periodic.candidate(8, "linear")


@pytest.mark.parametrize("bad, match", [
    ({"period": 0, "spikes": [0], "spike": [0, 1, 0], "rest": [0, -1, 0], "x0": 0.0}, "period"),
    ({"period": 3, "spikes": [3], "spike": [0, 1, 0], "rest": [0, -1, 0], "x0": 0.0}, "spikes"),
    ({"period": 3, "spikes": [0], "spike": [-1, 1, 0], "rest": [0, -1, 0], "x0": 0.0}, "spike"),
    ({"period": 3, "spikes": [0], "spike": [0, 1, 0], "rest": [0, -1, 0], "x0": 2.0}, "x0"),
])
def test_invalid_sequences_are_rejected(bad: dict, match: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {match}"):
        periodic.validate_sequence(bad)


def test_exactly_one_of_sequence_or_space() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        make_problem("periodic_online", (0,), {})


def test_centred_quadratic_has_zero_minimiser() -> None:
    problem = make_problem("quadratic_centred", (0, 1), {"d": 5, "L": 100.0})
    assert problem.x_star is not None
    assert torch.count_nonzero(problem.x_star) == 0
    x0 = problem.x0()
    torch.testing.assert_close(x0.norm(dim=1), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(problem.grad(torch.zeros_like(x0)), torch.zeros_like(x0))
