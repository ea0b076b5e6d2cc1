"""The online games the DWMGrad proof's trajectory checks run: online least squares (exact
BVLS comparator, gradient bound) and the published algorithm's gap instances."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from experiments.problems import make_problem
from experiments.problems.online import OnlineLeastSquares
from experiments.problems.paper_gaps import PaperGapGame
from experiments.runner import run_spec
from experiments.spec import RunSpec
from theory.dwmgrad import PAPER_ALGORITHM_GAPS


@pytest.mark.parametrize("horizon", [1, 7, 300])     # up to 2d rows: BVLS on the rows; then R
def test_least_squares_comparator_matches_cvxpy(horizon: int) -> None:
    cp = pytest.importorskip("cvxpy")
    problem = make_problem("online_least_squares", (2,), {"d": 3})
    assert isinstance(problem, OnlineLeastSquares)
    c, b = (v[0].numpy() for v in problem._sequence(torch.arange(1, horizon + 1)))
    x = cp.Variable(3)
    reference = cp.Problem(cp.Minimize(cp.sum_squares(c @ x - b) / 2), [x >= -1, x <= 1])
    reference.solve(solver="CLARABEL")
    best, value = problem.comparator(horizon)
    assert float(value[0]) == pytest.approx(reference.value, rel=1e-7, abs=1e-9)
    assert float(best.abs().max()) <= 1.0
    assert problem.comparator_prefix(horizon)[0, -1] == float(value[0])


def test_least_squares_gradient_bound_holds_and_is_nearly_attained() -> None:
    problem = make_problem("online_least_squares", (0, 1), {"d": 4})
    x = problem.x0()
    largest = 0.0
    for t in range(1, 400):
        corners = -torch.sign(problem.target)          # the corner farthest from the target
        for point in (x.uniform_(-1.0, 1.0), corners):
            largest = max(largest, float(problem.grad(point, t).abs().max()))
    assert largest <= problem.G_inf
    assert largest >= 0.7 * problem.G_inf


def test_gap_games_replay_the_theory_sequences_and_only_projected_ones_have_a_box() -> None:
    for gap in PAPER_ALGORITHM_GAPS:
        game = make_problem("dwmgrad_paper_gap", (0,), {"gap": gap.name})
        assert isinstance(game, PaperGapGame)
        steps = torch.arange(1, 1500)
        np.testing.assert_array_equal(game.coefficients(steps)[0, :, 0].numpy(),
                                      gap.gradients(1499))
        assert (game.box is not None) == gap.projected
    with pytest.raises(ValueError, match="nonsense"):
        make_problem("dwmgrad_paper_gap", (0,), {"gap": "nonsense"})


def test_unprojected_gap_game_is_never_clamped_and_has_no_comparator() -> None:
    (gap,) = [g for g in PAPER_ALGORITHM_GAPS if not g.projected]
    spec = RunSpec(experiment="t", problem="dwmgrad_paper_gap", problem_params={"gap": gap.name},
                   optimizer="SGD", hyperparameters={"lr": 1.0}, seeds=(0,), horizon=5,
                   record=("x",))
    x = run_spec(spec).vector("x")[0, :, 0]
    np.testing.assert_array_equal(x, -np.cumsum(np.r_[0.0, gap.gradients(4)]))  # leaves [-1, 1]
    game = make_problem("dwmgrad_paper_gap", (0,), {"gap": gap.name})
    with pytest.raises(ValueError, match="no box"):
        game.comparator_prefix(3)
