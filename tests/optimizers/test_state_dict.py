"""A state_dict saved mid-run and loaded into a fresh optimizer continues bit-identically
(CPU, torch.equal), for every optimizer, variant and path; and once across processes."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path
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

from dwmgrad.registry import OPTIMIZERS

SHAPES = [(3, 4), (5,), (2, 2)]
BEFORE, AFTER = 6, 8


def continue_run(problem: ElementwiseProblem, name: str, opt: torch.optim.Optimizer,
                 params: list[torch.Tensor], start: int, stop: int) -> None:
    for t in range(start, stop):
        problem.set_torch_grads(params, t)
        take_step(opt, OPTIMIZERS[name], LOSSES[t])


@pytest.mark.parametrize("case", optimizer_cases(), ids=case_id)
def test_state_dict_roundtrip_continues_bit_identically(case: tuple[str, str, dict[str, Any]]
                                                        ) -> None:
    name, path, overrides = case
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem(SHAPES, BEFORE + AFTER, seed=21)
    params = problem.torch_params()
    opt = make_optimizer(info, params, path, **overrides)
    continue_run(problem, name, opt, params, 0, BEFORE)

    saved_state = copy.deepcopy(opt.state_dict())
    fresh_params = [p.detach().clone().requires_grad_(True) for p in params]
    fresh = make_optimizer(info, fresh_params, path, **overrides)
    fresh.load_state_dict(saved_state)

    continue_run(problem, name, opt, params, BEFORE, BEFORE + AFTER)
    continue_run(problem, name, fresh, fresh_params, BEFORE, BEFORE + AFTER)
    for p, q in zip(params, fresh_params, strict=True):
        assert torch.equal(p, q)
    state, fresh_state = opt.state_dict()["state"], fresh.state_dict()["state"]
    assert state.keys() == fresh_state.keys()
    for key in state:
        for name_, value in state[key].items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(fresh_state[key][name_])), (
                key, name_)


CHILD = textwrap.dedent(
    """
    import sys
    import torch
    sys.path.insert(0, {helpers!r})
    from optimizer_cases import ElementwiseProblem, make_optimizer, LOSSES, take_step
    from dwmgrad.registry import OPTIMIZERS

    name, path, overrides = {name!r}, {path!r}, {overrides!r}
    start, stop, workdir = {start}, {stop}, {workdir!r}
    problem = ElementwiseProblem({shapes!r}, stop, seed=21)
    params = [p.detach().requires_grad_(True) for p in torch.load(workdir + "/params.pt")]
    opt = make_optimizer(OPTIMIZERS[name], params, path, **overrides)
    opt.load_state_dict(torch.load(workdir + "/optimizer.pt"))
    for t in range(start, stop):
        problem.set_torch_grads(params, t)
        take_step(opt, OPTIMIZERS[name], LOSSES[t])
    torch.save([p.detach() for p in params], workdir + "/continued.pt")
    """
)


def test_state_dict_continues_in_a_new_process(tmp_path: Path) -> None:
    """DWMGrad (global window state plus per-parameter state): run BEFORE steps, torch.save
    params and state_dict, continue in a fresh interpreter, compare with an uninterrupted run."""
    name, overrides = "DWMGrad", {"window_rule": "loss_increase", "max_second_moment": True}
    path = "foreach" if "foreach" in OPTIMIZERS[name].paths else "forloop"
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem(SHAPES, BEFORE + AFTER, seed=21)
    params = problem.torch_params()
    opt = make_optimizer(info, params, path, **overrides)
    continue_run(problem, name, opt, params, 0, BEFORE)
    torch.save([p.detach() for p in params], tmp_path / "params.pt")
    torch.save(opt.state_dict(), tmp_path / "optimizer.pt")
    continue_run(problem, name, opt, params, BEFORE, BEFORE + AFTER)

    script = CHILD.format(helpers=str(Path(__file__).parent), name=name, path=path,
                          overrides=overrides, start=BEFORE, stop=BEFORE + AFTER,
                          workdir=str(tmp_path), shapes=SHAPES)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    continued = torch.load(tmp_path / "continued.pt")
    for p, q in zip(params, continued, strict=True):
        assert torch.equal(p.detach(), q)
