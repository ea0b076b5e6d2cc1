"""Implementation tests of DWMGrad's own promises not covered by a generic test: the analysis
options (inv_sqrt schedule, momentum decay, max second moment) and non-finite losses.

Elsewhere: the RMSprop reduction and the window growth (test_exact_reductions), each rule's
window and the optimizer-wide state after every step (test_matches_numpy_transcription),
groups sharing the window with their own lr (test_param_groups), per-instance windows
(test_per_instance), path agreement, state_dict round trips and host reads
(test_foreach_matches_forloop, test_state_dict, test_no_host_sync).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
import torch
from torch import Tensor

from dwmgrad import DWMGrad

F64 = torch.float64


def _displacements(steps: int, **kwargs: Any) -> tuple[list[Tensor], DWMGrad]:
    p = torch.zeros(4, dtype=F64, requires_grad=True)
    opt = DWMGrad([p], lr=0.1, init_window=4, max_window=4, **kwargs)
    out = []
    gen = torch.Generator().manual_seed(6)
    for t in range(steps):
        before = p.detach().clone()
        p.grad = torch.randn(4, generator=gen, dtype=F64) * (3.0 if t == 0 else 0.1)
        opt.step(loss=1.0)
        out.append(p.detach() - before)
    return out, opt


def test_inv_sqrt_schedule_scales_each_step_by_one_over_sqrt_t() -> None:
    const, _ = _displacements(5, momentum=0.0)
    decayed, _ = _displacements(5, momentum=0.0, lr_schedule="inv_sqrt")
    for t, (c, d) in enumerate(zip(const, decayed, strict=True), start=1):
        torch.testing.assert_close(d, c / t**0.5, rtol=1e-13, atol=0)


def test_momentum_decay_multiplies_mu_by_lambda_power() -> None:
    _, opt = _displacements(4, momentum=0.9, momentum_decay=0.5)
    assert float(opt.momentum_now) == pytest.approx(0.9 * 0.5**3, rel=1e-15)
    _, paper = _displacements(4, momentum=0.9)
    assert float(paper.momentum_now) == 0.9


def test_max_second_moment_keeps_running_max_and_changes_steps() -> None:
    # A large first gradient then small ones: s shrinks, s_hat keeps its maximum.
    plain, plain_opt = _displacements(4, momentum=0.0)
    amsg, opt = _displacements(4, momentum=0.0, max_second_moment=True)
    p = opt.param_groups[0]["params"][0]
    state = opt.state[p]
    assert torch.all(state["s_hat"] >= state["s"]) and torch.any(state["s_hat"] > state["s"])
    plain_p = plain_opt.param_groups[0]["params"][0]
    torch.testing.assert_close(state["s"], plain_opt.state[plain_p]["s"])
    torch.testing.assert_close(amsg[0], plain[0])  # identical until s starts to shrink
    assert torch.all(amsg[-1].abs() < plain[-1].abs())


# ---------------------------------------------------------------- non-finite losses
FINITE = (1.0, 2.0, 1.5, 0.5, 3.0, -1.0)
NONFINITE = (math.nan, math.inf, -math.inf)


def _windows(losses: list[float | Tensor], rule: str, **kwargs: Any) -> tuple[list[float], DWMGrad]:
    p = torch.zeros(2, dtype=F64, requires_grad=True)
    opt = DWMGrad([p], window_rule=rule, init_window=3, max_window=6, **kwargs)
    out = []
    for loss in losses:
        p.grad = torch.ones(2, dtype=F64)
        opt.step(loss=loss)
        out.append(float(opt.window))
    return out, opt


@pytest.mark.parametrize("rule", ["loss", "loss_decrease", "loss_increase"])
def test_a_nonfinite_loss_holds_the_window(rule: str) -> None:
    """The rule (module docstring): a NaN/±inf loss leaves ω and the previous loss alone (so
    the run equals the run without it), is counted, and the step counter goes on. Before,
    NaN shrank the window (twice under loss_decrease) and +inf grew it."""
    plain, _ = _windows(list(FINITE), rule)
    for bad in NONFINITE:
        for at in (0, 2, len(FINITE)):
            losses: list[float | Tensor] = [*FINITE[:at], bad, *FINITE[at:]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                held, opt = _windows(losses, rule)
            expected = plain[:at] + [plain[at - 1] if at else 3.0] + plain[at:]
            assert held == expected, (bad, at)
            state = opt.state["global"]  # type: ignore[index]
            assert float(state["step"]) == len(losses) and float(opt.nonfinite_losses) == 1
            tensor_losses = [torch.tensor(x, dtype=F64) for x in losses]
            assert _windows(tensor_losses, rule)[0] == expected


def test_a_nonfinite_loss_holds_only_its_own_instance() -> None:
    p = torch.zeros(3, 2, dtype=F64, requires_grad=True)
    opt = DWMGrad([p], per_instance=True, window_rule="loss_decrease")
    for loss in ([1.0, 1.0, 1.0], [0.5, math.nan, math.inf], [0.25, 0.5, 0.5]):
        p.grad = torch.ones(3, 2, dtype=F64)
        opt.step(loss=torch.tensor(loss, dtype=F64))
    # row 0 grew twice from 4; row 1 held, then 0.5 < 1.0 grew; row 2 held, then grew
    assert opt.window.tolist() == [6.0, 5.0, 5.0]
    assert opt.nonfinite_losses.tolist() == [0.0, 1.0, 1.0]


def test_a_nonfinite_python_loss_warns_once_and_a_tensor_loss_never() -> None:
    p = torch.zeros(2, requires_grad=True)
    opt = DWMGrad([p])
    p.grad = torch.ones(2)
    with pytest.warns(RuntimeWarning, match="non-finite loss nan.*holds still") as record:
        opt.step(loss=math.nan)
        opt.step(loss=math.inf)
    assert len([w for w in record if issubclass(w.category, RuntimeWarning)]) == 1
    quiet = DWMGrad([p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.step(loss=torch.tensor(math.nan))  # not read on the host: counted only
    assert float(quiet.nonfinite_losses) == 1
