"""CPU blocks of the foreach path (``dwmgrad.drivers.cache_blocks``): every element is visited
once, in aligned pieces; non-contiguous or row-broadcast tensors stay whole; and DWMGrad's
foreach path matches its for-loop when tensors are cut into pieces."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from optimizer_cases import OPTIMIZERS, make_optimizer, take_step

from dwmgrad import DWMGrad
from dwmgrad.drivers import cache_blocks, cpu_block_numel

CPU = torch.device("cpu")


def numbered(shapes: list[tuple[int, ...]], offset: float) -> list[torch.Tensor]:
    """Tensors holding distinct values offset + 0, 1, 2, ... across the whole list."""
    out, start = [], 0
    for shape in shapes:
        n = int(torch.Size(shape).numel())
        out.append(torch.arange(start, start + n, dtype=torch.float64).reshape(shape) + offset)
        start += n
    return out


SHAPES = [(3, 4), (2,), (0,), (7,), (1,), (2, 2, 3), (5,)]


def test_every_element_once_in_aligned_pieces_within_the_limit() -> None:
    a, b = numbered(SHAPES, 0.0), numbered(SHAPES, 1000.0)
    seen_a: list[float] = []
    blocks = list(cache_blocks([a, b], CPU, limit=5))
    for block_a, block_b in blocks:
        assert [t.shape for t in block_a] == [t.shape for t in block_b]
        for piece_a, piece_b in zip(block_a, block_b, strict=True):
            # aligned: the same positions of the two lists, as views (updates land in place)
            assert torch.equal(piece_b, piece_a + 1000.0)
            assert piece_a.untyped_storage().data_ptr() in {
                t.untyped_storage().data_ptr() for t in a}
        total = sum(t.numel() for t in block_a)
        assert total <= 5 or len(block_a) == 1
        seen_a.extend(float(x) for t in block_a for x in t.reshape(-1))
    assert sorted(seen_a) == [float(i) for i in range(sum(t.numel() for t in a))]


def test_pieces_are_views_so_in_place_updates_reach_the_tensors() -> None:
    a = numbered(SHAPES, 0.0)
    for (block,) in cache_blocks([a], CPU, limit=4):
        torch._foreach_mul_(block, 2.0)
    for t, ref in zip(a, numbered(SHAPES, 0.0), strict=True):
        assert torch.equal(t, 2 * ref)


def test_non_contiguous_and_unsplit_columns_stay_whole() -> None:
    wide = torch.zeros(4, 6)
    transposed = wide.t()  # (6, 4), not contiguous
    contiguous = torch.zeros(6, 4)
    blocks = list(cache_blocks([[contiguous], [transposed]], CPU, limit=5))
    assert [b[1][0].shape for b in blocks] == [torch.Size([6, 4])]
    kept = list(cache_blocks([[contiguous], [contiguous]], CPU, limit=5, split=False))
    assert [b[0][0].shape for b in kept] == [torch.Size([6, 4])]
    cut = list(cache_blocks([[contiguous], [contiguous]], CPU, limit=5))
    assert [b[0][0].numel() for b in cut] == [5, 5, 5, 5, 4]


def test_other_devices_get_one_block() -> None:
    a = numbered(SHAPES, 0.0)
    meta = [t.to("meta") for t in a]
    assert list(cache_blocks([meta], torch.device("meta"), limit=5)) == [[meta]]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_block_size_of_one_optimizer_is_validated_and_stays_its_own(bad: Any) -> None:
    opt, other = (DWMGrad([torch.zeros(3, requires_grad=True)]) for _ in range(2))
    with pytest.raises(ValueError, match=f"Invalid cpu_block_numel: {bad!r}"):
        opt.cpu_block_numel = bad
    opt.cpu_block_numel = 7
    assert (opt.cpu_block_numel, other.cpu_block_numel) == (7, None)


def test_default_block_follows_the_thread_count() -> None:
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = cpu_block_numel()
        torch.set_num_threads(2)
        assert cpu_block_numel() > single
    finally:
        torch.set_num_threads(previous)


def dwmgrad_run(foreach: bool, block: int, per_instance: bool = False, **options: Any
                ) -> tuple[list[torch.Tensor], DWMGrad]:
    gen = torch.Generator().manual_seed(3)
    shapes = [(4, 5), (4, 7), (4,), (4, 0), (4, 3, 3)]
    params = [torch.randn(s, generator=gen, dtype=torch.float64).requires_grad_(True)
              for s in shapes]
    # a non-contiguous parameter (its gradient and state follow its strides)
    params.append(torch.randn(6, 4, generator=gen, dtype=torch.float64).t().requires_grad_(True))
    opt = DWMGrad(params, foreach=foreach, per_instance=per_instance, **options)
    opt.cpu_block_numel = block
    losses = [2.0, 1.0, -0.5, 3.0, 0.5, -1.0, 2.0]
    for loss in losses:
        for p in params:
            p.grad = torch.sin(3 * p.detach()) + 0.1
        opt.step(loss=torch.full((4,), loss, dtype=torch.float64) if per_instance else loss)
    return params, opt


@pytest.mark.parametrize("options", [
    {"window_rule": "loss"},
    {"window_rule": "loss_decrease", "init_window": 1, "max_window": 3},
    {"window_rule": "loss_increase", "lr_schedule": "inv_sqrt", "momentum_decay": 0.9,
     "max_second_moment": True},
    {"window_rule": "loss_increase", "per_instance": True},
])
@pytest.mark.parametrize("block", [3, 8, 1 << 15])
def test_dwmgrad_foreach_on_pieces_matches_forloop(options: dict[str, Any], block: int) -> None:
    ref, ref_opt = dwmgrad_run(False, block, **options)
    got, opt = dwmgrad_run(True, block, **options)
    for p, r in zip(got, ref, strict=True):
        torch.testing.assert_close(p, r, rtol=1e-12, atol=1e-14)
    for p_ref, p_got in zip(ref, got, strict=True):
        for key, value in ref_opt.state[p_ref].items():
            torch.testing.assert_close(opt.state[p_got][key], value, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_dwmgrad_foreach_equals_forloop_bitwise_in_low_precision(dtype: torch.dtype) -> None:
    """Same kernels, same rounding: the foreach path on pieces of 8 elements gives the
    for-loop's bits in half precision too (the float64 tests allow 1e-12)."""
    out = {}
    for foreach in (False, True):
        gen = torch.Generator().manual_seed(5)
        params = [torch.randn(s, generator=gen).to(dtype).requires_grad_(True)
                  for s in ((40,), (3, 7))]
        opt = DWMGrad(params, foreach=foreach, eps=1e-7, lr=1e-2)
        opt.cpu_block_numel = 8
        for loss in (1.0, 2.0, -1.0, 0.5):
            for p in params:
                p.grad = (2e-3 + 1e-2 * torch.sin(3 * p.detach().float())).to(dtype)
            opt.step(loss=loss)
        out[foreach] = [p.detach().clone() for p in params]
    for a, b in zip(out[False], out[True], strict=True):
        assert torch.isfinite(a).all()
        assert torch.equal(a, b)


def test_a_column_with_a_step_counter_stays_whole() -> None:
    """A per-tensor 0-d step counter must advance once per tensor: its tensor is not cut."""
    params, counters = numbered([(7,), (2,)], 0.0), [torch.zeros(()), torch.zeros(())]
    blocks = list(cache_blocks([params, counters], CPU, limit=3))
    assert [[t.shape for t in b[0]] for b in blocks] == [[torch.Size([7])], [torch.Size([2])]]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_foreach_on_small_blocks_matches_forloop(name: str) -> None:
    """Every optimizer's foreach path with blocks of 3 elements (tensors grouped, cut where
    the rule allows) takes the for-loop's steps."""
    info = OPTIMIZERS[name]
    out = []
    for path in ("forloop", "foreach"):
        gen = torch.Generator().manual_seed(4)
        params = [torch.randn(s, generator=gen, dtype=torch.float64).requires_grad_(True)
                  for s in [(4, 5), (2,), (1,), (9,)]]
        opt = make_optimizer(info, params, path)
        opt.cpu_block_numel = 3
        for t, loss in enumerate((2.0, 1.0, -0.5, 3.0)):
            for p in params:
                p.grad = torch.sin((t + 2) * p.detach()) + 0.1
            take_step(opt, info, loss)
        out.append(params)
    for a, b in zip(*out, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
