"""Every optimizer decreases the loss of a fixed random least-squares problem.

f(θ) = ½‖Aθ - b‖² / n, A (n=40)×(d=6) standard normal, b = A x* + 0.01·noise with x* ~ 0.2·N(0,1),
θ_0 = 0. L = λ_max(AᵀA)/n ≈ (1 + sqrt(d/n))² ≈ 1.9 for these sizes. Defaults everywhere;
the optimizers without a default lr (DemonSGD, AdaptiveHB) get lr = 0.1 < 1/L, and DemonSGD
total_steps = 200 (the budget). Claim checked: after 200 steps f < 0.5 f(θ_0). The fused path
is not run here: it equals the for-loop path (test_foreach_matches_forloop).
"""

from __future__ import annotations

import inspect

import pytest
import torch
from optimizer_cases import construct, take_step

from dwmgrad.registry import OPTIMIZERS, path_kwargs

STEPS = 200
REQUIRED = {"lr": 0.1, "total_steps": STEPS}


def least_squares() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(40, 6, generator=gen, dtype=torch.float64)
    x_star = 0.2 * torch.randn(6, generator=gen, dtype=torch.float64)
    b = a @ x_star + 0.01 * torch.randn(40, generator=gen, dtype=torch.float64)
    return a, b


def required_kwargs(cls: type) -> dict[str, object]:
    """The documented values for the constructor arguments that have no default."""
    required = {name for name, p in inspect.signature(cls).parameters.items()
                if p.default is inspect.Parameter.empty and name != "params"}
    assert required <= REQUIRED.keys(), required
    return {name: REQUIRED[name] for name in required}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("path", ["forloop", "foreach"])
def test_loss_halves_on_least_squares(name: str, path: str) -> None:
    info = OPTIMIZERS[name]
    if path not in info.paths:
        pytest.skip(f"{name} has no {path} path")
    a, b = least_squares()
    theta = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt = construct(info.name, [theta], **required_kwargs(info.factory), **path_kwargs(path))

    def loss_fn() -> torch.Tensor:
        return 0.5 * ((a @ theta - b) ** 2).mean()

    initial = float(loss_fn())
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        take_step(opt, info, loss.detach())
    final = float(loss_fn())
    assert final < 0.5 * initial, (initial, final)
