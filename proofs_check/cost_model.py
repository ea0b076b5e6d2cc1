"""Proof steps of :mod:`theory.cost_model`, and the counter that keeps it in sync with the code.

:class:`KernelCounter` is a ``TorchDispatchMode`` that sees every aten kernel of a step. A
kernel is an elementwise *pass* when one of its tensors has the size of a parameter (sizes
are chosen distinct and large); it then reads its distinct such operands (an ``out=``
argument is not read) and writes its outputs of that size. Every other kernel is a 0-d
*scalar op* (profiler markers excluded). The steps below compare these counts, the state the
optimizers allocate, and one step of their arithmetic, with the model.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from proofs_check.core import (
    Head,
    ProofStep,
    StepResult,
    check_symbolic,
    check_trajectory,
    registrar,
)
from theory import cost_model as cm
from theory import identities as ids

PROOF = "cost_model"
SIZES = (1009, 4001, 2003)
"""Parameter sizes used for counting (distinct primes, larger than any 0-d bookkeeping)."""

STEPS: list[ProofStep] = []
step = registrar(STEPS)

PassKey = tuple[str, int, int, bool]


class KernelCounter(TorchDispatchMode):
    """Counts elementwise passes over parameter-sized tensors, and the other (0-d) kernels."""

    def __init__(self, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.sizes = set(sizes)
        self.passes: Counter[PassKey] = Counter()
        self.scalar_ops = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None
                           ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = str(func)
        if name.startswith("profiler."):
            return out
        operands = tree_flatten((args, {k: x for k, x in kwargs.items() if k != "out"}))[0]
        reads = {(x.untyped_storage().data_ptr(), x.storage_offset()) for x in operands
                 if isinstance(x, torch.Tensor) and x.numel() in self.sizes}
        writes = sum(isinstance(x, torch.Tensor) and x.numel() in self.sizes
                     for x in tree_flatten(out)[0])
        if reads or writes:
            scaled = any(kwargs.get(k, 1) != 1 for k in ("alpha", "value"))
            self.passes[(name, len(reads), writes, scaled)] += 1
        else:
            self.scalar_ops += 1
        return out


def make_optimizer(name: str, params: list[torch.Tensor], **overrides: Any
                   ) -> torch.optim.Optimizer:
    """The for-loop path of optimizer ``name`` (``"Adam"``: torch's, foreach=False)."""
    if name == "Adam":
        return torch.optim.Adam(params, foreach=False, **overrides)
    import dwmgrad

    return dwmgrad.OPTIMIZERS[name].make(params, **dwmgrad.path_kwargs("forloop"), **overrides)


def _fill_grads(params: list[torch.Tensor], gen: torch.Generator) -> None:
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen, dtype=p.dtype)


def _call_step(name: str, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    if name == "DWMGrad":
        opt.step(loss=loss)  # type: ignore[call-overload]
    else:
        opt.step()


def count_step(name: str, tensors: int = 2, dtype: torch.dtype = torch.float64,
               options: Mapping[str, Any] | None = None
               ) -> tuple[KernelCounter, torch.optim.Optimizer, list[torch.Tensor]]:
    """Counts of the third step of ``name`` on ``tensors`` parameter tensors of SIZES.

    Gradients and the loss (a 0-d tensor, DWMGrad only) are made outside the counter.
    """
    gen = torch.Generator().manual_seed(0)
    params: list[torch.Tensor] = [
        torch.nn.Parameter(torch.randn(size, generator=gen, dtype=dtype))
        for size in SIZES[:tensors]]
    opt = make_optimizer(name, params, **(options or {}))
    loss = torch.tensor(1.0, dtype=dtype)
    for _ in range(2):
        _fill_grads(params, gen)
        _call_step(name, opt, loss)
    _fill_grads(params, gen)
    counter = KernelCounter(SIZES[:tensors])
    with counter:
        _call_step(name, opt, loss)
    return counter, opt, params


# --- steps ----------------------------------------------------------------------------------
@step(PROOF, "for every optimizer, n(d·c + o(d))/(n·d) → c = flops per parameter as d → ∞: "
             "total time Θ(n·d)")
def theta_n_d(head: Head) -> StepResult:
    gap = sp.Integer(0)
    for model in cm.MODELS.values():
        gap += (sp.limit(model.total_time / (cm.n * cm.d), cm.d, sp.oo) - model.flops) ** 2
    return check_symbolic(*head, gap, sp.Integer(0), "==")


@functools.lru_cache(maxsize=1)
def pass_records() -> dict[str, np.ndarray]:
    """One row per (optimizer, tensors, K, kernel): counted and modelled passes, scalar ops."""
    rows: list[tuple[float, float]] = []
    for model in cm.MODELS.values():
        name = model.optimizer
        settings: list[dict[str, Any]] = [{"k": k} for k in (0, 1, 3)] if name == "Aida" else [{}]
        for extra in settings:
            k = extra.get("k", 2)
            for tensors in (1, 2):
                counter, _, _ = count_step(name, tensors, options={**model.options, **extra})
                want = {key: c * tensors for key, c in model.pass_counts(k).items()}
                for key in set(want) | set(counter.passes):
                    rows.append((counter.passes.get(key, 0), want.get(key, 0)))
                rows.append((counter.scalar_ops,
                             float(model.scalar_ops.subs({cm.P: tensors, cm.K: k}))))
    counted, modelled = np.asarray(rows).T
    return {"counted": counted, "modelled": modelled}


@step(PROOF, "the kernels of one for-loop step (each optimizer, 1 and 2 tensors, Aida K = 0, "
             "1, 3) are exactly the model's passes, and its 0-d ops the model's scalar_ops")
def passes_match_code(head: Head) -> StepResult:
    return check_trajectory(*head, lambda counted, modelled: -np.abs(counted - modelled),
                            pass_records(), tol=0.0)


@step(PROOF, "bytes of d-element state per parameter = model's state tensors × itemsize "
             "(float32 and float64)")
def state_matches_code(head: Head) -> StepResult:
    counted, modelled = [], []
    for model in cm.MODELS.values():
        for dtype in (torch.float32, torch.float64):
            _, opt, params = count_step(model.optimizer, 2, dtype, model.options)
            for p in params:
                state = opt.state[p]
                size = sum(x.numel() * x.element_size() for x in state.values()
                           if isinstance(x, torch.Tensor) and x.numel() == p.numel())
                keys = {k for k, x in state.items()
                        if isinstance(x, torch.Tensor) and x.numel() == p.numel()}
                counted.append(size / p.numel() + 1000 * (keys != set(model.state.values())))
                modelled.append(float(model.state_bytes_per_param(p.element_size())))
    records = {"counted": np.asarray(counted), "modelled": np.asarray(modelled)}
    return check_trajectory(*head, lambda counted, modelled: -np.abs(counted - modelled),
                            records, tol=0.0)


def _step_scalars(name: str, opt: torch.optim.Optimizer, p: torch.Tensor,
                  before: Mapping[str, torch.Tensor], g: torch.Tensor) -> dict[sp.Symbol, float]:
    """The per-step scalars of the model's program, read from the optimizer."""
    group = opt.param_groups[0]
    out: dict[sp.Symbol, float] = {cm.alpha: group["lr"]}
    if "eps" in group:
        out[cm.eps] = group["eps"]
    if "betas" in group:
        out[cm.beta1], out[cm.beta2] = group["betas"]
    if "beta2" in group:
        out[cm.beta2] = group["beta2"]
    if "step" in opt.state[p]:
        out[cm.t] = float(opt.state[p]["step"])
    if name == "DWMGrad":
        out[cm.omega] = float(opt.window)  # type: ignore[attr-defined]
        out[cm.mu] = float(opt.momentum_now)  # type: ignore[attr-defined]
        if group["lr_schedule"] == "inv_sqrt":
            step_count = opt.state["global"]["step"]  # type: ignore[index]
            out[cm.alpha] = group["lr"] / float(step_count) ** 0.5
    elif name in ("AdaptiveHB", "AdamAHB"):
        out[cm.beta] = float(opt.momentum_now)  # type: ignore[attr-defined]
    elif name.startswith("Demon"):
        from dwmgrad.demon import demon_beta

        start = group["momentum"] if name == "DemonSGD" else group["betas"][0]
        out[cm.beta] = float(demon_beta(before["step"], group["total_steps"], start))
    elif name == "Aida":  # K = 2: p_K = q_K = cos²∠(g, m_t) (theory.identities closed form)
        m_new = opt.state[p]["m"]
        cos = float(torch.dot(g, m_new) / (g.norm() * m_new.norm()))
        out[cm.p_k] = out[cm.q_k] = float(ids.EVEN_P.subs({ids.j: 1, ids.cos_theta: cos}))
    return out


def _run_program(model: cm.CostModel, env: dict[sp.Basic, Any]) -> dict[sp.Basic, Any]:
    for target, expr in model.program:
        symbols = sorted(expr.free_symbols, key=str)
        env[target] = sp.lambdify(symbols, expr, "numpy")(*(env[x] for x in symbols))
    return env


@functools.lru_cache(maxsize=1)
def expression_records() -> dict[str, np.ndarray]:
    """Relative gap between the model's program and one real step, per optimizer and state."""
    gaps: list[float] = []
    for model in cm.MODELS.values():
        name = model.optimizer
        _, opt, params = count_step(name, 1, options=model.options)
        p = params[0]
        before = {k: x.clone() for k, x in opt.state[p].items() if isinstance(x, torch.Tensor)}
        theta_before = p.detach().clone()
        _fill_grads(params, torch.Generator().manual_seed(1))
        _call_step(name, opt, torch.tensor(2.0, dtype=p.dtype))
        assert p.grad is not None
        g = p.grad
        env: dict[sp.Basic, Any] = {cm.g: g.numpy(), cm.theta: theta_before.numpy()}
        env.update({sym: before[key].numpy() for sym, key in model.state.items()})
        env.update(_step_scalars(name, opt, p, before, g))
        env = _run_program(model, env)
        after = {cm.theta: p.detach().numpy(),
                 **{sym: opt.state[p][key].numpy() for sym, key in model.state.items()}}
        for sym, value in after.items():
            want = np.broadcast_to(env[cm.NEW_VALUE[sym]], value.shape)
            gaps.append(float(np.max(np.abs(value - want)) / (np.max(np.abs(value)) + 1e-300)))
    return {"relative_gap": np.asarray(gaps)}


@step(PROOF, "the model's update expressions reproduce one real step of every optimizer "
             "(float64, every state tensor and θ, relative gap ≤ 1e-12)")
def expressions_match_code(head: Head) -> StepResult:
    return check_trajectory(*head, lambda relative_gap: -relative_gap, expression_records(),
                            tol=1e-12)
