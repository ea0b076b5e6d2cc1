"""The periodic online family (counterexample search) and the centred quadratic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from experiments.problems import PROBLEMS, make_problem, periodic
from experiments.problems.quadratic import CentredQuadratic

MIXED = [
    periodic.reddi_theorem1(3.0, offset=-2.0),
    {"phases": [[0.5, 0.3, 1.0], [0.0, -0.9, -3.0]], "x0": 0.2},
    {"phases": [[2.0, -0.5, 0.0], [0.1, 0.4, 0.5], [0.0, 1.0, -1.0], [0.3, -1.0, 2.0]],
     "x0": -1.0},
]


def test_registered() -> None:
    assert PROBLEMS["periodic_online"] is periodic.PeriodicOnline
    assert PROBLEMS["quadratic_centred"] is CentredQuadratic


def test_comparator_prefix_is_the_minimum_over_the_box() -> None:
    """Closed-form prefix minimum vs a brute-force minimum over a fine grid of the box."""
    problem = make_problem("periodic_online", (0, 1, 2), {"sequences": MIXED})
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


def test_reddi_member_and_seed_indexed_sequences() -> None:
    problem = make_problem("periodic_online", (0,), {"sequence": periodic.reddi_theorem1(3.0)})
    x = torch.tensor([[0.5]], dtype=torch.float64)
    grads = [float(problem.grad(x, t)) for t in range(1, 7)]
    assert grads == [3.0, -1.0, -1.0, 3.0, -1.0, -1.0]
    # comparator after 3k steps: sum = k (3 - 2) x, minimised at x = -1
    np.testing.assert_allclose(problem.comparator_prefix(6)[0, [2, 5]], [-1.0, -2.0])
    # seed s plays sequences[s], whatever else is in the batch
    alone = make_problem("periodic_online", (2,), {"sequences": MIXED})
    batched = make_problem("periodic_online", (0, 2), {"sequences": MIXED})
    z = torch.tensor([[0.3], [0.3]], dtype=torch.float64)
    for t in (1, 2, 3, 4, 5):
        assert float(alone.loss(z[:1], t)) == float(batched.loss(z, t)[1])
    assert periodic.gradient_bound(MIXED[2]) == 2.5


@pytest.mark.parametrize("bad, match", [
    ({"phases": [], "x0": 0.0}, "phases"),
    ({"phases": [[0, 1]], "x0": 0.0}, "phase"),
    ({"phases": [[-1, 1, 0]], "x0": 0.0}, "phase"),
    ({"phases": [[0, float("nan"), 0]], "x0": 0.0}, "phase"),
    ({"phases": [[0, 1, 0]], "x0": 2.0}, "x0"),
    ({"phases": [[0, 1, 0]]}, "sequence"),
])
def test_invalid_sequences_are_rejected(bad: dict, match: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid {match}"):
        periodic.validate_sequence(bad)


def test_exactly_one_of_sequence_or_sequences() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        make_problem("periodic_online", (0,), {})
    with pytest.raises(ValueError, match="Invalid sequences"):
        make_problem("periodic_online", (5,), {"sequences": MIXED})


def test_centred_quadratic_has_zero_minimiser() -> None:
    problem = make_problem("quadratic_centred", (0, 1), {"d": 5, "L": 100.0})
    assert problem.x_star is not None
    assert torch.count_nonzero(problem.x_star) == 0
    x0 = problem.x0()
    torch.testing.assert_close(x0.norm(dim=1), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(problem.grad(torch.zeros_like(x0)), torch.zeros_like(x0))
