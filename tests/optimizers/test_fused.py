"""The fused (compiled) path of every optimizer compiles once per parameter list: stepping
the same parameters again never recompiles, even when a float hyperparameter changes (as a
learning-rate schedule does), while a different list of tensors with gradients needs a new
graph (which shows that the check below can fail). Checked with the public
``torch.compiler.set_stance("fail_on_recompile")``. The compiled steps read no tensor value on
the host (profiler count, as in test_no_host_sync). Slow: every optimizer compiles once.
"""

from __future__ import annotations

import pytest
import torch
from optimizer_cases import OPTIMIZERS, make_optimizer, take_step
from test_no_host_sync import host_reads

SHAPES = [(3, 4), (5,)]


def _set_grads(params: list[torch.Tensor], scale: float) -> None:
    for p in params:
        p.grad = scale * torch.sin(3 * p.detach()) + 0.1


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_same_parameters_never_recompile(name: str) -> None:
    info = OPTIMIZERS[name]
    gen = torch.Generator().manual_seed(2)
    params = [torch.randn(s, generator=gen, dtype=torch.float64).requires_grad_(True)
              for s in SHAPES]
    opt = make_optimizer(info, params, "fused")
    _set_grads(params, 1.0)
    take_step(opt, info, 1.0)  # compiles
    before = [p.detach().clone() for p in params]
    with torch.compiler.set_stance("fail_on_recompile"):
        for step, lr in enumerate((5e-4, 2e-3, 3e-3)):
            for group in opt.param_groups:
                group["lr"] = lr
            _set_grads(params, 1.0 + step)
            assert host_reads(lambda: take_step(opt, info, 2.0 - step)) == 0  # noqa: B023
        for p, old in zip(params, before, strict=True):
            assert not torch.equal(p.detach(), old)
        params[1].grad = None  # a different list of tensors: a new graph is needed
        with pytest.raises(RuntimeError, match="(?i)recompil"):
            take_step(opt, info, 1.0)
