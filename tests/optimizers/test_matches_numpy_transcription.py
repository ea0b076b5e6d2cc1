"""Every optimizer equals a plain NumPy transcription of its rule from the spec.

20 steps in float64 on an elementwise problem (gradients depend on the iterate), with the loss
sequence ``LOSSES`` that makes DWMGrad's window grow, hit max_window, shrink and hit 1 (the
rules differ in which bound they reach; see ``optimizer_cases.LOSSES``). Parameters, the
named per-parameter state and DWMGrad's window are compared with rtol 1e-10.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy_transcriptions import RULES, STATE_KEYS
from optimizer_cases import (
    LOSSES,
    ElementwiseProblem,
    case_id,
    construct,
    optimizer_cases,
    run_torch,
)

from dwmgrad.registry import OPTIMIZERS

STEPS = 20
SHAPES = [(3, 4), (5,), (2, 1, 3)]
RTOL, ATOL = 1e-10, 1e-13
NOT_RULE_KWARGS = {"foreach", "fused", "per_instance"}


def test_every_registered_optimizer_has_a_transcription() -> None:
    assert set(OPTIMIZERS) == set(RULES)


@pytest.mark.parametrize("case", optimizer_cases(paths=("forloop",)), ids=case_id)
def test_matches_numpy_transcription(case: tuple[str, str, dict[str, Any]]) -> None:
    name, path, overrides = case
    info = OPTIMIZERS[name]
    kwargs = {k: v for k, v in {**info.example_kwargs, **overrides}.items()
              if k not in NOT_RULE_KWARGS}
    problem = ElementwiseProblem(SHAPES, STEPS, seed=7)

    ref_params = [x.copy() for x in problem.init]
    rule = RULES[name](ref_params, **kwargs)
    for t in range(STEPS):
        rule.step(ref_params, problem.grad_numpy(ref_params, t), LOSSES[t])

    params, opt = run_torch(problem, name, path, overrides, STEPS)
    for p, ref in zip(params, ref_params, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), ref, rtol=RTOL, atol=ATOL)

    keys = dict(STATE_KEYS[name])
    if kwargs.get("max_second_moment"):
        keys["s_hat"] = "s_hat"
    for i, p in enumerate(params):
        for key, attr in keys.items():
            np.testing.assert_allclose(opt.state[p][key].numpy(), getattr(rule, attr)[i],
                                       rtol=RTOL, atol=ATOL, err_msg=f"state {key} of param {i}")
    if name == "DWMGrad":
        assert float(opt.window) == rule.window
    if name in ("DWMGrad", "AdaptiveHB"):  # the contract makes momentum_now readable
        np.testing.assert_allclose(float(opt.momentum_now), rule.momentum_now, rtol=RTOL)


@pytest.mark.parametrize("rule", ["loss", "loss_decrease", "loss_increase"])
def test_dwmgrad_window_trajectory(rule: str) -> None:
    """The window after every step equals the transcription's (and the loss sequence makes it
    both grow and shrink)."""
    info = OPTIMIZERS["DWMGrad"]
    problem = ElementwiseProblem(SHAPES, STEPS, seed=3)
    params = problem.torch_params()
    opt = construct(info.name, params, window_rule=rule)
    ref_params = [x.copy() for x in problem.init]
    ref = RULES["DWMGrad"](ref_params, window_rule=rule)
    observed, expected = [], []
    for t in range(STEPS):
        problem.set_torch_grads(params, t)
        opt.step(loss=LOSSES[t])
        ref.step(ref_params, problem.grad_numpy(ref_params, t), LOSSES[t])
        observed.append(float(opt.window))  # type: ignore[attr-defined]
        expected.append(ref.window)
    assert observed == expected
    diffs = np.diff([5.0, *expected])
    assert (diffs > 0).any() and (diffs < 0).any()


def test_dwmgrad_global_state_follows_the_transcription() -> None:
    """Contract: opt.state["global"] holds 0-d tensors step, window, prev_loss, momentum_now
    (μ_t) and nonfinite_losses, equal to the rule's t, ω_t, ℓ_t, μ_t and 0 after every step."""
    problem = ElementwiseProblem(SHAPES, STEPS, seed=5)
    params = problem.torch_params()
    kwargs = {"window_rule": "loss_decrease", "momentum_decay": 0.95}
    opt = construct("DWMGrad", params, **kwargs)
    ref_params = [x.copy() for x in problem.init]
    ref = RULES["DWMGrad"](ref_params, **kwargs)
    for t in range(STEPS):
        problem.set_torch_grads(params, t)
        opt.step(loss=LOSSES[t])
        ref.step(ref_params, problem.grad_numpy(ref_params, t), LOSSES[t])
        state = opt.state["global"]
        assert set(state) == {"step", "window", "prev_loss", "momentum_now", "nonfinite_losses"}
        assert all(value.dim() == 0 for value in state.values())
        assert float(state["step"]) == t + 1
        assert float(state["window"]) == ref.window
        assert float(state["prev_loss"]) == LOSSES[t]
        assert float(state["nonfinite_losses"]) == 0
        np.testing.assert_allclose(float(state["momentum_now"]), ref.momentum_now, rtol=1e-12)
