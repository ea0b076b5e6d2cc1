"""No step reads a tensor value on the host (spec §1: the authors' class calls ``loss.item()``
per parameter tensor; "ours must not"; common rules: no ``.item()``, ``.cpu()``,
``float(tensor)`` or Python ``if`` on tensor values inside a step).

Checked by making those Tensor methods raise while ``step`` runs, for every optimizer,
variant and path, with the loss given as a tensor (as a training loop has it).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from optimizer_cases import (
    LOSSES,
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


@pytest.mark.parametrize("case", optimizer_cases(paths=("forloop", "foreach")), ids=case_id)
def test_step_reads_no_tensor_value_on_the_host(case: tuple[str, str, dict[str, Any]],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    name, path, overrides = case
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem([(3, 2), (4,)], 4, seed=2)
    params = problem.torch_params()
    opt = make_optimizer(info, params, path, **overrides)
    losses = [torch.tensor(x, dtype=torch.float64) for x in LOSSES[:4]]
    grads = []
    for t in range(4):
        problem.set_torch_grads(params, t)
        grads.append([p.grad for p in params])
    with monkeypatch.context() as patch:
        forbid_host_reads(patch)
        for t in range(4):
            for p, g in zip(params, grads[t], strict=True):
                p.grad = g
            take_step(opt, info, losses[t])
    assert not any(bool(torch.equal(p.detach(), torch.from_numpy(x)))
                   for p, x in zip(params, problem.init, strict=True))


def test_the_check_catches_the_authors_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the authors' class (loss.item() per tensor) fails the same check."""
    param = torch.zeros(3, requires_grad=True)
    opt = AuthorsDWMGrad([param])
    param.grad = torch.ones(3)
    forbid_host_reads(monkeypatch)
    with pytest.raises(HostReadError, match="item"):
        opt.step(loss=torch.tensor(1.0))
