"""Property tests (hypothesis) that complement ``tests/optimizers/test_properties.py``.

That file covers the default settings on plain parameters in float64 with |g| ≤ 1e6. These
cover what it does not: ``per_instance=True`` (per-row windows and reductions, and batched
equal to row-by-row), every hyperparameter drawn from its declared valid range (DWMGrad's
analysis options included), float32, and extreme gradient magnitudes 1e-30..1e30.

Float32 range: an Adam-like rule squares the gradient, so |g| ≥ ~1.8e19 overflows g² to inf
in float32 for every such optimizer, torch.optim.Adam included; float32 properties therefore
use |g| ≤ 1e18 (g² and sums of a few of them stay representable) and float64 ones |g| ≤ 1e30.

Each property runs with ``FAST`` examples by default and ``THOROUGH`` under ``-m slow``.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hardening_helpers import (
    FAST,
    THOROUGH,
    all_state_finite,
    run_property,
    scaled_vectors,
    step,
    valid_settings,
)
from hypothesis import strategies as st

from dwmgrad.registry import OPTIMIZERS, path_kwargs

BATCH = 3
ROW_SHAPES = [(3,), (2, 2)]          # per-instance parameters have shape (BATCH, *row_shape)
ROW_SIZE = 3 + 4
STEPS = 6
EXPONENTS = {torch.float64: (-30, 30), torch.float32: (-30, 18)}
NAMES = sorted(OPTIMIZERS)
EXAMPLES = [FAST, pytest.param(THOROUGH, marks=pytest.mark.slow)]
def name_dtype_cases() -> list[Any]:
    cases = []
    for name in NAMES:
        for dtype in (torch.float64, torch.float32):
            cases.append(pytest.param(name, dtype,
                                      id=f"{name}-{str(dtype).removeprefix('torch.')}"))
    return cases


def grads_strategy(low: int, high: int, rows: int) -> st.SearchStrategy[list[list[float]]]:
    """1..STEPS gradients, each ``rows * ROW_SIZE`` numbers."""
    return st.lists(scaled_vectors(rows * ROW_SIZE, low, high), min_size=1, max_size=STEPS)


def make_params(rows: int, dtype: torch.dtype) -> list[torch.Tensor]:
    return [torch.zeros(rows, *shape, dtype=dtype, requires_grad=True) for shape in ROW_SHAPES]


def set_grads(params: list[torch.Tensor], flat: list[float]) -> None:
    """Fill the gradients from ``flat``: instance-major (row b's numbers are contiguous)."""
    rows = params[0].shape[0]
    values = torch.tensor(flat, dtype=torch.float64).reshape(rows, ROW_SIZE)
    start = 0
    for p in params:
        width = p[0].numel()
        p.grad = values[:, start:start + width].reshape(p.shape).to(p.dtype)
        start += width


def build(name: str, params: list[torch.Tensor], path: str, **kwargs: Any) -> Any:
    info = OPTIMIZERS[name]
    return info.factory(params, **{**info.example_kwargs, **kwargs, **path_kwargs(path)})


paths = st.sampled_from(["forloop", "foreach"])
row_losses = st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=BATCH, max_size=BATCH)


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize(("name", "dtype"), name_dtype_cases())
def test_per_instance_state_finite_at_extreme_magnitudes(name: str, dtype: torch.dtype,
                                                         examples: int) -> None:
    """Any valid setting, per_instance=True, |g| in 1e-30..1e30 (1e18 in float32) and exact
    zeros: parameters and every state tensor stay finite."""
    info = OPTIMIZERS[name]

    def check(data: st.DataObject, path: str) -> None:
        kwargs = data.draw(valid_settings(info))
        grads = data.draw(grads_strategy(*EXPONENTS[dtype], rows=BATCH))
        params = make_params(BATCH, dtype)
        opt = build(name, params, path, per_instance=True, **kwargs)
        for flat in grads:
            set_grads(params, flat)
            step(opt, info, torch.tensor(data.draw(row_losses), dtype=dtype))
        assert not all_state_finite(opt, params), (kwargs, all_state_finite(opt, params))

    run_property(check, examples, data=st.data(), path=paths)


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize(("name", "dtype"), name_dtype_cases())
def test_plain_state_finite_at_extreme_magnitudes(name: str, dtype: torch.dtype,
                                                  examples: int) -> None:
    """As above without per_instance (one shared loss and window, per-tensor Aida layers)."""
    info = OPTIMIZERS[name]

    def check(data: st.DataObject, path: str) -> None:
        kwargs = data.draw(valid_settings(info))
        grads = data.draw(grads_strategy(*EXPONENTS[dtype], rows=1))
        params = [p[0].detach().clone().requires_grad_(True) for p in make_params(1, dtype)]
        opt = build(name, params, path, **kwargs)
        for flat in grads:
            rows = [p.unsqueeze(0) for p in params]
            set_grads(rows, flat)
            for p, r in zip(params, rows, strict=True):
                p.grad = r.grad[0]  # type: ignore[index]
            step(opt, info, data.draw(row_losses)[0])
        assert not all_state_finite(opt, params), (kwargs, all_state_finite(opt, params))

    run_property(check, examples, data=st.data(), path=paths)


@pytest.mark.parametrize("examples", [4 * FAST, pytest.param(THOROUGH, marks=pytest.mark.slow)])
def test_dwmgrad_per_instance_windows_and_moments(examples: int) -> None:
    """per_instance DWMGrad with any valid setting (analysis options included) and any
    per-row loss sequence: every row's window is an integer in [1, max_window], s ≥ 0,
    ŝ ≥ s and ŝ never decreases (max_second_moment), 0 ≤ μ_t ≤ momentum."""
    info = OPTIMIZERS["DWMGrad"]

    def check(data: st.DataObject, path: str) -> None:
        kwargs = data.draw(valid_settings(info))
        grads = data.draw(grads_strategy(-30, 30, rows=BATCH))
        params = make_params(BATCH, torch.float64)
        opt = build("DWMGrad", params, path, per_instance=True, **kwargs)
        previous_s_hat: list[torch.Tensor] | None = None
        any_loss = st.floats(allow_nan=False, allow_infinity=False)
        for flat in grads:
            set_grads(params, flat)
            opt.step(loss=torch.tensor(data.draw(st.lists(any_loss, min_size=BATCH,
                                                          max_size=BATCH))))
            window, mu = opt.window, opt.momentum_now
            assert window.shape == mu.shape == (BATCH,)
            assert bool(((window >= 1) & (window <= kwargs["max_window"])).all()), window
            assert torch.equal(window, window.round())
            assert bool(((mu >= 0) & (mu <= kwargs["momentum"])).all()), (mu, kwargs)
            for p in params:
                assert bool((opt.state[p]["s"] >= 0).all())
            if kwargs["max_second_moment"]:
                s_hat = [opt.state[p]["s_hat"].clone() for p in params]
                for p, now in zip(params, s_hat, strict=True):
                    assert bool((now >= opt.state[p]["s"]).all())
                for now, before in zip(s_hat, previous_s_hat or s_hat, strict=True):
                    assert bool((now >= before).all())
                previous_s_hat = s_hat

    run_property(check, examples, data=st.data(), path=paths)


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("name", NAMES)
def test_per_instance_batch_equals_rows_one_by_one(name: str, examples: int) -> None:
    """B instances stepped as one batch equal each instance stepped alone (a batch of one),
    float64, to 1e-12 relative (reductions over a row may be ordered differently)."""
    info = OPTIMIZERS[name]

    def check(data: st.DataObject, path: str) -> None:
        kwargs = data.draw(valid_settings(info))
        grads = data.draw(grads_strategy(-3, 3, rows=BATCH))
        losses = [torch.tensor(data.draw(row_losses), dtype=torch.float64) for _ in grads]
        batched = make_params(BATCH, torch.float64)
        opt = build(name, batched, path, per_instance=True, **kwargs)
        for flat, loss in zip(grads, losses, strict=True):
            set_grads(batched, flat)
            step(opt, info, loss)
        for b in range(BATCH):
            alone = make_params(1, torch.float64)
            single = build(name, alone, path, per_instance=True, **kwargs)
            for flat, loss in zip(grads, losses, strict=True):
                set_grads(alone, flat[b * ROW_SIZE:(b + 1) * ROW_SIZE])
                step(single, info, loss[b:b + 1])
            for p, q in zip(batched, alone, strict=True):
                torch.testing.assert_close(p.detach()[b:b + 1], q.detach(), rtol=1e-12,
                                           atol=1e-300)

    run_property(check, examples, data=st.data(), path=paths)


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("name", ["AdaBelief", "Aida"])
def test_per_instance_second_moment_respects_eps_floor(name: str, examples: int) -> None:
    """per_instance, any valid setting, |g| in 1e-30..1e30: s_t ≥ ε every step (fl(x + ε) ≥ ε
    for x ≥ 0), the ε floor of the spec's §4 (plain mode: tests/optimizers)."""
    info = OPTIMIZERS[name]

    def check(data: st.DataObject, path: str) -> None:
        kwargs = data.draw(valid_settings(info))
        grads = data.draw(grads_strategy(-30, 30, rows=BATCH))
        params = make_params(BATCH, torch.float64)
        opt = build(name, params, path, per_instance=True, **kwargs)
        for flat in grads:
            set_grads(params, flat)
            opt.step()
            for p in params:
                assert bool((opt.state[p]["s"] >= kwargs["eps"]).all()), kwargs

    run_property(check, examples, data=st.data(), path=paths)
