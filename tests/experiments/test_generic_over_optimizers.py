"""A built-in optimizer registered through ``dwmgrad.registry.register_built_in`` (the one call a
new built-in adds besides its module, NumPy transcription and cost model) reaches every
experiment that is generic over optimizers, with the learning rate of its step kind, and no
other file needs to name it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch import Tensor

from dwmgrad.base import TensorListOptimizer
from dwmgrad.hyperparams import lr_row, per_instance_row, table, unit_row
from dwmgrad.registry import OPTIMIZER_REGISTRY, OPTIMIZERS, register_built_in
from dwmgrad.tensor_list import Coef, Vec, add_scaled_, coefficient
from experiments.named import (
    cost_scaling,
    counterexample_search,
    empirical,
    invariance,
    online,
    reddi,
)
from experiments.runner import validate_spec
from experiments.spec import RunSpec
from verify_io.plugins import built_in

NAME = "SignumForTest"


def signum_tensor_step(p: Vec, g: Vec, m: Vec, *, lr: Coef, momentum: float) -> None:
    """signSGD with momentum: m <- beta m + (1 - beta) g; theta <- theta - lr sign(m)."""
    m.lerp_(g, 1 - momentum)  # type: ignore[arg-type]
    add_scaled_(p, m.sign(), -lr)  # type: ignore[operator]


class SignumForTest(TensorListOptimizer):
    hyperparameters = table(lr_row(), unit_row("momentum"), per_instance_row())
    state_keys = ("m",)

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.9, *,
                 per_instance: bool = False, foreach: bool | None = None,
                 fused: bool | None = None) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, per_instance=per_instance,
                                      foreach=foreach, fused=fused))

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        (m,) = self._state_lists(params, ("m",), lambda p: {"m": torch.zeros_like(p)})
        self._run(group, signum_tensor_step, [params, [p.grad for p in params], m],  # type: ignore[misc]
                  {"lr": coefficient(group["lr"]), "momentum": float(group["momentum"])})


@pytest.fixture(params=["normalised", "gradient"])
def new_built_in(request: pytest.FixtureRequest) -> Iterator[str]:
    with built_in():
        register_built_in(NAME, SignumForTest, dict(SignumForTest.hyperparameters),
                          {"lr": 1e-2}, False, "test only", step_kind=request.param)
    try:
        yield str(request.param)
    finally:
        del OPTIMIZER_REGISTRY[NAME]
        del OPTIMIZERS[NAME]


def _mine(specs: list[RunSpec]) -> list[RunSpec]:
    found = [s for s in specs if s.optimizer == NAME]
    for spec in found:
        validate_spec(spec)
    return found


def test_a_new_built_in_reaches_every_generic_experiment(new_built_in: str) -> None:
    online_lr = online.SGD_LR if new_built_in == "gradient" else online.ADAPTIVE_LR
    assert online.all_settings()[NAME] == (NAME, {"lr": online_lr})
    assert _mine(reddi.specs("quick"))
    assert {s.hyperparameters["lr"] for s in _mine(invariance.specs("quick"))} == {online_lr}
    assert NAME in [t.optimizer for t in counterexample_search.targets("full")]
    assert NAME in empirical.labels()      # evaluated at its default lr (no claim compares it)
    for problem, (_, _, adaptive, sgd, _) in empirical.PROBLEM_SETUPS.items():
        (spec,) = _mine([empirical.problem_spec(NAME, problem, "quick")])
        assert spec.hyperparameters["lr"] == (sgd if new_built_in == "gradient" else adaptive)
    timed = _mine(cost_scaling.specs("quick"))
    sizes = {int(s.problem_params["d"]) for s in timed}
    assert sizes == set(cost_scaling.sizes("quick")) | {cost_scaling.N_SWEEP_DIM}


def test_the_temporary_built_in_is_gone_afterwards() -> None:
    assert NAME not in OPTIMIZERS and NAME not in online.all_settings()
