"""Bad input is a clear error, one line naming the value and what was expected.

Hyperparameters: each optimizer declares a table of rows (``dwmgrad.hyperparams``); one test per
kind of row checks that every row of that kind rejects the values it must (its own
``invalid_examples()`` and a seeded generator of odd values: nan/inf of several numeric types,
strings, None, containers, out-of-range or malformed betas, wrong-type ints and choices) and
accepts its edge values; one test per optimizer checks that its constructor and
``add_param_group`` consult every row (a refused group leaves the optimizer unchanged). Then
what the rows cannot see: complex parameters, eps that rounds to 0 in the parameters' dtype,
fused with a dtype the compiled step does not run on, tensor learning rates, sparse
gradients, DWMGrad's loss.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
from optimizer_cases import construct, make_optimizer, slow_if_fused, take_step

from dwmgrad.hyperparams import HyperParam
from dwmgrad.registry import OPTIMIZERS, OptimizerInfo

SEED = 20261121


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
        if row.high is not None:
            out += [int(row.high) + rng.randint(1, 1000), 10**30, 10**400]
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


def bad_values(row: HyperParam) -> list[object]:
    """The row's own invalid examples and the generated odd values (seeded per row name)."""
    return [*row.invalid_examples(), *odd_values(row, random.Random(f"{SEED}-{row.name}"))]


def edge_values(row: HyperParam) -> list[object]:
    """Values the row must accept: its inclusive bounds and points just inside the others."""
    if row.kind == "bool":
        return [True, False]
    if row.kind == "choice":
        return list(row.choices)
    step = 1 if row.kind == "int" else None
    out: list[float] = []
    for bound, inclusive, inward in ((row.low, row.low_inclusive, math.inf),
                                     (row.high, row.high_inclusive, -math.inf)):
        if bound is not None:
            inner = bound if inclusive else (
                bound + math.copysign(step, inward) if step else math.nextafter(bound, inward))
            out.append(int(inner) if step else inner)
    out = out or [1]
    if row.kind == "betas":
        return [(x, y) for x in out for y in out]
    return [*out, *([torch.tensor(float(out[0]))] if row.tensor_ok else [])]


def assert_one_line_naming(exc: ValueError, param: str, bad: object) -> None:
    message = str(exc)
    assert param in message, message
    assert repr(bad) in message, message
    assert "\n" not in message, message


ROWS = {(row.name, row): row for info in OPTIMIZERS.values()
        for row in info.hyperparameters.values()}
KINDS = sorted({row.kind for row in ROWS.values()})


@pytest.mark.parametrize("kind", KINDS)
def test_every_row_of_a_kind_rejects_bad_values_and_accepts_its_edges(kind: str) -> None:
    rows = [row for row in ROWS.values() if row.kind == kind]
    assert rows
    for row in rows:
        for bad in bad_values(row):
            assert not row.is_valid(bad), (row, bad)
            with pytest.raises(ValueError) as excinfo:
                row.validate(bad)
            assert_one_line_naming(excinfo.value, row.name, bad)
        for good in edge_values(row):
            assert row.is_valid(good), (row, good)
            row.validate(good)


def unvalidated(info: OptimizerInfo) -> list[str]:
    """Bad values that the constructor or ``add_param_group`` of ``info.factory`` let through, or
    refused without one line naming the parameter and the value, or by leaving a refused group
    behind."""
    problems = []
    for param, row in info.hyperparameters.items():
        for bad in bad_values(row):
            try:
                info.make([torch.zeros(2, 3, requires_grad=True)], **{param: bad})
                problems.append(f"constructor accepted {param}={bad!r}")
            except ValueError as exc:
                message = str(exc)
                if param not in message or repr(bad) not in message or "\n" in message:
                    problems.append(f"constructor: {message!r} for {param}={bad!r}")
            opt = info.make([torch.zeros(3, requires_grad=True)])
            try:
                opt.add_param_group({"params": [torch.zeros(3, requires_grad=True)], param: bad})
                problems.append(f"add_param_group accepted {param}={bad!r}")
            except ValueError as exc:
                if param not in str(exc) or repr(bad) not in str(exc):
                    problems.append(f"add_param_group: {exc} for {param}={bad!r}")
            if len(opt.param_groups) != 1:
                problems.append(f"add_param_group kept the refused group {param}={bad!r}")
    return problems


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_row_is_validated(name: str) -> None:
    assert unvalidated(OPTIMIZERS[name]) == []


def test_the_row_check_sees_a_row_the_constructor_skips() -> None:
    """Control: an optimizer whose constructor skips the eps row is caught."""
    info = OPTIMIZERS["DWMGrad"]

    class SkipsEps(info.factory):  # type: ignore[misc,name-defined]
        hyperparameters = {k: v for k, v in info.hyperparameters.items() if k != "eps"}

    skipping = OptimizerInfo(**{**info.__dict__, "factory": SkipsEps})
    problems = unvalidated(skipping)
    assert problems and all("eps" in p for p in problems)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_wide_settings_cannot_differ_between_groups(name: str) -> None:
    info = OPTIMIZERS[name]
    opt = info.make([torch.zeros(2, 3, requires_grad=True)])
    with pytest.raises(ValueError, match="per_instance=True in a param group"):
        opt.add_param_group({"params": [torch.zeros(2, 3, requires_grad=True)],
                             "per_instance": True})
    if name == "DWMGrad":  # the window is optimizer-wide: so are its settings
        with pytest.raises(ValueError, match="max_window"):
            opt.add_param_group({"params": [torch.zeros(2, 3, requires_grad=True)],
                                 "max_window": 3})
    assert len(opt.param_groups) == 1


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_path_flags_and_instance_shapes_are_validated(name: str) -> None:
    info = OPTIMIZERS[name]
    p = torch.zeros(2, 3, requires_grad=True)
    for flags, words in (({"foreach": "yes"}, "'yes'"), ({"foreach": 1}, "foreach: 1"),
                         ({"foreach": True, "fused": True}, "at most one")):
        if "fused" in flags and "fused" not in info.paths:
            continue
        with pytest.raises(ValueError, match=words):
            info.make([p], **flags)
    if "per_instance" in info.hyperparameters and info.factory.uses_instances:  # type: ignore[attr-defined]
        with pytest.raises(ValueError, match=r"shape \(\)"):
            info.make([torch.zeros((), requires_grad=True)], per_instance=True)
        with pytest.raises(ValueError, match="leading dimension"):
            info.make([p, torch.zeros(3, requires_grad=True)], per_instance=True)


# ---------------------------------------------------------------- what rows cannot see
REAL_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_complex_and_integer_parameters_are_refused(name: str) -> None:
    """Complex parameters were accepted with the wrong maths (g² where |g|² is meant): refused,
    at construction and in a later param group, naming the dtype and the real-view workaround
    (whose maths torch Adam's own complex handling is: see the next test)."""
    info = OPTIMIZERS[name]
    for dtype in (torch.complex64, torch.complex128):
        with pytest.raises(ValueError) as excinfo:
            info.make([torch.zeros(3, dtype=dtype, requires_grad=True)])
        message = str(excinfo.value)
        assert str(dtype).removeprefix("torch.") in message and "view_as_real" in message
        assert "\n" not in message
        opt = info.make([torch.zeros(3, requires_grad=True)])
        with pytest.raises(ValueError, match="complex"):
            opt.add_param_group({"params": [torch.zeros(3, dtype=dtype, requires_grad=True)]})
        assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match="int64"):
        info.make([torch.zeros(3, dtype=torch.int64)])


def test_the_real_view_of_a_complex_problem_is_what_torch_adam_computes() -> None:
    """torch Adam on a complex parameter z is torch Adam on view_as_real(z), bit for bit: the
    workaround the refusal names. Ours on the real view reach torch Adam's loss (< 1e-20 after
    2,000 steps; DWMGrad's complex run reached 0.013 when complex input was accepted)."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(6, 3, dtype=torch.complex128, generator=gen)
    b = a @ torch.randn(3, dtype=torch.complex128, generator=gen)

    def loss(z: torch.Tensor) -> torch.Tensor:
        return (a @ z - b).abs().pow(2).sum()

    def run(param: torch.Tensor, opt: Any, as_complex: bool, info: OptimizerInfo | None = None
            ) -> float:
        for _ in range(2000):
            opt.zero_grad()
            value = loss(torch.view_as_complex(param) if as_complex else param)
            value.backward()
            opt.step(loss=value.detach()) if info and info.needs_loss else opt.step()
        with torch.no_grad():
            return float(loss(torch.view_as_complex(param) if as_complex else param))

    z = torch.zeros(3, dtype=torch.complex128, requires_grad=True)
    torch_loss = run(z, torch.optim.Adam([z], lr=0.01), as_complex=False)
    real = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    assert run(real, torch.optim.Adam([real], lr=0.01), as_complex=True) == torch_loss
    assert torch.equal(torch.view_as_real(z.detach()), real.detach())
    assert torch_loss < 1e-20
    for name in ("DemonAdam", "AdaBelief"):
        info = OPTIMIZERS[name]
        ours = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
        assert run(ours, info.make([ours], lr=0.01, total_steps=2000) if name == "DemonAdam"
                   else info.make([ours], lr=0.01), as_complex=True, info=info) < 1e-20, name


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_eps_that_rounds_to_zero_in_the_parameters_dtype_is_refused(name: str) -> None:
    """eps=1e-50 in float32 (or DWMGrad's default 1e-8 in float16) rounds to 0, and a zero
    gradient coordinate then steps by 0/0 = NaN: refused naming eps, value and dtype."""
    info = OPTIMIZERS[name]
    rows = [row for row in info.hyperparameters.values() if row.nonzero_in_dtype]
    for row in rows:
        others = {other.name: 1e-4 for other in rows if other is not row}
        for value, dtype in ((1e-50, torch.float32), (1e-8, torch.float16),
                             (1e-45, torch.bfloat16)):
            p = torch.zeros(3, dtype=dtype, requires_grad=True)
            with pytest.raises(ValueError) as excinfo:
                info.make([p], **others, **{row.name: value})
            assert_one_line_naming(excinfo.value, row.name, value)
            assert str(dtype).removeprefix("torch.") in str(excinfo.value)
        for value, dtype in ((1e-45, torch.float32), (6e-8, torch.float16)):  # representable
            p = torch.zeros(3, dtype=dtype, requires_grad=True)
            info.make([p], **others, **{row.name: value})
    if "eps" in info.hyperparameters:
        assert info.hyperparameters["eps"].nonzero_in_dtype


def test_the_eps_refusal_prevents_a_nan() -> None:
    """The fault the refusal prevents: the rounded-away eps gives NaN on a zero gradient."""
    p = torch.zeros(2, dtype=torch.float16, requires_grad=True)
    opt = OPTIMIZERS["DWMGrad"].make([p], eps=1e-4)
    opt.param_groups[0]["eps"] = 1e-8  # past validation
    p.grad = torch.tensor([0.0, 1.0], dtype=torch.float16)
    opt.step(loss=1.0)
    assert torch.isnan(p.detach()[0]) and torch.isfinite(p.detach()[1])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_fused_with_a_dtype_the_compiled_step_cannot_run_is_refused(dtype: torch.dtype) -> None:
    fused = [info for info in OPTIMIZERS.values() if "fused" in info.paths]
    assert fused
    for info in fused:
        p = torch.zeros(3, dtype=dtype, requires_grad=True)
        eps = {name: 1e-4 for name in ("eps", "xi") if name in info.hyperparameters}
        with pytest.raises(ValueError) as excinfo:
            info.make([p], fused=True, **eps)
        message = str(excinfo.value)
        assert "fused=True" in message and str(dtype).removeprefix("torch.") in message
        assert "\n" not in message
        info.make([p], foreach=True, **eps)  # the other paths take it


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_compiled_step_indeed_fails_on_low_precision(dtype: torch.dtype,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the refusal exists (torch 2.13, CPU): past the check, the compiled step fails at the
    first step. When this test fails, the fused path runs on ``dtype``: widen fused_dtypes."""
    info = OPTIMIZERS["DWMGrad"]
    monkeypatch.setattr(info.factory, "fused_dtypes", (*info.factory.fused_dtypes, dtype))
    p = torch.zeros(3, dtype=dtype, requires_grad=True)
    opt = info.make([p], eps=1e-4, fused=True)
    p.grad = torch.ones(3, dtype=dtype)
    with pytest.raises(Exception):  # noqa: B017 - dynamo's error types vary by version
        opt.step(loss=1.0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_tensor_lr_is_accepted_and_followed_in_place(name: str) -> None:
    """As in torch.optim: a 0-d tensor lr gives the float lr's steps, and changing it in place
    changes the next steps (as setting the group's float lr does). Float64 throughout: the
    steps agree to rounding (a tensor takes another kernel than a Python scalar)."""
    info = OPTIMIZERS[name]
    lr = float(info.example_kwargs["lr"])
    for path in [p for p in info.paths if p != "fused"]:
        runs = []
        for as_tensor in (False, True):
            gen = torch.Generator().manual_seed(3)
            p = torch.randn(2, 3, dtype=torch.float64, generator=gen).requires_grad_()
            rate = torch.tensor(lr, dtype=torch.float64) if as_tensor else lr
            opt = make_optimizer(info, [p], path, lr=rate)
            for t in range(6):
                if t == 3:
                    if as_tensor:
                        rate.mul_(0.5)  # type: ignore[union-attr]
                    else:
                        opt.param_groups[0]["lr"] = lr * 0.5
                p.grad = torch.sin(3.0 * p.detach() + t)
                take_step(opt, info, 2.0 - t)
            runs.append(p.detach())
        torch.testing.assert_close(runs[1], runs[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_sparse_gradient_is_rejected(name: str) -> None:
    info = OPTIMIZERS[name]
    for path in info.paths:
        param = torch.zeros(4, 3, requires_grad=True)
        opt = make_optimizer(info, [param], path)
        param.grad = torch.eye(4, 3).to_sparse()
        with pytest.raises((RuntimeError, ValueError), match="(?i)sparse"):
            take_step(opt, info, 1.0)


def test_dwmgrad_without_loss_is_a_value_error() -> None:
    info = OPTIMIZERS["DWMGrad"]
    assert info.needs_loss
    assert not any(i.needs_loss for n, i in OPTIMIZERS.items() if n != "DWMGrad")
    for path in info.paths:
        param = torch.zeros(3, requires_grad=True)
        opt = make_optimizer(info, [param], path)
        param.grad = torch.ones(3)
        with pytest.raises(ValueError, match="needs the loss"):
            opt.step()
        with pytest.raises(ValueError, match="only one"):
            opt.step(lambda: torch.tensor(1.0), loss=1.0)
        assert torch.equal(param.detach(), torch.zeros(3))


def test_dwmgrad_takes_the_loss_from_the_closure() -> None:
    """step(closure) uses closure()'s value as the loss: equal to passing it as loss=."""
    info = OPTIMIZERS["DWMGrad"]
    a = torch.ones(3, dtype=torch.float64, requires_grad=True)
    b = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt_a = construct(info.name, [a], window_rule="loss")
    opt_b = construct(info.name, [b], window_rule="loss")
    for loss_value in (-1.0, 2.0, -3.0):
        def closure(loss_value: float = loss_value) -> torch.Tensor:
            opt_a.zero_grad()
            linear = (0.5 * a).sum()  # gradient 0.5; value shifted to exactly loss_value
            loss = linear - linear.detach() + loss_value
            loss.backward()
            return loss

        opt_a.step(closure)
        b.grad = torch.full((3,), 0.5, dtype=torch.float64)
        opt_b.step(loss=loss_value)
        assert torch.equal(a, b)
        assert torch.equal(opt_a.window, opt_b.window)  # type: ignore[attr-defined]


# Written from the spec and the contract, independently of the package's HyperParam tables:
# values the rules exclude, and edge values they allow.
SPEC_INVALID = [
    ("DWMGrad", {"lr": -1e-3}), ("DWMGrad", {"eps": -1e-8}), ("DWMGrad", {"momentum": 1.0}),
    ("DWMGrad", {"init_window": 0}), ("DWMGrad", {"max_window": 0}),
    ("DWMGrad", {"window_rule": "loss_sign"}), ("DWMGrad", {"lr_schedule": "inv_linear"}),
    ("DWMGrad", {"momentum_decay": 0.0}), ("DWMGrad", {"momentum_decay": 1.5}),
    ("DWMGrad", {"init_window": 11, "max_window": 10}), ("DWMGrad", {"max_window": 10**30}),
    ("AdaBelief", {"betas": (0.9, 1.0)}), ("AdaBelief", {"betas": (-0.1, 0.999)}),
    ("Aida", {"k": -1}), ("Aida", {"xi": -1e-20}), ("Aida", {"betas": (1.0, 0.999)}),
    ("DemonSGD", {"total_steps": 0}), ("DemonSGD", {"momentum": 1.0}),
    ("DemonSGD", {"total_steps": 2**24 + 1}), ("DWMGrad", {"lr": torch.tensor(-1.0)}),
    ("DemonAdam", {"total_steps": 0}),
    ("AdaptiveHB", {"max_momentum": 1.0}), ("AdaptiveHB", {"lr": -0.1}),
    ("AdamAHB", {"beta2": 1.0}), ("AdamAHB", {"max_momentum": -0.5}),
]
SPEC_VALID = [
    ("DWMGrad", {"momentum_decay": 1.0}), ("DWMGrad", {"init_window": 10, "max_window": 10}),
    ("DWMGrad", {"init_window": 1, "max_window": 1}), ("DWMGrad", {"lr_schedule": "inv_sqrt"}),
    ("DWMGrad", {"momentum": 0.0}), ("DWMGrad", {"max_second_moment": True}),
    ("DWMGrad", {"init_window": 2**24, "max_window": 2**24}), ("DemonSGD", {"total_steps": 2**24}),
    ("DWMGrad", {"lr": torch.tensor(0.0)}), ("AdaptiveHB", {"lr": torch.tensor(0.1)}),
    ("Aida", {"k": 0}), ("AdaBelief", {"betas": (0.0, 0.0)}),
    ("DemonSGD", {"momentum": 0.0}), ("DemonSGD", {"total_steps": 1}),
    ("AdaptiveHB", {"max_momentum": 0.0}), ("AdamAHB", {"lr": 0.0}),
]


def test_values_the_spec_excludes_are_rejected() -> None:
    for name, bad in SPEC_INVALID:
        info = OPTIMIZERS[name]
        with pytest.raises(ValueError) as excinfo:
            construct(name, [torch.zeros(2, requires_grad=True)], **{**info.example_kwargs, **bad})
        param, value = next(iter(bad.items()))
        assert_one_line_naming(excinfo.value, param, value)


def test_edge_values_the_spec_allows_are_accepted() -> None:
    for name, edge in SPEC_VALID:
        info = OPTIMIZERS[name]
        param = torch.zeros(2, requires_grad=True)
        opt = construct(name, [param], **{**info.example_kwargs, **edge})
        param.grad = torch.ones(2)
        take_step(opt, info, 1.0)
        assert bool(torch.isfinite(param).all()), (name, edge)


NAME_PATHS = [slow_if_fused(name, path) for name, info in sorted(OPTIMIZERS.items())
              for path in info.paths]


@pytest.mark.parametrize(("name", "path"), NAME_PATHS)
def test_step_with_closure_returns_its_loss(name: str, path: str) -> None:
    """torch.optim convention: step(closure) evaluates the closure (with grad enabled) and
    returns its loss."""
    param = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(OPTIMIZERS[name], [param], path)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    returned = opt.step(closure)
    assert isinstance(returned, torch.Tensor) and float(returned) == 3.0
    assert not torch.equal(param.detach(), torch.ones(3, dtype=torch.float64))


@pytest.mark.parametrize("loss", [1.0, torch.tensor([1.0, 2.0]), torch.ones(3, 1)],
                         ids=["scalar", "wrong-length", "wrong-rank"])
def test_dwmgrad_per_instance_loss_must_have_one_value_per_instance(loss: object) -> None:
    """Contract: with per_instance=True the loss has shape (B,)."""
    param = torch.zeros(3, 2, requires_grad=True)
    opt = construct("DWMGrad", [param], per_instance=True)
    param.grad = torch.ones(3, 2)
    with pytest.raises(ValueError, match="(?i)loss"):
        opt.step(loss=loss)
    assert torch.equal(param.detach(), torch.zeros(3, 2))
