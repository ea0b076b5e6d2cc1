"""The cost model: Θ(n·d) constants, and its sync with the optimizers' for-loop code."""

from __future__ import annotations

import json

import pytest
import sympy as sp
import torch

import dwmgrad.dwmgrad as dwmgrad_module
from proofs_check import cost_model as checks
from theory import cost_model as cm


@pytest.mark.parametrize("step", checks.STEPS, ids=lambda s: s.name)
def test_every_step_is_verified(step: checks.ProofStep) -> None:
    result = step.check()
    assert (result.proof, result.step) == (step.proof, step.name)
    assert result.status == "verified", (result.detail, result.counterexample)


def test_every_package_optimizer_and_adam_have_a_model() -> None:
    import dwmgrad

    assert {m.optimizer for m in cm.MODELS.values()} == set(dwmgrad.OPTIMIZERS) | {"Adam"}
    assert len({b.name for b in cm.BOUNDS}) == len(cm.MODELS)


def test_analysed_dwmgrad_costs_two_passes_and_one_state_tensor_more() -> None:
    """÷α_t (a tensor: 2 streams; a constant α is addcdiv's value=) and ŝ = max(ŝ, s)."""
    from theory.dwmgrad import ANALYSED_OPTIONS

    paper, analysed = cm.MODELS["DWMGrad"], cm.MODELS["DWMGrad (analysed)"]
    assert analysed.options == ANALYSED_OPTIONS
    assert analysed.kernel_passes == paper.kernel_passes + 2
    assert analysed.streams == paper.streams + 2 + 3
    assert len(analysed.state) == len(paper.state) + 1


def test_dwmgrad_constants() -> None:
    model = cm.MODELS["DWMGrad"]
    assert model.flops == 11 and model.kernel_passes == 7
    assert model.bytes_per_param(4) == 72  # 18 streams of float32
    assert model.state_bytes_per_param(4) == 8  # s and v
    assert model.minimal_streams == 7  # read g, s, v, θ; write s, v, θ
    bound = next(b for b in cm.BOUNDS if b.name == "cost_DWMGrad")
    assert bound.evaluate(n=10, d=1000) == 10 * (11 * 1000 + 26)


def test_aida_elementwise_cost_does_not_grow_with_k() -> None:
    """The code projects in closed form: three inner products for every K >= 1, none for
    K = 0; only the 0-d work per tensor grows with K. (For K >= 1 the for-loop path computes
    m_t twice, 3 flops: once for the inner products, once to store it.)"""
    model = cm.MODELS["Aida"]
    flops = [model.flops.subs(cm.K, k) for k in range(5)]
    assert flops[0] == 13 and flops[1:] == [24] * 4
    assert model.expression_flops == 22  # 3 inner products whatever K
    scalar = [model.scalar_ops.subs({cm.K: k, cm.P: 1}) for k in range(4)]
    assert scalar == [10, 14, 26, 38]


def test_total_cost_is_linear_in_n_and_d() -> None:
    for model in cm.MODELS.values():
        total = model.total_time
        assert sp.diff(total, cm.n, 2) == 0 and sp.diff(total, cm.d, 2) == 0
        assert sp.expand(sp.diff(total, cm.n, cm.d) - model.flops) == 0


def test_elementwise_op_counts() -> None:
    assert cm.elementwise_ops(cm.g**2 / cm.omega) == 2
    assert cm.elementwise_ops(cm.m / (sp.sqrt(cm.s) + cm.eps)) == 3
    assert cm.elementwise_ops(cm.alpha / (1 - cm.beta1**cm.t)) == 0


def test_unknown_kernel_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="aten.cumsum"):
        cm.kernel_flops("aten.cumsum.default", False)


def test_describe_is_json() -> None:
    rows = [model.describe() for model in cm.MODELS.values()]
    assert json.loads(json.dumps(rows))[0]["optimizer"] == "DWMGrad"


def test_an_unmodelled_change_to_the_update_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extra pass in DWMGrad's for-loop update makes the counts disagree with the model."""
    original = dwmgrad_module.dwmgrad_tensor_step

    def with_extra_pass(p, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(p, *args, **kwargs)
        p.mul_(1.0)

    monkeypatch.setattr(dwmgrad_module, "dwmgrad_tensor_step", with_extra_pass)
    counter, _, _ = checks.count_step("DWMGrad", 1)
    assert dict(counter.passes) != cm.MODELS["DWMGrad"].pass_counts()
    assert counter.passes[("aten.mul_.Tensor", 1, 1, False)] == 2


def test_state_in_float32_is_half_of_float64() -> None:
    _, opt32, params32 = checks.count_step("AdamAHB", 1, torch.float32)
    state = opt32.state[params32[0]]
    per_param = sum(x.element_size() for x in state.values() if x.numel() == params32[0].numel())
    assert per_param == cm.MODELS["AdamAHB"].state_bytes_per_param(4) == 16


def test_derivation_refers_to_existing_steps() -> None:
    names = {s.name for s in checks.STEPS}
    (derivation,) = cm.DERIVATIONS
    assert set(derivation.steps) == names
    assert set(derivation.bounds) == {b.name for b in cm.BOUNDS}
