"""Shared helpers of the hardening tests: valid-hyperparameter strategies from the
optimizers' tables, stepping with or without the loss, and state inspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dwmgrad.registry import HyperParam, OptimizerInfo

#: Upper ends of the ranges drawn for unbounded hyperparameters (a valid, finite setting is
#: all the properties need; an astronomically large lr overflows any optimizer).
UNBOUNDED_HIGH = {"lr": 1.0, "eps": 1.0, "xi": 1e-3, "k": 4, "total_steps": 30,
                  "init_window": 6, "max_window": 12}
#: Stabilisers are drawn from [1e-30, high]: eps = 0 and xi = 0 are rejected by the tables (a
#: zero gradient would give 0/0), and a positive value below the dtype's smallest subnormal
#: number rounds to that same 0.
STABILISER_LOW = {"eps": 1e-30, "xi": 1e-30}


def valid_value(row: HyperParam) -> st.SearchStrategy[Any]:
    """Values inside ``row``'s declared range (drawn to include the inclusive ends)."""
    if row.kind == "bool":
        return st.booleans()
    if row.kind == "choice":
        return st.sampled_from(row.choices)
    low = row.low if row.low is not None else -1.0
    low = max(low, STABILISER_LOW.get(row.name, low))
    high = row.high if row.high is not None else UNBOUNDED_HIGH[row.name]
    if row.kind == "int":
        lo = int(low) + (0 if row.low_inclusive else 1)
        return st.integers(lo, int(high) - (0 if row.high_inclusive else 1))
    number = st.floats(min_value=low, max_value=high, allow_nan=False,
                       exclude_min=not row.low_inclusive and row.name not in STABILISER_LOW,
                       exclude_max=not row.high_inclusive)
    if row.kind == "betas":
        return st.tuples(number, number)
    return number


@st.composite
def valid_settings(draw: st.DrawFn, info: OptimizerInfo) -> dict[str, Any]:
    """A valid keyword setting of every hyperparameter except ``per_instance``."""
    out: dict[str, Any] = {}
    for name, row in info.hyperparameters.items():
        if name != "per_instance":
            out[name] = draw(valid_value(row))
    if "init_window" in out:
        out["init_window"] = min(out["init_window"], out["max_window"])
    return out


def scaled_vectors(size: int, low_exp: int, high_exp: int) -> st.SearchStrategy[list[float]]:
    """``size`` numbers: 10^e times entries in [-1, 1] (exact zeros included), with one
    exponent e per vector drawn from [low_exp, high_exp], the two ends drawn often."""
    exponent = st.one_of(st.sampled_from([low_exp, high_exp]), st.integers(low_exp, high_exp))
    entries = st.lists(st.one_of(st.just(0.0), st.floats(-1.0, 1.0)), min_size=size,
                       max_size=size)
    return st.builds(lambda e, xs: [x * 10.0**e for x in xs], exponent, entries)


def step(opt: Any, info: OptimizerInfo, loss: float | torch.Tensor) -> None:
    """One step; the loss is passed only to optimizers that use it."""
    if info.needs_loss:
        opt.step(loss=loss)
    else:
        opt.step()


def all_state_finite(opt: torch.optim.Optimizer, params: list[torch.Tensor]) -> list[str]:
    """Names of the state entries (and parameters) holding a non-finite value."""
    bad = [f"param{i}" for i, p in enumerate(params) if not bool(torch.isfinite(p).all())]
    for key, entry in opt.state.items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor) and not bool(torch.isfinite(value).all()):
                bad.append(f"{key if isinstance(key, str) else 'param'}.{name}")
    return bad


def run_property(check: Callable[..., None], examples: int, **strategies: Any) -> None:
    """Run ``check`` as a hypothesis property with ``examples`` derandomized examples (the same
    examples every run, so a failure reproduces and an xfail is stable). No shrinking: the
    failing example is reported as drawn."""
    prop = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])(
        given(**strategies)(check))
    prop()


#: (examples in the default run, examples in the slow run): each property runs in both.
FAST, THOROUGH = 5, 60
