"""Optimizers named by import path: resolution, option checks, and per-instance runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from experiments import external
from experiments.runner import run_spec, validate_spec
from experiments.spec import RunSpec


@pytest.mark.parametrize(("path", "message"), [
    ("nosuch:X", "cannot import module 'nosuch'"),
    ("torch.optim", "not an import path"),
    ("torch.optim:NoSuch", "has no 'NoSuch'"),
    ("torch.nn:Linear", "not a subclass of torch.optim.Optimizer"),
    ("math:pi", "not a subclass of torch.optim.Optimizer"),
])
def test_bad_paths_are_named(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        external.resolve(path)


def test_a_good_path_resolves() -> None:
    assert external.resolve("torch.optim:Adagrad") is torch.optim.Adagrad


@pytest.mark.parametrize("options", [{"lr": "x"}, {"nosuch": 1}, {"lr": -1.0}])
def test_options_the_class_rejects_are_named(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="rejected by torch.optim:Adagrad"):
        external.check_options("torch.optim:Adagrad", options)


def test_a_spec_naming_a_bad_path_is_rejected_before_running() -> None:
    spec = RunSpec(experiment="t", problem="online_linear", optimizer="nosuch:X",
                   horizon=3, seeds=(0,), problem_params={"d": 2})
    with pytest.raises(ValueError, match="cannot import module 'nosuch'"):
        validate_spec(spec)


def _rows_mixing_optimizer() -> type[torch.optim.Optimizer]:
    """SGD normalised by the norm of the whole tensor: batching rows would mix instances."""

    class WholeNorm(torch.optim.Optimizer):
        def __init__(self, params: object, lr: float = 0.1) -> None:
            super().__init__(params, {"lr": lr})

        @torch.no_grad()
        def step(self, closure: object = None) -> None:
            for group in self.param_groups:
                for p in group["params"]:
                    p.add_(p.grad / (p.grad.norm() + 1e-12), alpha=-group["lr"])

    return WholeNorm


def test_each_instance_runs_as_if_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batched run of an optimizer that reads the whole tensor equals its instances run
    one by one (PerInstance); stepping the (B, d) tensor with one optimizer would not."""
    import experiments.external as module

    cls = _rows_mixing_optimizer()
    monkeypatch.setattr(module, "resolve", lambda path: cls)
    spec = RunSpec(experiment="t", problem="online_quadratic", optimizer="tests:WholeNorm",
                   problem_params={"d": 3}, hyperparameters={"lr": 0.1}, seeds=(0, 1, 2),
                   horizon=20, record=("x",))
    batched = run_spec(spec)
    for i, seed in enumerate(spec.seeds):
        alone = run_spec(spec.with_changes(seeds=[seed]))
        np.testing.assert_array_equal(alone.losses[0], batched.losses[i])

    def shared(self: external.PerInstance, cls_: type, param: torch.Tensor,
               options: dict[str, object]) -> None:          # the mutant: one optimizer
        self.param, self.rows = param, [param]
        self.optimizers = [cls_([param], **options)]

    monkeypatch.setattr(external.PerInstance, "__init__", shared)
    mixed = run_spec(spec)
    assert not np.array_equal(mixed.losses, batched.losses)
