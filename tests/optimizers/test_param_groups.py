"""Parameter groups with different learning rates: each group follows the NumPy transcription
with its own lr (DWMGrad's window is optimizer-wide, but it depends only on the loss, so
both groups see the same window sequence as their separate transcriptions).

AdaptiveHB and AdamAHB are left out: their secant momentum uses norms over all parameters
and one lr, so per-group learning rates have no rule in the spec.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy_transcriptions import RULES
from optimizer_cases import LOSSES, ElementwiseProblem, construct, take_step

from dwmgrad.registry import OPTIMIZERS, path_kwargs

STEPS = 20
SHAPES = [(3, 2), (4,), (2, 2), (5,)]
GROUP_SIZES = (2, 2)
LRS = (1e-2, 3e-3)


PATHS = ["forloop", "foreach",
         # compiled: DWMGrad's and Aida's whole step as one graph (drivers.call_step), and
         # with the first group fused and the second on the for-loop, group by group
         pytest.param("fused", marks=pytest.mark.slow),
         pytest.param("mixed", marks=pytest.mark.slow)]


@pytest.mark.parametrize("name", ["DWMGrad", "AdaBelief", "Aida", "DemonSGD", "DemonAdam"])
@pytest.mark.parametrize("path", PATHS)
def test_each_group_follows_its_own_rule(name: str, path: str) -> None:
    info = OPTIMIZERS[name]
    base: dict[str, Any] = {k: v for k, v in info.example_kwargs.items() if k != "lr"}
    if name == "DWMGrad":
        base["window_rule"] = "loss_increase"
    problem = ElementwiseProblem(SHAPES, STEPS, seed=29)
    params = problem.torch_params()
    groups = [{"params": params[:2], "lr": LRS[0]}, {"params": params[2:], "lr": LRS[1]}]
    if path == "mixed":
        groups[0].update(path_kwargs("fused"))
    opt = construct(name, groups, lr=LRS[0], **base,
                    **path_kwargs("forloop" if path == "mixed" else path))

    refs, ref_params = [], []
    start = 0
    for size, lr in zip(GROUP_SIZES, LRS, strict=True):
        arrays = [x.copy() for x in problem.init[start:start + size]]
        refs.append((RULES[name](arrays, lr=lr, **base), start))
        ref_params.append(arrays)
        start += size

    for t in range(STEPS):
        problem.set_torch_grads(params, t)
        take_step(opt, info, LOSSES[t])
        for (rule, first), arrays in zip(refs, ref_params, strict=True):
            rule.step(arrays, problem.grad_numpy(arrays, t, first), LOSSES[t])

    flat_refs = [x for arrays in ref_params for x in arrays]
    for p, ref in zip(params, flat_refs, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), ref, rtol=1e-10, atol=1e-13)
