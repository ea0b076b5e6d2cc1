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


@pytest.mark.slow
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


# ---------------------------------------------------------------- what load_state_dict refuses
def stepped_optimizer(name: str, shapes: list[tuple[int, ...]], **overrides: Any
                      ) -> tuple[Any, list[torch.Tensor]]:
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem(shapes, 3, seed=4)
    params = problem.torch_params()
    opt = make_optimizer(info, params, "forloop", **overrides)
    continue_run(problem, name, opt, params, 0, 3)
    return opt, params


def assert_refused_and_untouched(opt: Any, state_dict: Any, *words: str) -> None:
    """load_state_dict raises one line holding ``words`` and leaves ``opt`` as it was."""
    before = copy.deepcopy(opt.state_dict())
    defaults = dict(opt.defaults)
    with pytest.raises(ValueError) as excinfo:
        opt.load_state_dict(state_dict)
    message = str(excinfo.value)
    assert "\n" not in message and all(w in message for w in words), message
    after = opt.state_dict()
    assert opt.defaults == defaults and after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
    for key, entry in before["state"].items():
        for k, value in entry.items():
            assert torch.equal(after["state"][key][k], value), (key, k)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_foreign_state_dict_is_refused(name: str) -> None:
    """torch Adam's state_dict (KeyError 'momentum' at DWMGrad's first step before), and one
    of another optimizer of the package, are refused at load, naming what does not fit."""
    opt, params = stepped_optimizer(name, [(2, 3)])
    twin = params[0].detach().clone().requires_grad_()
    adam = torch.optim.Adam([twin])
    twin.grad = torch.ones_like(twin)
    adam.step()
    other = "DemonSGD" if name != "DemonSGD" else "AdaBelief"
    foreign, _ = stepped_optimizer(other, [(2, 3)])
    for state_dict in (adam.state_dict(), foreign.state_dict()):
        assert_refused_and_untouched(opt, state_dict, "Invalid state_dict")
    assert_refused_and_untouched(opt, [1, 2], "Invalid state_dict", "list")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_mismatched_state_is_refused_at_load(name: str) -> None:
    """State saved for a (3, 4) parameter loads nowhere else: refused at load (it failed at the
    first step after, once step/window/v had advanced); so are missing keys and int state."""
    saved, _ = stepped_optimizer(name, [(3, 4), (5,)])
    opt, _ = stepped_optimizer(name, [(3, 5), (5,)])
    state_dict = copy.deepcopy(saved.state_dict())
    assert_refused_and_untouched(opt, state_dict, "shape", "(3, 4)", "(3, 5)")
    fresh, _ = stepped_optimizer(name, [(3, 4), (5,)])
    entry = state_dict["state"][0]
    dropped = copy.deepcopy(state_dict)
    first = sorted(entry)[0]
    kept = dropped["state"][0].pop(first)
    if not dropped["state"][0]:      # its only key: an empty entry is a parameter never stepped
        dropped["state"][0][f"not_{first}"] = kept
    assert_refused_and_untouched(fresh, dropped, "Invalid state_dict", "parameter 0")
    as_int = copy.deepcopy(state_dict)
    key = sorted(entry)[-1]
    as_int["state"][0][key] = entry[key].to(torch.int64)
    assert_refused_and_untouched(fresh, as_int, "int64", repr(key))
    fewer = copy.deepcopy(state_dict)
    fewer["param_groups"][0]["params"] = fewer["param_groups"][0]["params"][:1]
    assert_refused_and_untouched(fresh, fewer, "param group 0")
    two_groups = copy.deepcopy(state_dict)
    two_groups["param_groups"].append(two_groups["param_groups"][0])
    assert_refused_and_untouched(fresh, two_groups, "2 param groups")
    unknown = copy.deepcopy(state_dict)
    unknown["state"][7] = unknown["state"][0]
    assert_refused_and_untouched(fresh, unknown, "parameter 7", "no param group")
    extra_global = copy.deepcopy(state_dict)
    extra_global["state"].setdefault("global", {})["extra"] = torch.zeros(())
    assert_refused_and_untouched(fresh, extra_global, "optimizer-wide state", "extra")


def test_invalid_settings_in_a_state_dict_are_refused() -> None:
    saved, _ = stepped_optimizer("DWMGrad", [(3,)])
    for bad in ({"max_window": 10**30}, {"lr": -1.0}, {"window_rule": "sign"},
                {"init_window": 12, "max_window": 11}, {"momentum": 1.0}, {"fused": "yes"}):
        state_dict = copy.deepcopy(saved.state_dict())
        state_dict["param_groups"][0].update(bad)
        opt, _ = stepped_optimizer("DWMGrad", [(3,)])
        name, value = next(iter(bad.items()))
        assert_refused_and_untouched(opt, state_dict, name, repr(value))


def test_a_state_dict_with_other_window_settings_restores_all_of_them() -> None:
    """A state_dict saved with window_rule="loss_decrease", init_window=2, max_window=3 loaded
    into a default DWMGrad: before, the window kept the optimizer's max_window (10) while the
    momentum used the loaded one (3). Now the whole configuration is the saved one and the run
    continues as the saved optimizer would, bit for bit."""
    settings = {"window_rule": "loss_decrease", "init_window": 2, "max_window": 3}
    problem = ElementwiseProblem(SHAPES, BEFORE + AFTER, seed=21)
    params = problem.torch_params()
    opt = make_optimizer(OPTIMIZERS["DWMGrad"], params, "forloop", **settings)
    continue_run(problem, "DWMGrad", opt, params, 0, BEFORE)
    twins = [p.detach().clone().requires_grad_() for p in params]
    loaded = make_optimizer(OPTIMIZERS["DWMGrad"], twins, "forloop")
    loaded.load_state_dict(copy.deepcopy(opt.state_dict()))
    for name, value in settings.items():
        assert loaded.defaults[name] == value and loaded.param_groups[0][name] == value
    continue_run(problem, "DWMGrad", opt, params, BEFORE, BEFORE + AFTER)
    continue_run(problem, "DWMGrad", loaded, twins, BEFORE, BEFORE + AFTER)
    assert float(loaded.window) <= 3
    assert torch.equal(loaded.window, opt.window)
    assert torch.equal(loaded.momentum_now, opt.momentum_now)
    for p, q in zip(params, twins, strict=True):
        assert torch.equal(p, q)


def test_loading_the_live_dict_shares_no_tensor() -> None:
    """torch.optim would share state tensors with the loaded dict; ours copies them."""
    opt, params = stepped_optimizer("DWMGrad", [(3,)])
    twins = [p.detach().clone().requires_grad_() for p in params]
    other = make_optimizer(OPTIMIZERS["DWMGrad"], twins, "forloop")
    other.load_state_dict(opt.state_dict())
    assert other.state["global"]["window"] is not opt.state["global"]["window"]
    assert other.state[twins[0]]["s"].data_ptr() != opt.state[params[0]]["s"].data_ptr()
