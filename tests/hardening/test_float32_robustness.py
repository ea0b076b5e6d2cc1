"""Float32 robustness of the optimizers at settings their tables declare valid.

* Large gradients (|g| = 1e13..1e18; g² is still representable): Aida's projections once
  overflowed here (g·<g, m> before the division).
* Coefficients within 2^-24 of 1 (valid: the tables allow [0, 1)), which round to 1 in
  float32: torch.optim.Adam computes its bias corrections 1 - β^t in Python float64 and stays
  finite; every optimizer here must too (they once divided by a float32 1 - β^t = 0).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hardening_helpers import step

from dwmgrad.registry import OPTIMIZERS

NEAR_ONE = 1 - 1e-9
def coefficient_cases() -> list[object]:
    """(optimizer, hyperparameter, value) for every coefficient with range [0, 1)."""
    cases: list[object] = []
    for name, info in sorted(OPTIMIZERS.items()):
        for param, row in sorted(info.hyperparameters.items()):
            if row.high != 1.0 or row.high_inclusive:
                continue
            settings = ([("beta1", (NEAR_ONE, 0.5)), ("beta2", (0.5, NEAR_ONE))]
                        if row.kind == "betas" else [(param, NEAR_ONE)])
            for label, value in settings:
                key = label if row.kind == "betas" else param
                cases.append(pytest.param(name, row.name, value, id=f"{name}-{key}"))
    return cases


def run_float32(name: str, grads: list[list[float]],
                **kwargs: object) -> tuple[torch.Tensor, dict[str, Any]]:
    info = OPTIMIZERS[name]
    p = torch.ones(2, 3, dtype=torch.float32, requires_grad=True)
    opt = info.make([p], **kwargs)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float32).expand(2, 3).clone()
        step(opt, info, 1.0)
    return p.detach(), opt.state[p]


@pytest.mark.parametrize(("name", "param", "value"), coefficient_cases())
def test_coefficient_next_to_one_stays_finite_in_float32(name: str, param: str,
                                                         value: object) -> None:
    p, state = run_float32(name, [[1.0, -2.0, 0.0]] * 3, **{param: value})
    assert bool(torch.isfinite(p).all()), p
    bad = [k for k, v in state.items() if isinstance(v, torch.Tensor)
           and not bool(torch.isfinite(v).all())]
    assert not bad, bad


def test_torch_adam_is_finite_there_too() -> None:
    """The reference behaviour the test above asks for."""
    for betas in ((NEAR_ONE, 0.5), (0.5, NEAR_ONE)):
        p = torch.ones(3, requires_grad=True)
        opt = torch.optim.Adam([p], betas=betas)
        for _ in range(3):
            p.grad = torch.tensor([1.0, -2.0, 0.0])
            opt.step()
        assert bool(torch.isfinite(p).all())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("magnitude", [1e13, 1e18])
def test_large_float32_gradients_stay_finite(name: str, magnitude: float) -> None:
    grads = [[magnitude, -magnitude, 0.5 * magnitude], [-magnitude, magnitude, 0.0]] * 2
    p, state = run_float32(name, grads)
    assert bool(torch.isfinite(p).all()), p
    bad = [k for k, v in state.items() if isinstance(v, torch.Tensor)
           and not bool(torch.isfinite(v).all())]
    assert not bad, bad
