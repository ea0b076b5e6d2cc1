"""Fuzz: every optimizer rejects bad hyperparameters with a ValueError that names the
parameter and the bad value, and raises nothing else.

The bad values come from two sources: each optimizer's declared table
(``HyperParam.invalid_examples()``, the constructors' own source of truth) and a seeded
generator of odd values per kind (nan/inf of several numeric types, strings, None,
containers, out-of-range or malformed betas, wrong-type ints and choices). Each value is
tried in the constructor and, separately, in a param group added later (``add_param_group``),
which must validate the same way.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch

from dwmgrad.registry import OPTIMIZERS, HyperParam

SEED = 20261121
#: Hyperparameters that may differ between param groups (the optimizer-wide ones may not).
NOT_PER_GROUP = {"per_instance", "init_window", "max_window", "window_rule"}


def odd_values(row: HyperParam, rng: random.Random) -> list[object]:
    """Generated values of the wrong kind or outside ``row``'s range (never valid)."""
    common: list[object] = [None, "", "nan", [], {}, object.__name__, complex(1, 1)]
    if row.kind == "float":
        out = [math.nan, -math.inf, math.inf, np.float64("nan"), np.float32("inf"), "1e-3",
               b"0.1", [0.1], (0.1,), Fraction(-1, 3) if row.low is not None else None]
        if row.low is not None:
            out += [row.low - 10 ** rng.uniform(-3, 3), -1e300]
        if row.high is not None:
            out += [row.high + 10 ** rng.uniform(-3, 3), 1e300]
        return [v for v in out if v is not None] + common[1:]
    if row.kind == "int":
        out = [1.0, 2.5, math.nan, math.inf, "5", np.float64(3.0), [3], False]
        if row.low is not None:
            out += [int(row.low) - rng.randint(1, 1000), -(2**70)]
        return out + common
    if row.kind == "choice":
        chosen = str(rng.choice(row.choices))
        return [chosen.upper(), chosen + " ", chosen[:-1], 0, True, (chosen,), [chosen],
                *common]
    if row.kind == "bool":
        return [1, 0, "True", "false", 1.0, np.float64(0.0), *common]
    inside = 0.5 if row.high is None else (row.low or 0.0) / 2 + row.high / 2
    above = (1.0 if row.high is None else row.high) + rng.uniform(0.0, 2.0)
    below = (0.0 if row.low is None else row.low) - rng.uniform(1e-9, 2.0)
    return [
        (inside, above), (above, inside), (below, inside), (inside, below),
        (math.nan, inside), (inside, -math.inf), (None, inside), (inside, "0.999"),
        (inside,), (inside, inside, inside), [inside], inside, "0.9,0.999",
        {inside, inside / 2}, (True, inside), *common,
    ]


def bad_settings() -> list[tuple[str, str, Any]]:
    """(optimizer, hyperparameter, bad value) for every row of every table."""
    rng = random.Random(SEED)
    cases = []
    for name, info in sorted(OPTIMIZERS.items()):
        for param, row in sorted(info.hyperparameters.items()):
            for bad in [*row.invalid_examples(), *odd_values(row, rng)]:
                assert not row.is_valid(bad), (name, param, bad)
                cases.append((name, param, bad))
    return cases


CASES = bad_settings()


def case_id(case: tuple[str, str, Any]) -> str:
    name, param, bad = case
    return f"{name}-{param}-{type(bad).__name__}-{bad!r}"[:80]


def test_at_least_200_generated_bad_settings() -> None:
    assert len(CASES) >= 200
    for name in OPTIMIZERS:
        assert any(case[0] == name for case in CASES), name


def assert_names_parameter_and_value(exc: ValueError, param: str, bad: object) -> None:
    message = str(exc)
    assert param in message, message
    assert repr(bad) in message, message
    assert "\n" not in message, message


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_constructor_rejects_with_a_value_error(case: tuple[str, str, Any]) -> None:
    name, param, bad = case
    info = OPTIMIZERS[name]
    p = torch.zeros(2, 3, requires_grad=True)
    with pytest.raises(ValueError) as excinfo:
        info.make([p], **{param: bad})
    assert_names_parameter_and_value(excinfo.value, param, bad)


@pytest.mark.parametrize("case", [c for c in CASES if c[1] not in NOT_PER_GROUP],
                         ids=[case_id(c) for c in CASES if c[1] not in NOT_PER_GROUP])
def test_param_group_rejects_with_a_value_error(case: tuple[str, str, Any]) -> None:
    """A second param group with a bad value is refused and leaves the optimizer unchanged."""
    name, param, bad = case
    info = OPTIMIZERS[name]
    first, second = torch.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    opt = info.make([first])
    with pytest.raises(ValueError) as excinfo:
        opt.add_param_group({"params": [second], param: bad})
    assert_names_parameter_and_value(excinfo.value, param, bad)


def test_dwmgrad_init_window_above_max_window_names_both() -> None:
    info = OPTIMIZERS["DWMGrad"]
    with pytest.raises(ValueError) as excinfo:
        info.make([torch.zeros(2, requires_grad=True)], init_window=7, max_window=6)
    message = str(excinfo.value)
    assert "init_window" in message and "7" in message and "max_window" in message


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_wide_settings_cannot_differ_between_groups(name: str) -> None:
    info = OPTIMIZERS[name]
    opt = info.make([torch.zeros(2, 3, requires_grad=True)])
    with pytest.raises(ValueError, match="per_instance"):
        opt.add_param_group({"params": [torch.zeros(2, 3, requires_grad=True)],
                             "per_instance": True})
