"""The foreach and fused paths equal the for-loop reference (torch's
``test_foreach_matches_forloop`` pattern), for every optimizer: 7 steps in float64,
parameters and the whole optimizer state compared, on a model with a zero-size parameter and
one gradient set to None at one step (that parameter must then be left untouched, state
included). The fused (compiled) cases are in the slow suite.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from optimizer_cases import (
    OPTIMIZERS,
    ElementwiseProblem,
    assert_states_close,
    case_id,
    optimizer_cases,
    run_torch,
    slow_if_fused,
    state_snapshot,
    take_step,
)

STEPS = 7
SHAPES = [(3, 4), (0,), (5,), (2, 0, 3), (2, 2, 2)]
NONE_GRAD_STEP, NONE_GRAD_PARAM = 3, 2
RTOL, ATOL = 1e-12, 1e-14
LOSSES = (2.0, 1.0, 1.5, -0.5, 3.0, 2.5, 2.5)  # grows and shrinks the window under every rule


def drop_one_grad(params: list[torch.Tensor], t: int) -> None:
    if t == NONE_GRAD_STEP:
        params[NONE_GRAD_PARAM].grad = None


def run(name: str, path: str, overrides: dict[str, Any]
        ) -> tuple[list[torch.Tensor], torch.optim.Optimizer]:
    problem = ElementwiseProblem(SHAPES, STEPS, seed=11)
    return run_torch(problem, name, path, overrides, STEPS, losses=LOSSES,
                     grad_hook=drop_one_grad)


@pytest.mark.parametrize("case", optimizer_cases(paths=("foreach", "fused")), ids=case_id)
def test_path_matches_forloop(case: tuple[str, str, dict[str, Any]]) -> None:
    name, path, overrides = case
    ref_params, ref_opt = run(name, "forloop", overrides)
    params, opt = run(name, path, overrides)
    for p, ref in zip(params, ref_params, strict=True):
        torch.testing.assert_close(p, ref, rtol=RTOL, atol=ATOL)
    assert_states_close(state_snapshot(opt), state_snapshot(ref_opt), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", optimizer_cases(), ids=case_id)
def test_none_grad_leaves_parameter_and_state_alone(case: tuple[str, str, dict[str, Any]]) -> None:
    name, path, overrides = case
    problem = ElementwiseProblem(SHAPES, STEPS, seed=11)
    params, opt = run_torch(problem, name, path, overrides, NONE_GRAD_STEP, losses=LOSSES)
    frozen = params[NONE_GRAD_PARAM]
    value = frozen.detach().clone()
    state = {k: v.clone() for k, v in opt.state[frozen].items() if isinstance(v, torch.Tensor)}
    problem.set_torch_grads(params, NONE_GRAD_STEP)
    frozen.grad = None
    take_step(opt, OPTIMIZERS[name], LOSSES[NONE_GRAD_STEP])
    assert torch.equal(frozen.detach(), value)
    for key, tensor in state.items():
        assert torch.equal(opt.state[frozen][key], tensor), key


ZERO_DIM_SHAPES = [(), (3,), ()]


@pytest.mark.parametrize("case", optimizer_cases(paths=("foreach", "fused")), ids=case_id)
def test_zero_dim_parameters_match_forloop(case: tuple[str, str, dict[str, Any]]) -> None:
    """0-d parameters (a scalar bias, a temperature) take the same steps on every path.
    (Found the fused path leaving 0-d float64 parameters unchanged, since fixed: inductor drops
    in-place updates of 0-d float64 CPU inputs.)"""
    name, path, overrides = case
    problem = ElementwiseProblem(ZERO_DIM_SHAPES, STEPS, seed=17)
    ref_params, ref_opt = run_torch(problem, name, "forloop", overrides, STEPS, losses=LOSSES)
    params, opt = run_torch(problem, name, path, overrides, STEPS, losses=LOSSES)
    for p, ref, init in zip(params, ref_params, problem.init, strict=True):
        assert not torch.equal(ref.detach(), torch.from_numpy(init))
        torch.testing.assert_close(p, ref, rtol=RTOL, atol=ATOL)
    assert_states_close(state_snapshot(opt), state_snapshot(ref_opt), rtol=RTOL, atol=ATOL)


FLOAT32_CASES = [slow_if_fused(name, path) for name, info in sorted(OPTIMIZERS.items())
                 for path in info.paths if path != "forloop"]


@pytest.mark.parametrize(("name", "path"), FLOAT32_CASES)
def test_path_matches_forloop_in_float32(name: str, path: str) -> None:
    """The dtype training uses (and the benchmark times): same comparison in float32, where
    a different operation order (fusion, FMA) may change the last bits: rtol 1e-5 after 7
    steps."""
    problem = ElementwiseProblem(SHAPES, STEPS, seed=11)
    ref_params, ref_opt = run_torch(problem, name, "forloop", {}, STEPS, losses=LOSSES,
                                    dtype=torch.float32)
    params, opt = run_torch(problem, name, path, {}, STEPS, losses=LOSSES, dtype=torch.float32)
    for p, ref in zip(params, ref_params, strict=True):
        assert p.dtype == torch.float32
        torch.testing.assert_close(p, ref, rtol=1e-5, atol=1e-6)
    assert_states_close(state_snapshot(opt), state_snapshot(ref_opt), rtol=1e-5, atol=1e-6)
