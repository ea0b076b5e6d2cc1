"""Float32 robustness of the optimizers at settings their tables declare valid.

* Large gradients (|g| = 1e13..1e18; g² is still representable): Aida's projections once
  overflowed here (g·<g, m> before the division).
* A tiny gradient after large ones (|g| = 1e-30 after |m| ≈ 1e16, ξ = 1e-30): Aida's
  projection coefficient p = ⟨g, m⟩/(‖g‖² + ξ) ≈ 1e16 then overflowed float32 through
  p/(p²‖g‖² + ξ), and inf · 0 gave NaN (found by CI's property test, fixed in b7c8484 with
  p and q in float64; on the fused path ξ, a float32 tensor there, still pulled them back to
  float32 until ξ was made float64 too).
* Coefficients within 2^-24 of 1 (valid: the tables allow [0, 1)), which round to 1 in
  float32: torch.optim.Adam computes its bias corrections 1 - β^t in Python float64 and stays
  finite; every optimizer here must too (they once divided by a float32 1 - β^t = 0).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hardening_helpers import step

from dwmgrad.registry import OPTIMIZERS, path_kwargs

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


@pytest.mark.parametrize("path", ["forloop", "foreach",
                                  pytest.param("fused", marks=pytest.mark.slow)])
def test_aida_tiny_gradient_after_huge_ones_stays_finite(path: str) -> None:
    """The sequence of b7c8484: |g| = 1e17, then 1e-30 (‖g‖² underflows to 0 in float32),
    with ξ = 1e-30. Before b7c8484 (and on the fused path until ξ was made float64) the
    parameters and s became NaN at the second step."""
    grads = [[1e17, 1e17, 1e17], [1e-30, 1e-30, 1e-30], [1e-30, -1e-30, 1e-30]]
    p, state = run_float32("Aida", grads, xi=1e-30, **path_kwargs(path))
    assert bool(torch.isfinite(p).all()), p
    bad = [k for k, v in state.items() if isinstance(v, torch.Tensor)
           and not bool(torch.isfinite(v).all())]
    assert not bad, bad
