"""The problem suite: gradients vs autograd, optima vs independent solutions, comparators."""

from __future__ import annotations

import math
from typing import Any

import cvxpy as cp
import numpy as np
import pytest
import torch

from experiments.problems import PROBLEMS, make_problem, solvers
from experiments.problems.online import RandomOnlineQuadratic, _Online
from experiments.problems.regression import breast_cancer, logistic_value_and_grad
from experiments.runner import run_spec
from experiments.spec import RunSpec

SMALL: dict[str, dict[str, Any]] = {        # keep the common tests fast
    "quadratic_deep": {"d": 20, "batch_size": 8},
    "digits_mlp": {"hidden": 4, "batch_size": 16},
    "least_squares": {"n": 30, "d": 6},
    "metamorphic": {"base": "online_quadratic", "base_params": {"d": 3},
                    "transforms": [{"kind": k, "value": v} for k, v in (
                        ("identity", 0.0), ("offset", 2.0), ("round_offset", 3.0), ("scale", 4.0),
                        ("permute", 0.0), ("reflect", 0.0), ("scale", 0.5), ("offset", -1.0),
                        ("permute", 0.0), ("reflect", 0.0))]},
    "periodic_online": {"sequence": {"phases": [[0.5, 0.3, 1.0], [0.0, -0.9, -3.0]],
                                     "x0": 0.2}},
}
SEEDS = (0, 5, 9)


def _problem(name: str, seeds: tuple[int, ...] = SEEDS, **kw: Any):  # type: ignore[no-untyped-def]
    return make_problem(name, seeds, SMALL.get(name, {}), **kw)


def _probe_point(problem: Any) -> torch.Tensor:
    """x0 moved off the kinks and corners by a seeded perturbation."""
    gen = torch.Generator().manual_seed(1)
    x = problem.x0() + 0.05 * torch.randn(problem.x0().shape, generator=gen, dtype=torch.float64)
    if problem.NAME == "lessard":
        x = x + 0.013
    return x


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_grad_matches_autograd_in_float64(name: str) -> None:
    problem = _problem(name)
    x = _probe_point(problem)
    for t in (1, 2, 7):
        leaf = x.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(problem.loss(leaf, t).sum(), leaf)
        got = problem.grad(x, t)
        assert got.shape == x.shape == (len(SEEDS), problem.dim)
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
        loss, grad = problem.loss_and_grad(x, t)
        torch.testing.assert_close(loss, problem.loss(x, t), rtol=0, atol=0)
        torch.testing.assert_close(grad, got, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_loss_and_grad_are_loss_and_grad_bit_for_bit(name: str) -> None:
    """The runner calls loss_and_grad: it must give exactly loss and grad (same floats)."""
    problem = _problem(name)
    x = _probe_point(problem)
    for t in (1, 2, 7, 1025, 2049):
        loss, grad = problem.loss_and_grad(x, t)
        assert torch.equal(loss, problem.loss(x, t)) and torch.equal(grad, problem.grad(x, t))


class _LossPlusOne(RandomOnlineQuadratic):
    """Redefines the loss of a problem with a shared loss-and-gradient computation."""

    NAME = "loss_plus_one"

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return super().loss(x, t) + 1


def test_a_redefined_loss_is_what_loss_and_grad_gives() -> None:
    """A subclass that redefines loss (as tests and plugins do) without loss_and_grad gets the
    default loss_and_grad, so the runner sees its loss; the gradient is still the parent's."""
    problem = _LossPlusOne((0, 1))
    parent = RandomOnlineQuadratic((0, 1))
    x = parent.x0() + 0.3
    loss, grad = problem.loss_and_grad(x, 3)
    assert torch.equal(loss, parent.loss(x, 3) + 1) and torch.equal(grad, parent.grad(x, 3))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_instances_do_not_depend_on_the_batch(name: str) -> None:
    batched = _problem(name)
    x = _probe_point(batched)
    for row, seed in enumerate(SEEDS):
        alone = _problem(name, (seed,))
        torch.testing.assert_close(alone.x0(), batched.x0()[row:row + 1], rtol=0, atol=0)
        torch.testing.assert_close(alone.loss(x[row:row + 1], 3), batched.loss(x, 3)[row:row + 1],
                                   rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "reddi_theorem1", "digits_mlp"])
def test_dtype_is_honoured(name: str) -> None:
    problem = _problem(name, dtype="float32")
    x = problem.x0()
    assert x.dtype == torch.float32 and problem.loss_and_grad(x, 1)[1].dtype == torch.float32


def test_spectrum_quadratic_has_the_prescribed_spectrum() -> None:
    problem = make_problem("quadratic", (4,), {"d": 8, "mu": 0.5, "L": 50.0, "spacing": "log"})
    eig = torch.linalg.eigvalsh(problem.M[0])
    np.testing.assert_allclose(eig.numpy(), np.geomspace(0.5, 50.0, 8), rtol=1e-12)
    assert problem.grad(problem.x_star, None).abs().max() < 1e-12
    diagonal = make_problem("quadratic", (4,), {"d": 8, "mu": 0.5, "L": 50.0, "rotate": False})
    assert diagonal.M.shape == (8,)
    with pytest.raises(ValueError, match="mu"):
        make_problem("quadratic", (0,), {"mu": 5.0, "L": 1.0})


def test_deepobs_quadratic_recipe() -> None:
    problem = make_problem("quadratic_deep", (2,), {"d": 100, "batch_size": 128})
    eig = torch.linalg.eigvalsh(problem.M[0])
    assert int(((eig > 0) & (eig < 1)).sum()) == 90 and int(((eig > 30) & (eig < 60)).sum()) == 10
    torch.testing.assert_close(problem.x0(), torch.ones(1, 100, dtype=torch.float64))
    zero = torch.zeros(1, 100, dtype=torch.float64)
    noisy = torch.stack([problem.loss(zero, t) for t in range(1, 41)]).mean()
    assert problem.f_star is not None
    assert abs(float(noisy / problem.f_star[0]) - 1) < 0.02      # E loss at x* = ½σ² tr Q


def test_least_squares_cvxpy_matches_closed_form() -> None:
    problem = make_problem("least_squares", (0, 1), {"n": 40, "d": 8})
    for info in problem.solver_info["per_seed"]:
        assert info["solver"] == "CLARABEL" and info["status"] == "optimal"
        assert info["abs_difference"] < 1e-9
    assert problem.grad(problem.x_star).abs().max() < 1e-12
    assert problem.mu is not None and problem.L is not None and 0 < problem.mu < problem.L


def test_logistic_optimum_agrees_with_sklearn() -> None:
    problem = make_problem("logistic", (0,))
    info = problem.solver_info
    assert info["status"] == "optimal" and info["solver"] == "CLARABEL"
    assert info["abs_difference_sklearn"] < 1e-9
    assert info["grad_norm_at_x_star"] < 1e-6
    features, labels = breast_cancer()
    assert features.shape == (569, 30) and set(np.unique(labels)) == {-1.0, 1.0}
    value, _ = logistic_value_and_grad(problem.x_star[0].numpy(), features, labels, 1e-3)
    assert problem.f_star is not None
    assert value == pytest.approx(float(problem.f_star[0]), abs=1e-15)
    assert float(problem.loss(problem.x_star)[0]) == pytest.approx(value, rel=1e-12)


def test_solver_fallback_and_double_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers, "SOLVERS", (("NOT_A_SOLVER", {}), solvers.SOLVERS[1]))
    fallback = make_problem("least_squares", (3,), {"n": 20, "d": 4}).solver_info["per_seed"][0]
    assert fallback["solver"] == "SCS" and fallback["attempts"][0]["status"] == "error"
    assert fallback["abs_difference"] < 1e-6
    monkeypatch.setattr(solvers, "SOLVERS", (("NOT_A_SOLVER", {}), ("SCS", {"max_iters": 2})))
    problem = make_problem("logistic", (0,), {"lam": 0.0123})        # uncached λ
    assert problem.x_star is None and problem.f_star is None
    assert "no solver reached an optimal solution" in problem.solver_info["reason"]
    spec = RunSpec(experiment="unit", problem="logistic", optimizer="SGD", horizon=5, seeds=(0,),
                   problem_params={"lam": 0.0123}, hyperparameters={"lr": 0.1},
                   record=("dist",))
    record = run_spec(spec)                                           # no crash: inconclusive
    assert record.status == "ok" and record.info["f_star"] is None
    assert np.all(np.isnan(record.extras["dist"]))


def test_nesterov_constructions() -> None:
    convex = make_problem("nesterov_worst_case", (0,), {"variant": "convex", "d": 30, "k": 21})
    assert convex.x_star is not None and convex.f_star is not None
    assert float(convex.f_star[0]) == pytest.approx(1.0 / 8 * (-1 + 1 / 22), rel=1e-15)
    assert convex.grad(convex.x_star).abs().max() < 1e-15
    assert float(convex.loss(convex.x0())[0]) == pytest.approx(0.0, abs=1e-16)
    kappa = 100.0
    strong = make_problem("nesterov_worst_case", (0,),
                          {"variant": "strongly_convex", "d": 200, "L": 1.0, "mu": 1 / kappa})
    q = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    assert strong.x_star is not None
    np.testing.assert_allclose(strong.x_star[0, :20].numpy(), q ** np.arange(1, 21), rtol=1e-9)
    assert torch.linalg.eigvalsh(strong.M).max() <= 1.0


def test_rosenbrock_and_lessard_constants() -> None:
    rosen = make_problem("rosenbrock", (0,), {"start": "standard"})
    torch.testing.assert_close(rosen.x0(), torch.tensor([[-1.2, 1.0]], dtype=torch.float64))
    assert rosen.x_star is not None and float(rosen.loss(rosen.x_star)[0]) == 0.0
    assert make_problem("rosenbrock", (0,)).x0().tolist() == [[1.0, 2.0]]
    lessard = make_problem("lessard", (0,))
    x = torch.tensor([[0.5], [1.5], [2.5]], dtype=torch.float64)
    torch.testing.assert_close(make_problem("lessard", (0, 1, 2)).loss(x),
                               torch.tensor([3.125, 25.125, 54.125], dtype=torch.float64))
    assert (lessard.L, lessard.mu) == (25.0, 1.0)


def _heavy_ball_on_lessard(x0: float) -> np.ndarray:
    spec = RunSpec(experiment="unit", problem="lessard", optimizer="HeavyBall", horizon=600,
                   seeds=(0,), problem_params={"x0": x0},
                   hyperparameters={"lr": 1 / 9, "momentum": 4 / 9}, record=("x",))
    return run_spec(spec).extras["x[0]"][0]


def test_lessard_heavy_ball_three_cycle() -> None:
    tail = _heavy_ball_on_lessard(3.3)[-3:]
    cycle = sorted([0.6465, -1.8024, 2.1159])
    np.testing.assert_allclose(sorted(tail), cycle, atol=1e-3)
    assert abs(_heavy_ball_on_lessard(3.0)[-1]) < 1e-8


def _cvxpy_comparator(problem: _Online, horizon: int) -> float:
    x = cp.Variable(problem.dim)
    lo, hi = problem.box
    if hasattr(problem, "quad_coefficients"):
        a, b = (v[0].numpy() for v in problem.quad_coefficients(torch.arange(1, horizon + 1)))
        objective = 0.5 * cp.sum(cp.multiply(a, cp.square(x[None, :] - b)))
    else:
        c = problem.coefficients(torch.arange(1, horizon + 1))[0].numpy()
        objective = cp.sum(c @ x)
    prob = cp.Problem(cp.Minimize(objective), [x >= lo, x <= hi])
    prob.solve(solver="CLARABEL")
    return float(prob.value)


@pytest.mark.parametrize("name", ["online_linear", "online_quadratic", "reddi_theorem1",
                                  "reddi_online", "reddi_stochastic"])
def test_online_comparator_closed_form_matches_cvxpy(name: str) -> None:
    problem = make_problem(name, (4,), {"d": 3} if name.startswith("online") else {})
    assert isinstance(problem, _Online)
    prefix = problem.comparator_prefix(250)
    assert prefix.shape == (1, 250)
    for horizon in (1, 37, 250):
        assert prefix[0, horizon - 1] == pytest.approx(_cvxpy_comparator(problem, horizon),
                                                       rel=1e-7, abs=1e-7)
    info = problem.info()
    assert (info["G_inf"], info["D_inf"]) == (problem.G_inf, problem.box[1] - problem.box[0])
    x = problem.x0()
    for t in range(1, 60):       # the gradient bound G∞ holds on the box
        assert float(problem.grad(x.uniform_(*problem.box), t).abs().max()) <= problem.G_inf


def test_reddi_stochastic_frequency() -> None:
    problem = make_problem("reddi_stochastic", (0, 1))
    c = problem.coefficients(torch.arange(1, 40_001))
    frequency = (c == 1010.0).double().mean(dim=(1, 2))
    assert torch.all((frequency > 0.0085) & (frequency < 0.0115))
    assert not torch.equal(c[0], c[1])


def test_describe_problems_lists_every_problem() -> None:
    from experiments.problems import describe_problems

    rows = describe_problems()
    assert [r["name"] for r in rows] == sorted(PROBLEMS)
    online = {r["name"] for r in rows if r["kind"] == "online"}
    assert {"reddi_theorem1", "online_quadratic"} <= online and "quadratic" not in online
    assert all(r["summary"] for r in rows)


def test_block_sign_game_flips_sign_keeps_losses_decreasing_and_its_comparator_is_exact(
) -> None:
    game = make_problem("online_block_sign", (0,), {"d": 2, "half_period": 3})
    x = torch.tensor([[0.7, -0.2]], dtype=torch.float64)
    signs = [float(game.grad(x, t)[0, 0]) for t in range(1, 13)]
    assert signs == [1.0] * 3 + [-1.0] * 3 + [1.0] * 3 + [-1.0] * 3
    # Any two points of the box: f_t(x_t) > f_{t+1}(x_{t+1}) (the window never shrinks).
    corners = [torch.tensor([[a, b]], dtype=torch.float64) for a in (-1.0, 1.0)
               for b in (-1.0, 1.0)]
    for t in range(1, 12):
        worst = max(float(game.loss(c, t + 1)) for c in corners)
        assert worst < min(float(game.loss(c, t)) for c in corners)
    _, value = game.comparator(7)
    brute = min(sum(float(game.loss(c, t)) for t in range(1, 8)) for c in corners)
    assert float(value[0]) == pytest.approx(brute, rel=1e-12)
    with pytest.raises(ValueError, match="half_period"):
        make_problem("online_block_sign", (0,), {"half_period": 0})
