"""Bad input is a clear error: invalid hyperparameters generated from each optimizer's
HyperParam table, sparse gradients, and DWMGrad without a loss."""

from __future__ import annotations

import math

import pytest
import torch
from optimizer_cases import construct, make_optimizer, take_step

from dwmgrad.registry import OPTIMIZERS

INVALID_CASES = [
    (name, param, bad)
    for name, info in sorted(OPTIMIZERS.items())
    for param, hp in info.hyperparameters.items()
    for bad in hp.invalid_examples()
]


def test_every_numeric_hyperparameter_has_invalid_examples() -> None:
    for name, info in OPTIMIZERS.items():
        for param, hp in info.hyperparameters.items():
            examples = hp.invalid_examples()
            assert examples, (name, param)
            if hp.kind == "float":
                assert any(isinstance(x, float) and math.isnan(x) for x in examples), (name, param)


@pytest.mark.parametrize(("name", "param", "bad"), INVALID_CASES,
                         ids=[f"{n}-{p}-{b!r}" for n, p, b in INVALID_CASES])
def test_invalid_hyperparameter_raises_naming_it(name: str, param: str, bad: object) -> None:
    info = OPTIMIZERS[name]
    kwargs = {**info.example_kwargs, param: bad}
    with pytest.raises(ValueError) as excinfo:
        construct(info.name, [torch.zeros(2, requires_grad=True)], **kwargs)
    message = str(excinfo.value)
    assert param in message, message
    assert repr(bad) in message, message


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_example_kwargs_are_valid(name: str) -> None:
    info = OPTIMIZERS[name]
    for param, hp in info.hyperparameters.items():
        if param in info.example_kwargs:
            hp.validate(info.example_kwargs[param])
    info.make([torch.zeros(2, requires_grad=True)])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_sparse_gradient_is_rejected(name: str) -> None:
    info = OPTIMIZERS[name]
    for path in info.paths:
        param = torch.zeros(4, 3, requires_grad=True)
        opt = make_optimizer(info, [param], path)
        param.grad = torch.eye(4, 3).to_sparse()
        with pytest.raises((RuntimeError, ValueError), match="(?i)sparse"):
            take_step(opt, info, 1.0)


def test_dwmgrad_without_loss_is_a_value_error() -> None:
    info = OPTIMIZERS["DWMGrad"]
    assert info.needs_loss
    assert not any(i.needs_loss for n, i in OPTIMIZERS.items() if n != "DWMGrad")
    for path in info.paths:
        param = torch.zeros(3, requires_grad=True)
        opt = make_optimizer(info, [param], path)
        param.grad = torch.ones(3)
        with pytest.raises(ValueError, match="(?i)loss"):
            opt.step()
        assert torch.equal(param.detach(), torch.zeros(3))


def test_dwmgrad_takes_the_loss_from_the_closure() -> None:
    """step(closure) uses closure()'s value as the loss: equal to passing it as loss=."""
    info = OPTIMIZERS["DWMGrad"]
    a = torch.ones(3, dtype=torch.float64, requires_grad=True)
    b = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt_a = construct(info.name, [a], window_rule="loss")
    opt_b = construct(info.name, [b], window_rule="loss")
    for loss_value in (-1.0, 2.0, -3.0):
        def closure(loss_value: float = loss_value) -> torch.Tensor:
            opt_a.zero_grad()
            linear = (0.5 * a).sum()  # gradient 0.5; value shifted to exactly loss_value
            loss = linear - linear.detach() + loss_value
            loss.backward()
            return loss

        opt_a.step(closure)
        b.grad = torch.full((3,), 0.5, dtype=torch.float64)
        opt_b.step(loss=loss_value)
        assert torch.equal(a, b)
        assert torch.equal(opt_a.window, opt_b.window)  # type: ignore[attr-defined]


# Written from the spec and the contract, independently of the package's HyperParam tables:
# values the rules exclude, and edge values they allow.
SPEC_INVALID = [
    ("DWMGrad", {"lr": -1e-3}), ("DWMGrad", {"eps": -1e-8}), ("DWMGrad", {"momentum": 1.0}),
    ("DWMGrad", {"init_window": 0}), ("DWMGrad", {"max_window": 0}),
    ("DWMGrad", {"window_rule": "loss_sign"}), ("DWMGrad", {"lr_schedule": "inv_linear"}),
    ("DWMGrad", {"momentum_decay": 0.0}), ("DWMGrad", {"momentum_decay": 1.5}),
    ("DWMGrad", {"init_window": 11, "max_window": 10}),
    ("AdaBelief", {"betas": (0.9, 1.0)}), ("AdaBelief", {"betas": (-0.1, 0.999)}),
    ("Aida", {"k": -1}), ("Aida", {"xi": -1e-20}), ("Aida", {"betas": (1.0, 0.999)}),
    ("DemonSGD", {"total_steps": 0}), ("DemonSGD", {"momentum": 1.0}),
    ("DemonAdam", {"total_steps": 0}),
    ("AdaptiveHB", {"max_momentum": 1.0}), ("AdaptiveHB", {"lr": -0.1}),
    ("AdamAHB", {"beta2": 1.0}), ("AdamAHB", {"max_momentum": -0.5}),
]
SPEC_VALID = [
    ("DWMGrad", {"momentum_decay": 1.0}), ("DWMGrad", {"init_window": 10, "max_window": 10}),
    ("DWMGrad", {"init_window": 1, "max_window": 1}), ("DWMGrad", {"lr_schedule": "inv_sqrt"}),
    ("DWMGrad", {"momentum": 0.0}), ("DWMGrad", {"max_second_moment": True}),
    ("Aida", {"k": 0}), ("AdaBelief", {"betas": (0.0, 0.0)}),
    ("DemonSGD", {"momentum": 0.0}), ("DemonSGD", {"total_steps": 1}),
    ("AdaptiveHB", {"max_momentum": 0.0}), ("AdamAHB", {"lr": 0.0}),
]


@pytest.mark.parametrize(("name", "bad"), SPEC_INVALID,
                         ids=[f"{n}-{b}" for n, b in SPEC_INVALID])
def test_values_the_spec_excludes_are_rejected(name: str, bad: dict[str, object]) -> None:
    info = OPTIMIZERS[name]
    with pytest.raises(ValueError) as excinfo:
        construct(name, [torch.zeros(2, requires_grad=True)], **{**info.example_kwargs, **bad})
    param, value = next(iter(bad.items()))
    assert param in str(excinfo.value) and repr(value) in str(excinfo.value), str(excinfo.value)


@pytest.mark.parametrize(("name", "edge"), SPEC_VALID,
                         ids=[f"{n}-{e}" for n, e in SPEC_VALID])
def test_edge_values_the_spec_allows_are_accepted(name: str, edge: dict[str, object]) -> None:
    info = OPTIMIZERS[name]
    param = torch.zeros(2, requires_grad=True)
    opt = construct(name, [param], **{**info.example_kwargs, **edge})
    param.grad = torch.ones(2)
    take_step(opt, info, 1.0)
    assert bool(torch.isfinite(param).all())


NAME_PATHS = [(name, path) for name, info in sorted(OPTIMIZERS.items()) for path in info.paths]


@pytest.mark.parametrize(("name", "path"), NAME_PATHS)
def test_step_with_closure_returns_its_loss(name: str, path: str) -> None:
    """torch.optim convention: step(closure) evaluates the closure (with grad enabled) and
    returns its loss."""
    param = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(OPTIMIZERS[name], [param], path)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    returned = opt.step(closure)
    assert isinstance(returned, torch.Tensor) and float(returned) == 3.0
    assert not torch.equal(param.detach(), torch.ones(3, dtype=torch.float64))


@pytest.mark.parametrize("loss", [1.0, torch.tensor([1.0, 2.0]), torch.ones(3, 1)],
                         ids=["scalar", "wrong-length", "wrong-rank"])
def test_dwmgrad_per_instance_loss_must_have_one_value_per_instance(loss: object) -> None:
    """Contract: with per_instance=True the loss has shape (B,)."""
    param = torch.zeros(3, 2, requires_grad=True)
    opt = construct("DWMGrad", [param], per_instance=True)
    param.grad = torch.ones(3, 2)
    with pytest.raises(ValueError, match="(?i)loss"):
        opt.step(loss=loss)
    assert torch.equal(param.detach(), torch.zeros(3, 2))
