"""per_instance=True: B problem instances batched along dim 0 of every parameter evolve
exactly as B separate runs with per_instance=False (contract of the optimizer package).

Each instance b has its own loss sequence (DWMGrad's window is then per instance, shape (B,))
and its rows of every tensor; everything the rule shares across coordinates (DWMGrad's
window, Aida's inner products, AdaptiveHB/AdamAHB's norms) must be computed per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
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

B = 3
SHAPES = [(B, 4), (B,), (B, 2, 2)]
STEPS = 12
RTOL, ATOL = 1e-12, 1e-14


def instance_losses(b: int) -> list[float]:
    """Instance b sees a shifted, scaled copy of LOSSES, so the windows differ by instance."""
    return [(1 + b) * LOSSES[(t + 3 * b) % len(LOSSES)] for t in range(STEPS)]


@pytest.mark.parametrize("case", optimizer_cases(), ids=case_id)
def test_batched_instances_equal_separate_runs(case: tuple[str, str, dict[str, Any]]) -> None:
    name, path, overrides = case
    info = OPTIMIZERS[name]
    problem = ElementwiseProblem(SHAPES, STEPS, seed=13)
    losses = np.array([instance_losses(b) for b in range(B)])  # (B, STEPS)

    batched = problem.torch_params()
    opt = make_optimizer(info, batched, path, per_instance=True, **overrides)
    singles = [[p.detach()[b].clone().requires_grad_(True) for p in batched] for b in range(B)]
    single_opts = [make_optimizer(info, ps, path, **overrides) for ps in singles]
    for t in range(STEPS):
        problem.set_torch_grads(batched, t)
        take_step(opt, info, torch.tensor(losses[:, t], dtype=torch.float64))
        for b in range(B):
            problem.set_torch_grads(singles[b], t, row=b)
            take_step(single_opts[b], info, float(losses[b, t]))

    for b in range(B):
        for p, q in zip(singles[b], batched, strict=True):
            torch.testing.assert_close(p.detach(), q.detach()[b], rtol=RTOL, atol=ATOL)
    if info.needs_loss:
        windows = torch.stack([o.window for o in single_opts])
        assert torch.equal(opt.window, windows)
        assert len(set(windows.tolist())) > 1  # the instances really differ
