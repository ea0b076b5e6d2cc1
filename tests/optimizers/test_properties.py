"""Property tests (hypothesis) of the invariants the spec states or implies."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from optimizer_cases import WINDOW_RULES, construct, make_optimizer, take_step

from dwmgrad.registry import OPTIMIZERS

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
SHAPES = [(3,), (2, 2)]
SIZE = sum(math.prod(s) for s in SHAPES)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Includes exact zeros and tiny magnitudes (the cases where a denominator could vanish).
grad_value = st.one_of(st.just(0.0), finite, st.floats(min_value=-1e-12, max_value=1e-12))
grad_sequences = st.lists(st.lists(grad_value, min_size=SIZE, max_size=SIZE),
                          min_size=1, max_size=8)
loss_sequences = st.lists(finite, min_size=1, max_size=8)


def split(flat: list[float], dtype: torch.dtype = torch.float64) -> list[torch.Tensor]:
    out, start = [], 0
    for shape in SHAPES:
        n = math.prod(shape)
        out.append(torch.tensor(flat[start:start + n], dtype=dtype).reshape(shape))
        start += n
    return out


def zero_params() -> list[torch.Tensor]:
    return [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]


def set_grads(params: list[torch.Tensor], flat: list[float]) -> None:
    for p, g in zip(params, split(flat), strict=True):
        p.grad = g


@SETTINGS
@given(name=st.sampled_from(sorted(OPTIMIZERS)), grads=grad_sequences, losses=loss_sequences,
       data=st.data())
def test_state_stays_finite(name: str, grads: list[list[float]], losses: list[float],
                            data: st.DataObject) -> None:
    info = OPTIMIZERS[name]
    path = data.draw(st.sampled_from([p for p in info.paths if p != "fused"]))
    params = zero_params()
    opt = make_optimizer(info, params, path)
    for t, flat in enumerate(grads):
        set_grads(params, flat)
        take_step(opt, info, losses[t % len(losses)])
    for p in params:
        assert bool(torch.isfinite(p).all())
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                assert bool(torch.isfinite(value).all()), key


@SETTINGS
@given(rule=st.sampled_from(WINDOW_RULES), losses=loss_sequences,
       init_window=st.integers(1, 6), extra=st.integers(0, 4), grads=grad_sequences)
def test_dwmgrad_window_in_range_and_s_nonnegative(rule: str, losses: list[float],
                                                   init_window: int, extra: int,
                                                   grads: list[list[float]]) -> None:
    max_window = init_window + extra
    params = zero_params()
    opt = construct("DWMGrad", params, init_window=init_window, max_window=max_window,
                                    window_rule=rule)
    for t, loss in enumerate(losses):
        set_grads(params, grads[t % len(grads)])
        opt.step(loss=loss)
        window = float(opt.window)  # type: ignore[attr-defined]
        assert 1 <= window <= max_window and window == int(window)
        for p in params:
            assert bool((opt.state[p]["s"] >= 0).all())


@SETTINGS
@given(name=st.sampled_from(["AdaBelief", "Aida"]), grads=grad_sequences,
       eps=st.sampled_from([1e-16, 1e-8, 1e-3]), beta2=st.sampled_from([0.5, 0.9, 0.999]))
def test_second_moment_respects_eps_floor(name: str, grads: list[list[float]], eps: float,
                                          beta2: float) -> None:
    """§4: s_t ≥ ε every step (exactly, since fl(x + ε) ≥ ε for x ≥ 0) and
    ŝ_t = s_t/(1-β2^t) ≥ ε/(1-β2) (up to rounding of the geometric sum, relative 1e-12)."""
    params = zero_params()
    opt = construct(name, params, betas=(0.9, beta2), eps=eps)
    for t, flat in enumerate(grads, start=1):
        set_grads(params, flat)
        opt.step()
        for p in params:
            s = opt.state[p]["s"]
            assert bool((s >= eps).all())
            s_hat = s / (1 - beta2**t)
            assert bool((s_hat >= eps / (1 - beta2) * (1 - 1e-12)).all())


@SETTINGS
@given(name=st.sampled_from(["AdaBelief", "Aida"]), grads=grad_sequences)
def test_zero_gradient_moves_by_momentum_only(name: str, grads: list[list[float]]) -> None:
    """With g_t = 0: m_t = β1 m_{t-1}; AdaBelief: s_t = β2 s + (1-β2) m_t² + ε and
    Δθ = -(α/(1-β1^t)) m_t/(sqrt(s_t)/sqrt(1-β2^t) + ε); Aida: every projection of the zero
    gradient is 0, r = 0, s_t = β2 s + ε and Δθ = -(α/(1-β1^t)) m_t sqrt(1-β2^t)/sqrt(s_t)."""
    lr, (b1, b2), eps = 1e-2, (0.9, 0.999), 1e-8
    params = zero_params()
    opt = construct(name, params, lr=lr, betas=(b1, b2), eps=eps)
    for flat in grads:
        set_grads(params, flat)
        opt.step()
    t = len(grads) + 1
    before = [(p.detach().clone(), opt.state[p]["m"].clone(), opt.state[p]["s"].clone())
              for p in params]
    set_grads(params, [0.0] * SIZE)
    opt.step()
    for p, (theta, m_prev, s_prev) in zip(params, before, strict=True):
        m = b1 * m_prev
        if name == "AdaBelief":
            s = b2 * s_prev + (1 - b2) * m * m + eps
            denom = s.sqrt() / math.sqrt(1 - b2**t) + eps
        else:
            s = b2 * s_prev + eps
            denom = s.sqrt() / math.sqrt(1 - b2**t)
        expected = theta - (lr / (1 - b1**t)) * m / denom
        np.testing.assert_allclose(p.detach().numpy(), expected.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt.state[p]["s"].numpy(), s.numpy(), rtol=1e-14, atol=0)


@SETTINGS
@given(grads=grad_sequences, eps=st.sampled_from([1e-16, 1e-8, 1e-3]),
       beta2=st.sampled_from([0.5, 0.9, 0.999]))
@example(grads=[[0.0] * 7, [0.0] * 6 + [2.2250738585e-313], [0.0] * 7, [0.0] * 7],
         eps=1e-16, beta2=0.5)   # a subnormal m, found by hypothesis
def test_aida_step_multiplier_is_capped(grads: list[list[float]], eps: float,
                                        beta2: float) -> None:
    """§4: the ε floor caps Aida's per-coordinate step multiplier |Δθ|/|m_t| at
    (α/(1-β1^t))·sqrt((1-β2)/ε)."""
    lr, beta1 = 1e-2, 0.9
    params = zero_params()
    opt = construct("Aida", params, lr=lr, betas=(beta1, beta2), eps=eps)
    for t, flat in enumerate(grads, start=1):
        before = [p.detach().clone() for p in params]
        set_grads(params, flat)
        opt.step()
        cap = lr / (1 - beta1**t) * math.sqrt((1 - beta2) / eps)
        for p, b in zip(params, before, strict=True):
            step = (p.detach() - b).abs()
            m = opt.state[p]["m"].abs()
            rounding = 4 * torch.finfo(torch.float64).eps * b.abs()  # of p - before
            # Below 2.2e-308 floats lose relative precision: a subnormal m carries an absolute
            # error of some quanta (2^-1074) per step, which the cap multiplies (m = 1.8e-314
            # at t = 4 made |Δθ| exceed cap·m by 20 quanta·cap). Relative 1e-13 at normal m.
            subnormal = cap * 64 * t * 2.0**-1074
            assert bool((step <= cap * m * (1 + 1e-9) + rounding + subnormal).all())
