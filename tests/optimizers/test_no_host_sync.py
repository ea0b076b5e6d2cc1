"""No step reads a tensor value on the host (spec §1: the authors' class calls ``loss.item()``
per parameter tensor; "ours must not"; common rules: no ``.item()``, ``.cpu()``,
``float(tensor)`` or Python ``if`` on tensor values inside a step).

Checked by making those Tensor methods raise while ``step`` runs, for every optimizer,
variant and path (per instance too), with the loss given as a tensor (as a training loop has
it), and by counting ``aten::_local_scalar_dense`` (the op behind every host read, also those
made inside C++ ops, e.g. a 0-d tensor bound to a Scalar argument) with the profiler; the
compiled path through the profiler only (patching torch.Tensor would make dynamo recompile).
The loss holds a NaN and an inf (DWMGrad holds its window on them with tensor ops), and a
tensor lr is checked too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from optimizer_cases import (
    ElementwiseProblem,
    case_id,
    make_optimizer,
    optimizer_cases,
    take_step,
)

from benchmarks.authors_dwmgrad import AuthorsDWMGrad
from dwmgrad.registry import OPTIMIZERS

HOST_READS = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__")


class HostReadError(AssertionError):
    pass


def forbid_host_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in HOST_READS:
        def raiser(self: torch.Tensor, *args: Any, _name: str = name, **kwargs: Any) -> Any:
            raise HostReadError(f"Tensor.{_name} called inside step")
        monkeypatch.setattr(torch.Tensor, name, raiser)


def host_reads(fn: Callable[[], object]) -> int:
    """Number of aten::_local_scalar_dense calls (the op behind item/bool/float) during fn."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fn()
    return sum(e.count for e in prof.key_averages() if e.key == "aten::_local_scalar_dense")


STEPS = 4
B = 2
#: Losses as a training loop has them (0-d tensors), a NaN and an inf among them.
TENSOR_LOSSES = (1.0, math.nan, 2.0, math.inf)


def stepped(case: tuple[str, str, dict[str, Any]], per_instance: bool = False, **extra: Any
            ) -> tuple[Any, Callable[[int], None], ElementwiseProblem, list[torch.Tensor]]:
    """An optimizer after one step (state created, compiled if fused) and ``step_at(t)``."""
    name, path, overrides = case
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem([(B, 3), (B,)], STEPS, seed=2)
    params = problem.torch_params()
    opt = make_optimizer(info, params, path, per_instance=per_instance, **overrides, **extra)
    grads = []
    for t in range(STEPS):
        problem.set_torch_grads(params, t)
        grads.append([p.grad for p in params])
    shape = (B,) if per_instance else ()
    losses = [torch.full(shape, x, dtype=torch.float64) for x in TENSOR_LOSSES]

    def step_at(t: int) -> None:
        for p, g in zip(params, grads[t], strict=True):
            p.grad = g
        take_step(opt, info, losses[t])

    step_at(0)
    return opt, step_at, problem, params


def moved(problem: ElementwiseProblem, params: list[torch.Tensor]) -> bool:
    return not any(bool(torch.equal(p.detach(), torch.from_numpy(x)))
                   for p, x in zip(params, problem.init, strict=True))


@pytest.mark.parametrize("per_instance", [False, True], ids=["whole", "per_instance"])
@pytest.mark.parametrize("case", optimizer_cases(paths=("forloop", "foreach")), ids=case_id)
def test_step_reads_no_tensor_value_on_the_host(case: tuple[str, str, dict[str, Any]],
                                                per_instance: bool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    opt, step_at, problem, params = stepped(case, per_instance)
    with monkeypatch.context() as patch:
        forbid_host_reads(patch)
        assert host_reads(lambda: [step_at(t) for t in range(1, STEPS)]) == 0
    assert moved(problem, params)


@pytest.mark.parametrize("path", ["forloop", "foreach"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_tensor_lr_is_read_on_device(name: str, path: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A 0-d tensor lr (accepted as torch.optim accepts one) is never read on the host."""
    opt, step_at, problem, params = stepped(
        (name, path, {}), lr=torch.tensor(OPTIMIZERS[name].example_kwargs["lr"]))
    with monkeypatch.context() as patch:
        forbid_host_reads(patch)
        assert host_reads(lambda: [step_at(t) for t in range(1, STEPS)]) == 0
    assert moved(problem, params)


@pytest.mark.slow
def test_the_compiled_step_reads_no_tensor_value_on_the_host() -> None:
    """Through the profiler only (see the module docstring); per instance, analysis options."""
    case = ("DWMGrad", "fused", {"window_rule": "loss_decrease", "lr_schedule": "inv_sqrt",
                                 "momentum_decay": 0.9, "max_second_moment": True})
    opt, step_at, problem, params = stepped(case, per_instance=True)
    assert host_reads(lambda: [step_at(t) for t in range(1, STEPS)]) == 0
    assert moved(problem, params)
    assert opt.state["global"]["step"].tolist() == STEPS


def test_the_profiler_count_sees_a_host_read() -> None:
    """Control: the count is not blind (a step that binds a 0-d tensor lr to a Scalar)."""
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.ones(3)
    assert host_reads(lambda: p.detach().add_(p.grad, alpha=torch.tensor(0.1))) == 1


def test_the_check_catches_the_authors_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the authors' class (loss.item() per tensor) fails the same check."""
    param = torch.zeros(3, requires_grad=True)
    opt = AuthorsDWMGrad([param])
    param.grad = torch.ones(3)
    forbid_host_reads(monkeypatch)
    with pytest.raises(HostReadError, match="item"):
        opt.step(loss=torch.tensor(1.0))
