"""Shared helpers of the optimizer tests: problems, loss sequences, stepping, state snapshots.

Everything here is independent of how the optimizers are implemented: it only uses the
public contract (``dwmgrad.registry.OPTIMIZERS``, ``step(loss=...)`` for optimizers that need
the loss, ``state_dict()``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch

from dwmgrad.registry import OPTIMIZERS, OptimizerInfo, path_kwargs

# Positive, then zero, then negative, then positive again; with init_window=5, max_window=10:
#   "loss"           grows to 10 (clamped), b = 0 at t=10 shrinks, negatives shrink to 2, regrows;
#   "loss_increase"  b_1 = 0 shrinks to 4, grows to 10, shrinks to 2, regrows;
#   "loss_decrease"  b_1 = 0 shrinks to 4, shrinks to 1 (clamped), grows to 9, shrinks to 4.
LOSSES: tuple[float, ...] = (
    0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 2.0, 1.0, 0.0,
    -1.0, -2.0, -3.0, -4.0, -5.0, -4.0, -3.0, 1.0, 2.0, 3.0,
)

WINDOW_RULES = ("loss", "loss_decrease", "loss_increase")

# Hyperparameter settings checked for every path, on top of each optimizer's example_kwargs.
# Every option that changes the rule appears at least once.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "DWMGrad": [
        *({"window_rule": rule} for rule in WINDOW_RULES),
        *(
            {"window_rule": rule, "lr_schedule": "inv_sqrt", "momentum_decay": 0.9,
             "max_second_moment": True}
            for rule in WINDOW_RULES
        ),
        {"window_rule": "loss_increase", "lr_schedule": "inv_sqrt"},
        {"window_rule": "loss_increase", "momentum_decay": 0.8},
        {"window_rule": "loss_decrease", "max_second_moment": True},
        {"window_rule": "loss_decrease", "init_window": 1, "max_window": 3},
    ],
    "Aida": [{"k": 2}, {"k": 0}, {"k": 1, "xi": 1e-12}],
    "DemonSGD": [{"total_steps": 12}],  # 20 steps reach beta = 0 after step 12
    "DemonAdam": [{"total_steps": 12}],
}


# The compiled (fused) step is one graph per parameter-list signature and per value of the
# options that change the graph (DWMGrad's max_second_moment, Aida's k); float options are
# passed in as tensors. So the fused path runs each optimizer's example setting and, for
# DWMGrad, one variant with every analysis option, which keeps the number of compilations
# (seconds each) small. Compiling is slow on a shared machine: fused cases are marked slow.
FUSED_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "DWMGrad": [
        {"window_rule": "loss"},
        {"window_rule": "loss_increase", "lr_schedule": "inv_sqrt", "momentum_decay": 0.9,
         "max_second_moment": True},
    ],
}

Case = tuple[str, str, dict[str, Any]]


def optimizer_cases(paths: Sequence[str] | None = None) -> list[Any]:
    """(name, path, overrides) for every registry entry, variant and (requested) path, as
    pytest params (fused cases marked slow)."""
    cases: list[Any] = []
    for name, info in sorted(OPTIMIZERS.items()):
        for path in info.paths:
            if paths is not None and path not in paths:
                continue
            if path == "fused":
                variants = FUSED_VARIANTS.get(name, [{}])
                marks = [pytest.mark.slow]
            else:
                variants, marks = VARIANTS.get(name, [{}]), []
            cases.extend(pytest.param((name, path, overrides), marks=marks,
                                      id=case_id((name, path, overrides)))
                         for overrides in variants)
    return cases


def slow_if_fused(name: str, path: str) -> Any:
    """``(name, path)`` as a pytest param, marked slow for the compiled path."""
    return pytest.param(name, path, marks=[pytest.mark.slow] if path == "fused" else [],
                        id=f"{name}-{path}")


def case_id(case: Case) -> str:
    name, path, overrides = case
    extra = ",".join(f"{k}={v}" for k, v in overrides.items())
    return f"{name}-{path}" + (f"-{extra}" if extra else "")


def construct(name: str, params: Sequence[torch.Tensor] | Sequence[dict[str, Any]],
              **kwargs: Any) -> Any:
    """``OPTIMIZERS[name].factory(params, **kwargs)``. Typed ``Any``: the registry types the class
    as a plain ``torch.optim.Optimizer``, whose ``step`` has no ``loss`` keyword."""
    cls: Any = OPTIMIZERS[name].factory
    return cls(params, **kwargs)


def make_optimizer(info: OptimizerInfo, params: Sequence[torch.Tensor], path: str,
                   **overrides: Any) -> Any:
    return construct(info.name, params, **{**info.example_kwargs, **overrides, **path_kwargs(path)})


def take_step(opt: Any, info: OptimizerInfo, loss: float | torch.Tensor) -> None:
    """One step; the loss is passed only to the optimizers that use it."""
    if info.needs_loss:
        opt.step(loss=loss)
    else:
        opt.step()


class ElementwiseProblem:
    """g_t(θ) = a ⊙ θ - b + z_t per tensor: a smooth problem whose gradient uses only
    elementwise products and sums, so NumPy and torch compute it with identical rounding."""

    def __init__(self, shapes: Sequence[tuple[int, ...]], steps: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.shapes = list(shapes)
        self.init = [rng.normal(size=s) for s in self.shapes]
        self.a = [rng.uniform(0.5, 2.0, size=s) for s in self.shapes]
        self.b = [rng.normal(size=s) for s in self.shapes]
        self.noise = [[0.3 * rng.normal(size=s) for s in self.shapes] for _ in range(steps)]

    def grad_numpy(self, params: Sequence[np.ndarray], t: int, first: int = 0
                   ) -> list[np.ndarray]:
        """Gradients at ``params``, which are the problem's tensors ``first``, ``first+1``, ..."""
        end = first + len(params)
        terms = zip(self.a[first:end], params, self.b[first:end], self.noise[t][first:end],
                    strict=True)
        return [a * p - b + z for a, p, b, z in terms]

    def torch_params(self, dtype: torch.dtype = torch.float64) -> list[torch.Tensor]:
        return [torch.tensor(x, dtype=dtype, requires_grad=True) for x in self.init]

    def set_torch_grads(self, params: Sequence[torch.Tensor], t: int,
                        row: int | None = None) -> None:
        """Gradients at ``params``; with ``row``, ``params`` are row ``row`` of the problem's
        tensors (one instance of a batch along dim 0)."""
        terms = zip(params, self.a, self.b, self.noise[t], strict=True)
        for p, *coefs in terms:
            a, b, z = (torch.from_numpy(np.asarray(c if row is None else c[row])).to(p.dtype)
                       for c in coefs)
            p.grad = a * p.detach() - b + z


def run_torch(
    problem: ElementwiseProblem,
    name: str,
    path: str,
    overrides: dict[str, Any],
    steps: int,
    losses: Sequence[float] = LOSSES,
    grad_hook: Callable[[list[torch.Tensor], int], None] | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[list[torch.Tensor], Any]:
    info = OPTIMIZERS[name]
    params = problem.torch_params(dtype)
    opt = make_optimizer(info, params, path, **overrides)
    for t in range(steps):
        problem.set_torch_grads(params, t)
        if grad_hook is not None:
            grad_hook(params, t)
        take_step(opt, info, losses[t])
    return params, opt


def state_snapshot(opt: torch.optim.Optimizer) -> dict[Any, dict[str, torch.Tensor]]:
    """A deep copy of the optimizer's ``state_dict()["state"]`` (keys: param index or name)."""
    return copy.deepcopy(opt.state_dict()["state"])


def assert_states_close(
    actual: dict[Any, Any], expected: dict[Any, Any], *, rtol: float, atol: float
) -> None:
    assert set(actual) == set(expected), (sorted(map(str, actual)), sorted(map(str, expected)))
    for key in expected:
        a, e = actual[key], expected[key]
        assert set(a) == set(e), (key, sorted(a), sorted(e))
        for name in e:
            try:
                torch.testing.assert_close(torch.as_tensor(a[name]), torch.as_tensor(e[name]),
                                           rtol=rtol, atol=atol)
            except AssertionError as exc:
                raise AssertionError(f"state[{key!r}][{name!r}]: {exc}") from None
