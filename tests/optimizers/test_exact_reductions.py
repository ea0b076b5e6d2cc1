"""Exact reductions stated in the spec (algorithms.md §1, §3, §4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy_transcriptions import demon_beta
from optimizer_cases import LOSSES, ElementwiseProblem, construct

from dwmgrad.demon import demon_beta as dwmgrad_demon_beta

SHAPES = [(4, 3), (6,)]


@pytest.mark.parametrize("delta", [1, 2, 10])
def test_dwmgrad_with_full_window_is_rmsprop(delta: int) -> None:
    """§1: init_window = max_window = δ and a positive loss give
    RMSprop(lr=α, alpha=1-1/δ, eps=ε, momentum=γ) exactly in real arithmetic (DWMGrad's v is
    α times RMSprop's buffer). The two round differently ((δ-1)/δ vs 1-1/δ, α inside vs outside
    the buffer), so 200 float64 steps on a contracting problem agree to rtol 1e-10."""
    steps, lr, eps, gamma = 200, 1e-2, 1e-8, 0.9
    problem = ElementwiseProblem(SHAPES, steps, seed=5)
    ours = problem.torch_params()
    theirs = problem.torch_params()
    opt = construct("DWMGrad", ours, lr=lr, momentum=gamma, eps=eps, init_window=delta,
                                    max_window=delta)
    rms = torch.optim.RMSprop(theirs, lr=lr, alpha=1 - 1 / delta, eps=eps, momentum=gamma,
                              centered=False, foreach=False)
    for t in range(steps):
        problem.set_torch_grads(ours, t)
        problem.set_torch_grads(theirs, t)
        opt.step(loss=1.0 + t)
        rms.step()
        assert float(opt.window) == delta  # type: ignore[attr-defined]
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(opt.state[p]["v"], lr * rms.state[q]["momentum_buffer"],
                                   rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(("init_window", "max_window"), [(5, 10), (1, 3), (1, 1), (7, 7)])
def test_dwmgrad_loss_rule_with_positive_losses_grows_window(init_window: int,
                                                             max_window: int) -> None:
    """§1: with window_rule="loss" and a positive loss, ω_t = min(ω_0 + t, δ)."""
    problem = ElementwiseProblem(SHAPES, 15, seed=1)
    params = problem.torch_params()
    opt = construct("DWMGrad", params, init_window=init_window, max_window=max_window,
                                    window_rule="loss")
    for t in range(15):
        problem.set_torch_grads(params, t)
        opt.step(loss=torch.tensor(1e-3 + abs(LOSSES[t])))
        assert float(opt.window) == min(init_window + t + 1, max_window)  # type: ignore[attr-defined]


def fixed_gradients(steps: int, seed: int) -> list[list[torch.Tensor]]:
    """A prescribed gradient sequence (an online linear problem f_t(θ) = <g_t, θ>), so two
    optimizers see the same gradients whatever their iterates."""
    gen = torch.Generator().manual_seed(seed)
    return [[torch.randn(s, generator=gen, dtype=torch.float64) * (1 + t % 3) for s in SHAPES]
            for t in range(steps)]


def test_aida_k0_is_adabelief_without_outer_eps() -> None:
    """§4: Aida with K = 0 is AdaBelief without the outer ε. Equivalent constructed: feed
    AdaBelief (same lr, betas, eps) and Aida(k=0) the same gradients; their m and s must be
    equal, and Aida's displacement must be AdaBelief's update with the outer ε removed,
    -(α/(1-β1^t)) m_t / (sqrt(s_t)/sqrt(1-β2^t)), computed from AdaBelief's own state."""
    lr, betas, eps, steps = 1e-2, (0.8, 0.99), 1e-6, 25
    grads = fixed_gradients(steps, seed=2)
    aida_params = [torch.zeros(s, dtype=torch.float64) for s in SHAPES]
    belief_params = [torch.zeros(s, dtype=torch.float64) for s in SHAPES]
    aida = construct("Aida", aida_params, lr=lr, betas=betas, eps=eps, k=0)
    belief = construct("AdaBelief", belief_params, lr=lr, betas=betas, eps=eps)
    for t in range(1, steps + 1):
        before = [p.clone() for p in aida_params]
        for p, q, g in zip(aida_params, belief_params, grads[t - 1], strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        aida.step()
        belief.step()
        for p, q, b in zip(aida_params, belief_params, before, strict=True):
            m, s = belief.state[q]["m"], belief.state[q]["s"]
            torch.testing.assert_close(aida.state[p]["m"], m, rtol=1e-14, atol=0)
            torch.testing.assert_close(aida.state[p]["s"], s, rtol=1e-14, atol=0)
            expected = -(lr / (1 - betas[0] ** t)) * m / (s.sqrt() / math.sqrt(1 - betas[1] ** t))
            torch.testing.assert_close(p - b, expected, rtol=1e-12, atol=1e-15)


def test_aida_k2_scales_residual_by_cos_squared() -> None:
    """§4: with K = 2, r = cos²θ (m - g), θ the angle between g and m in the tensor (ξ → 0).
    r² is read back from the state, r² = (s_t - β2 s_{t-1} - ε)/(1 - β2), and compared with
    cos⁴θ (m_t - g_t)² computed here from the gradients (m_t recomputed, cosθ from NumPy)."""
    b1, b2, eps, xi = 0.9, 0.5, 1e-8, 1e-30
    rng = np.random.default_rng(4)
    g1, g2 = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    param = torch.zeros(7, 3, dtype=torch.float64)
    opt = construct("Aida", [param], lr=1e-3, betas=(b1, b2), eps=eps, k=2, xi=xi)
    param.grad = torch.from_numpy(g1.copy())
    opt.step()
    s1 = opt.state[param]["s"].clone().numpy()
    param.grad = torch.from_numpy(g2.copy())
    opt.step()
    s2 = opt.state[param]["s"].numpy()

    m2 = b1 * (1 - b1) * g1 + (1 - b1) * g2
    cos = np.sum(g2 * m2) / (np.linalg.norm(g2) * np.linalg.norm(m2))
    assert 0.05 < cos**2 < 0.95  # a genuine angle, not the trivial parallel case
    r_squared = (s2 - b2 * s1 - eps) / (1 - b2)
    np.testing.assert_allclose(r_squared, cos**4 * (m2 - g2) ** 2, rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize(("fraction", "value"), [(0.0, 0.9), (0.25, 0.870968), (0.5, 0.818182),
                                                 (0.75, 0.692308), (1.0, 0.0)])
def test_demon_schedule_published_values(fraction: float, value: float) -> None:
    """§3: β_init = 0.9 gives 0.9, 0.870968, 0.818182, 0.692308, 0 at t/T = 0 ... 1, both in
    the transcription and in the package's schedule function (k as a float64 tensor)."""
    k = int(fraction * 100)
    assert round(demon_beta(k, 100, 0.9), 6) == value
    package_value = dwmgrad_demon_beta(torch.tensor(float(k), dtype=torch.float64), 100, 0.9)
    assert round(float(package_value), 6) == value


def test_demon_sgd_realised_betas() -> None:
    """DemonSGD's momentum, read off its velocity: with g ≠ 0, β_k = (v_k + η g_k) / v_{k-1}.
    T = 4, so steps k = 1..4 realise t/T = .25, .5, .75, 1 and β stays 0 afterwards."""
    lr, total = 0.1, 4
    param = torch.zeros(3, dtype=torch.float64)
    opt = construct("DemonSGD", [param], lr=lr, momentum=0.9, total_steps=total)
    grad = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    param.grad = grad.clone()
    opt.step()
    torch.testing.assert_close(opt.state[param]["v"], -lr * grad, rtol=0, atol=0)
    betas = []
    for _ in range(total + 2):
        v_prev = opt.state[param]["v"].clone()
        param.grad = grad.clone()
        opt.step()
        ratio = (opt.state[param]["v"] + lr * grad) / v_prev
        torch.testing.assert_close(ratio, ratio[0].expand(3), rtol=1e-12, atol=1e-15)
        betas.append(round(float(ratio[0]), 6))
    assert betas == [0.870968, 0.818182, 0.692308, 0.0, 0.0, 0.0]


def test_demon_adam_realised_betas() -> None:
    """DemonAdam's m ← g + β m: with g ≠ 0, β_k = (m_k - g_k) / m_{k-1}; T = 4."""
    total = 4
    param = torch.zeros(3, dtype=torch.float64)
    opt = construct("DemonAdam", [param], lr=1e-3, total_steps=total)
    grad = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    param.grad = grad.clone()
    opt.step()
    torch.testing.assert_close(opt.state[param]["m"], grad, rtol=0, atol=0)
    betas = []
    for _ in range(total):
        m_prev = opt.state[param]["m"].clone()
        param.grad = grad.clone()
        opt.step()
        betas.append(round(float(((opt.state[param]["m"] - grad) / m_prev)[0]), 6))
    assert betas == [0.870968, 0.818182, 0.692308, 0.0]


def test_dwmgrad_first_step_is_alpha_sqrt_window() -> None:
    """§1: no bias correction, so the first step moves each coordinate by α·sqrt(ω_1)
    (ω_1 = 6 for ω_0 = 5 and a positive loss): v_1 = α g/(|g|/sqrt(ω_1) + ε)."""
    lr = 1e-3
    grad = torch.tensor([3.0, -0.5, 2e-3, -40.0], dtype=torch.float64)
    param = torch.zeros(4, dtype=torch.float64)
    opt = construct("DWMGrad", [param], lr=lr, init_window=5, max_window=10)
    param.grad = grad.clone()
    opt.step(loss=1.0)
    torch.testing.assert_close(param, -lr * math.sqrt(6) * grad.sign(), rtol=1e-4, atol=0)


def test_dwmgrad_window_one_is_sign_descent_with_momentum() -> None:
    """§1: with ω = 1 (init_window = 1 and losses ≤ 0 under the "loss" rule) s_t = g_t², so
    v_t = (γ/δ) v_{t-1} + α g_t/(|g_t| + ε), i.e. α·sign(g_t) plus momentum."""
    lr, gamma, delta = 1e-2, 0.9, 4
    param = torch.zeros(3, dtype=torch.float64)
    opt = construct("DWMGrad", [param], lr=lr, momentum=gamma, init_window=1, max_window=delta)
    gen = torch.Generator().manual_seed(8)
    v = torch.zeros(3, dtype=torch.float64)
    for _ in range(6):
        grad = torch.randn(3, generator=gen, dtype=torch.float64)
        param.grad = grad.clone()
        opt.step(loss=-1.0)
        v = gamma / delta * v + lr * grad.sign()
        assert float(opt.window) == 1.0
        torch.testing.assert_close(opt.state[param]["v"], v, rtol=1e-6, atol=0)
