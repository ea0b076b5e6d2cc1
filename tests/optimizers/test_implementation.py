"""Implementation tests of the ``dwmgrad`` package (paths, per-instance batching, options).

The behaviour against independent transcriptions is checked elsewhere in this directory;
these tests pin what the implementation itself promises: the three DWMGrad paths agree in
float64, batched instances equal separate runs, the optimizer-wide state is readable and
round-trips, the analysis options change exactly what they should, and no step ever asks
the host for a tensor's value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from torch import Tensor

from dwmgrad import (
    OPTIMIZERS,
    AdamAHB,
    AdaptiveHB,
    Aida,
    DWMGrad,
    path_kwargs,
)

F64 = torch.float64
# Losses whose sign pattern moves the "loss" window up and down.
LOSSES = (1.0, 2.0, -1.0, -0.5, 3.0, 0.0, 2.5)


def _params() -> list[Tensor]:
    """A matrix, a zero-size tensor, a vector and a scalar (0-d) parameter, in float64."""
    gen = torch.Generator().manual_seed(1)
    shapes: list[tuple[int, ...]] = [(3, 4), (0,), (5,), ()]
    return [torch.randn(s, generator=gen, dtype=F64).requires_grad_() for s in shapes]


def _grads(params: list[Tensor], steps: int, seed: int = 2) -> list[list[Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    return [[torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
            for _ in range(steps)]


def _run_dwmgrad(path: str, **kwargs: Any) -> tuple[list[Tensor], DWMGrad]:
    """7 steps; at step 3 the vector has no gradient (it must then be left untouched)."""
    params = _params()
    opt = DWMGrad(params, lr=0.05, **kwargs, **path_kwargs(path))  # type: ignore[arg-type]
    for t, grads in enumerate(_grads(params, len(LOSSES))):
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            p.grad = None if (t == 3 and i == 2) else g
        before = params[2].detach().clone()
        opt.step(loss=torch.tensor(LOSSES[t], dtype=F64))
        if t == 3:
            assert torch.equal(params[2].detach(), before)
    return params, opt


def _assert_same_run(a: tuple[list[Tensor], DWMGrad], b: tuple[list[Tensor], DWMGrad],
                     atol: float) -> None:
    (pa, oa), (pb, ob) = a, b
    for x, y in zip(pa, pb, strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=atol)
        assert oa.state[x].keys() == ob.state[y].keys()
        for key in oa.state[x]:
            torch.testing.assert_close(oa.state[x][key], ob.state[y][key], rtol=0, atol=atol)
    for key, value in oa.state["global"].items():  # type: ignore[index]
        torch.testing.assert_close(value, ob.state["global"][key], rtol=0, atol=0)  # type: ignore[index]


ANALYSED = {"lr_schedule": "inv_sqrt", "momentum_decay": 0.9, "max_second_moment": True}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"window_rule": "loss_decrease"}, {"window_rule": "loss_increase", **ANALYSED}],
)
def test_dwmgrad_foreach_matches_forloop_float64(kwargs: dict[str, Any]) -> None:
    # The foreach path performs the for-loop's operations in the same order.
    _assert_same_run(_run_dwmgrad("forloop", **kwargs), _run_dwmgrad("foreach", **kwargs),
                     atol=1e-15)


def test_dwmgrad_fused_matches_forloop_float64() -> None:
    # One compiled configuration (it exercises every branch of the kernel); inductor may
    # re-associate, so allow a few ulps.
    kwargs = {"window_rule": "loss_decrease", **ANALYSED}
    _assert_same_run(_run_dwmgrad("forloop", **kwargs), _run_dwmgrad("fused", **kwargs),
                     atol=1e-14)


def test_dwmgrad_equals_rmsprop_with_fixed_window() -> None:
    # Paper defaults otherwise; with init_window = max_window = delta and a positive loss
    # DWMGrad is RMSprop(alpha = 1 - 1/delta, momentum = gamma), velocity scaled by lr.
    params = _params()
    twins = [p.detach().clone().requires_grad_() for p in params]
    dwm = DWMGrad(params, lr=0.01, init_window=10, max_window=10)
    rms = torch.optim.RMSprop(twins, lr=0.01, alpha=0.9, eps=1e-8, momentum=0.9)
    for grads in _grads(params, 6):
        for p, q, g in zip(params, twins, grads, strict=True):
            p.grad, q.grad = g, g.clone()
        dwm.step(loss=1.0)
        rms.step()
    for p, q in zip(params, twins, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(dwm.state[p]["v"], 0.01 * rms.state[q]["momentum_buffer"],
                                   rtol=1e-12, atol=1e-16)


def test_param_groups_share_the_window_and_keep_their_own_lr() -> None:
    # The window depends only on the loss, so each group follows the trajectory of a
    # one-group optimizer with its own lr fed the same losses.
    params = _params()
    twins = [p.detach().clone().requires_grad_() for p in params]
    grouped = DWMGrad([{"params": params[:2], "lr": 0.1}, {"params": params[2:]}], lr=0.01,
                      window_rule="loss_decrease")
    alone = [DWMGrad(twins[:2], lr=0.1, window_rule="loss_decrease"),
             DWMGrad(twins[2:], lr=0.01, window_rule="loss_decrease")]
    for t, grads in enumerate(_grads(params, len(LOSSES))):
        for p, q, g in zip(params, twins, grads, strict=True):
            p.grad, q.grad = g, g.clone()
        grouped.step(loss=LOSSES[t])
        for opt in alone:
            opt.step(loss=LOSSES[t])
    for p, q in zip(params, twins, strict=True):
        assert torch.equal(p, q)
    assert torch.equal(grouped.window, alone[0].window)
    with pytest.raises(ValueError, match="max_window"):
        grouped.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "max_window": 3})


# ---------------------------------------------------------------- per instance
B = 3


def _instance_problem() -> list[Tensor]:
    gen = torch.Generator().manual_seed(3)
    return [torch.randn(B, 4, 2, generator=gen, dtype=F64), torch.randn(B, 3, generator=gen,
                                                                        dtype=F64)]


def _instance_losses(steps: int) -> Tensor:
    """Per-instance losses with different signs, so the windows of the rows differ."""
    gen = torch.Generator().manual_seed(4)
    return torch.randn(steps, B, generator=gen, dtype=F64)


PER_INSTANCE: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "DWMGrad": lambda ps, **kw: DWMGrad(ps, lr=0.05, window_rule="loss_increase", **kw),
    "Aida": lambda ps, **kw: Aida(ps, lr=0.05, **kw),
    "AdaptiveHB": lambda ps, **kw: AdaptiveHB(ps, lr=0.05, **kw),
    "AdamAHB": lambda ps, **kw: AdamAHB(ps, lr=0.05, **kw),
}


def _run_instances(make: Callable[..., torch.optim.Optimizer], start: list[Tensor],
                   grads: list[list[Tensor]], losses: Tensor, **kwargs: Any) -> list[Tensor]:
    params = [x.clone().requires_grad_() for x in start]
    opt = make(params, **kwargs)
    for t, gs in enumerate(grads):
        for p, g in zip(params, gs, strict=True):
            p.grad = g.clone()
        if isinstance(opt, DWMGrad):
            opt.step(loss=losses[t])
        else:
            opt.step()
    return [p.detach() for p in params]


@pytest.mark.parametrize("path", ["forloop", "foreach"])
@pytest.mark.parametrize("name", sorted(PER_INSTANCE))
def test_per_instance_equals_separate_runs(name: str, path: str) -> None:
    make, start, steps = PER_INSTANCE[name], _instance_problem(), 6
    gen = torch.Generator().manual_seed(5)
    grads = [[torch.randn(x.shape, generator=gen, dtype=F64) for x in start] for _ in range(steps)]
    losses = _instance_losses(steps)
    batched = _run_instances(make, start, grads, losses, per_instance=True, **path_kwargs(path))
    for b in range(B):
        alone = _run_instances(make, [x[b] for x in start], [[g[b] for g in gs] for gs in grads],
                               losses[:, b], **path_kwargs(path))
        for x, y in zip(batched, alone, strict=True):
            torch.testing.assert_close(x[b], y, rtol=1e-12, atol=1e-14)


def test_per_instance_windows_differ_and_have_shape_b() -> None:
    params = [x.clone().requires_grad_() for x in _instance_problem()]
    opt = DWMGrad(params, per_instance=True)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step(loss=torch.tensor([1.0, -1.0, 2.0]))
    assert opt.window.shape == (B,) and opt.momentum_now.shape == (B,)
    assert opt.window.tolist() == [6.0, 4.0, 6.0]
    with pytest.raises(ValueError, match=r"shape \(\)"):
        opt.step(loss=1.0)


def test_per_instance_rejects_mismatched_leading_dims() -> None:
    with pytest.raises(ValueError, match="leading dimension"):
        DWMGrad([torch.zeros(3, 2, requires_grad=True), torch.zeros(4, requires_grad=True)],
                per_instance=True)


# ---------------------------------------------------------------- readable state, options
def test_window_and_momentum_readable() -> None:
    params = _params()
    opt = DWMGrad(params, momentum=0.9, init_window=5, max_window=10)
    for t, grads in enumerate(_grads(params, 7), start=1):
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step(loss=0.3)  # a positive loss under the "loss" rule only grows the window
        window = min(5 + t, 10)
        assert opt.window.shape == () and opt.window.dtype == F64
        assert float(opt.window) == window
        assert float(opt.momentum_now) == pytest.approx(0.9 * window / 10, rel=1e-15)
        assert float(opt.state["global"]["step"]) == t  # type: ignore[index]


def test_window_rules_first_step_shrinks_for_differences() -> None:
    for rule, expected in [("loss", 6.0), ("loss_decrease", 4.0), ("loss_increase", 4.0)]:
        p = torch.zeros(2, requires_grad=True)
        opt = DWMGrad([p], window_rule=rule)
        p.grad = torch.ones(2)
        opt.step(loss=5.0)
        assert float(opt.window) == expected, rule


def _displacements(steps: int, **kwargs: Any) -> tuple[list[Tensor], DWMGrad]:
    p = torch.zeros(4, dtype=F64, requires_grad=True)
    opt = DWMGrad([p], lr=0.1, init_window=4, max_window=4, **kwargs)
    out = []
    gen = torch.Generator().manual_seed(6)
    for t in range(steps):
        before = p.detach().clone()
        p.grad = torch.randn(4, generator=gen, dtype=F64) * (3.0 if t == 0 else 0.1)
        opt.step(loss=1.0)
        out.append(p.detach() - before)
    return out, opt


def test_inv_sqrt_schedule_scales_each_step_by_one_over_sqrt_t() -> None:
    const, _ = _displacements(5, momentum=0.0)
    decayed, _ = _displacements(5, momentum=0.0, lr_schedule="inv_sqrt")
    for t, (c, d) in enumerate(zip(const, decayed, strict=True), start=1):
        torch.testing.assert_close(d, c / t**0.5, rtol=1e-13, atol=0)


def test_momentum_decay_multiplies_mu_by_lambda_power() -> None:
    _, opt = _displacements(4, momentum=0.9, momentum_decay=0.5)
    assert float(opt.momentum_now) == pytest.approx(0.9 * 0.5**3, rel=1e-15)
    _, paper = _displacements(4, momentum=0.9)
    assert float(paper.momentum_now) == 0.9


def test_max_second_moment_keeps_running_max_and_changes_steps() -> None:
    # A large first gradient then small ones: s shrinks, s_hat keeps its maximum.
    plain, plain_opt = _displacements(4, momentum=0.0)
    amsg, opt = _displacements(4, momentum=0.0, max_second_moment=True)
    p = opt.param_groups[0]["params"][0]
    state = opt.state[p]
    assert torch.all(state["s_hat"] >= state["s"]) and torch.any(state["s_hat"] > state["s"])
    plain_p = plain_opt.param_groups[0]["params"][0]
    torch.testing.assert_close(state["s"], plain_opt.state[plain_p]["s"])
    torch.testing.assert_close(amsg[0], plain[0])  # identical until s starts to shrink
    assert torch.all(amsg[-1].abs() < plain[-1].abs())


# ---------------------------------------------------------------- step contract
def test_missing_loss_is_a_value_error() -> None:
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.ones(2)
    opt = DWMGrad([p])
    with pytest.raises(ValueError, match="needs the loss"):
        opt.step()
    with pytest.raises(ValueError, match="only one"):
        opt.step(lambda: torch.tensor(1.0), loss=1.0)
    assert opt.step(lambda: torch.tensor(2.0)) == torch.tensor(2.0)
    assert float(opt.window) == 6.0


def test_sparse_gradients_and_conflicting_paths_are_rejected() -> None:
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.zeros(3).to_sparse()
    with pytest.raises(RuntimeError, match="sparse"):
        DWMGrad([p]).step(loss=1.0)
    with pytest.raises(ValueError, match="fused"):
        DWMGrad([p], foreach=True, fused=True)
    with pytest.raises(ValueError, match="init_window"):
        DWMGrad([p], init_window=11, max_window=10)


def test_state_dict_round_trip_continues_bit_identically() -> None:
    params, opt = _run_dwmgrad("forloop", window_rule="loss_decrease", **ANALYSED)
    twins = [p.detach().clone().requires_grad_() for p in params]
    other = DWMGrad(twins, lr=0.05, window_rule="loss_decrease", **ANALYSED)  # type: ignore[arg-type]
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    other_global = other.state["global"]  # type: ignore[index]
    assert set(other_global) == {"step", "window", "prev_loss", "momentum_now"}
    # loading the live (not copied) dict must not make the two optimizers share state
    other.load_state_dict(opt.state_dict())
    assert other.state["global"]["window"] is not opt.state["global"]["window"]  # type: ignore[index]
    assert other.state[twins[0]]["s"].data_ptr() != opt.state[params[0]]["s"].data_ptr()
    for grads in _grads(params, 4, seed=7):
        for p, q, g in zip(params, twins, grads, strict=True):
            p.grad, q.grad = g, g.clone()
        opt.step(loss=-1.0)
        other.step(loss=-1.0)
    for p, q in zip(params, twins, strict=True):
        assert torch.equal(p, q)
    assert torch.equal(opt.window, other.window)


# ---------------------------------------------------------------- no host synchronisation
@pytest.fixture
def no_host_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every Python-level read of a tensor's value raise while the fixture is active."""
    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("host read of a tensor value inside step")

    for name in ("item", "tolist", "__float__", "__int__", "__bool__", "__index__"):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    yield


def _host_reads(fn: Callable[[], object]) -> int:
    """Number of aten::_local_scalar_dense calls (the op behind item/bool/float) during fn.

    This also sees reads made inside C++ ops, e.g. a 0-d tensor bound to a Scalar argument.
    """
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fn()
    return sum(e.count for e in prof.key_averages() if e.key == "aten::_local_scalar_dense")


def _step_all(opt: torch.optim.Optimizer, params: list[Tensor], grads: list[list[Tensor]],
              loss: Tensor) -> None:
    for gs in grads:
        for p, g in zip(params, gs, strict=True):
            p.grad = g
        if isinstance(opt, DWMGrad):
            opt.step(loss=loss)
        else:
            opt.step()


# The compiled path is checked with the shapes and options of the fused float64 test (its
# kernel is then reused) and once per instance; patching torch.Tensor would force dynamo to
# recompile, so it is checked through the profiler only.
CASES = [(n, p, pi) for n, info in sorted(OPTIMIZERS.items()) for p in info.paths if p != "fused"
         for pi in (False, True)] + [("DWMGrad", "fused", True)]


@pytest.mark.parametrize(("name", "path", "per_instance"), CASES)
def test_step_never_reads_tensor_values(name: str, path: str, per_instance: bool,
                                        request: pytest.FixtureRequest) -> None:
    params = [x.clone().requires_grad_() for x in _instance_problem()]
    opt = OPTIMIZERS[name].make(params, per_instance=per_instance, **path_kwargs(path))
    loss = torch.ones(B, dtype=F64) if per_instance else torch.tensor(1.0, dtype=F64)
    grads = _grads(params, 3)
    _step_all(opt, params, grads[:1], loss)  # creates the state (and compiles if fused)
    if path != "fused":
        request.getfixturevalue("no_host_reads")
    assert _host_reads(lambda: _step_all(opt, params, grads[1:], loss)) == 0


def test_compiled_step_never_reads_tensor_values() -> None:
    params = _params()
    opt = DWMGrad(params, lr=0.05, window_rule="loss_decrease", fused=True, **ANALYSED)  # type: ignore[arg-type]
    grads = _grads(params, 3)
    loss = torch.tensor(1.0, dtype=F64)
    _step_all(opt, params, grads[:1], loss)
    assert _host_reads(lambda: _step_all(opt, params, grads[1:], loss)) == 0
    assert float(opt.state["global"]["step"]) == 3  # type: ignore[index]
