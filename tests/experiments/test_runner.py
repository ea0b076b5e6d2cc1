"""The runner: batched == per-seed, divergence recorded, failures contained, executors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from experiments import problems
from experiments.executors import ProcessPoolExecutor, SequentialExecutor
from experiments.optimizers import package_optimizers
from experiments.problems.quadratic import SpectrumQuadratic
from experiments.runner import run_spec, run_spec_safely, validate_spec
from experiments.spec import RunSpec

SEEDS = (3, 7, 11)


def _spec(optimizer: str, hyper: dict[str, Any], problem: str = "quadratic",
          params: dict[str, Any] | None = None, horizon: int = 40,
          record: tuple[str, ...] = ("grad_norm",), seeds: tuple[int, ...] = SEEDS) -> RunSpec:
    return RunSpec(experiment="unit", problem=problem, optimizer=optimizer, horizon=horizon,
                   seeds=seeds, problem_params=params or {"d": 5, "mu": 0.5, "L": 8.0},
                   hyperparameters=hyper, record=record)


CASES = [
    ("SGD", {"lr": 0.1}, ()),
    ("HeavyBall", {"lr": 0.1, "momentum": 0.5}, ("momentum",)),
    ("Adam", {"lr": 0.05, "lr_schedule": "inv_sqrt"}, ()),
    ("AMSGrad", {"lr": 0.05}, ()),
    ("DWMGrad", {"lr": 0.02}, ("window", "momentum")),
    ("DWMGrad", {"lr": 0.02, "window_rule": "loss_decrease"}, ("window",)),
    ("DWMGrad", {"lr": 0.02, "window_rule": "loss_increase"}, ("window",)),
    *[(name, {"lr": 0.01}, ()) for name in sorted(package_optimizers()) if name != "DWMGrad"],
]


@pytest.mark.parametrize(("optimizer", "hyper", "record"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("problem", ["quadratic", "quadratic_deep"])
def test_batched_run_equals_per_seed_runs(optimizer: str, hyper: dict[str, Any],
                                          record: tuple[str, ...], problem: str) -> None:
    params = {"d": 5, "mu": 0.5, "L": 8.0} if problem == "quadratic" else {
        "d": 10, "batch_size": 4}
    full = _spec(optimizer, hyper, problem, params, record=("grad_norm", *record))
    try:
        validate_spec(full)
    except ValueError as exc:   # a package optimizer that needs more than lr
        pytest.skip(f"{optimizer}: {exc}")
    batched = run_spec(full)
    assert batched.status == "ok"
    for row, seed in enumerate(SEEDS):
        single = run_spec(full.with_changes(seeds=(seed,)))
        np.testing.assert_allclose(batched.losses[row], single.losses[0], rtol=1e-12, atol=1e-14)
        for name, values in single.extras.items():
            np.testing.assert_allclose(batched.extras[name][row], values[0], rtol=1e-12,
                                       atol=1e-14)
    assert np.all(np.isfinite(batched.losses))


class _BlowsUp(SpectrumQuadratic):
    """Quadratic whose instance with seed 7 returns an infinite loss from step 5 on."""

    NAME = "blows_up"

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        value = super().loss(x, t)
        bad = (self.seed_tensor == 7) & torch.tensor((t or 0) >= 5)
        return torch.where(bad, torch.full_like(value, float("inf")), value)


def test_divergence_is_recorded_with_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(problems.PROBLEMS, "blows_up", _BlowsUp)
    spec = _spec("DWMGrad", {"lr": 0.02}, problem="blows_up", record=("grad_norm", "window"))
    record = run_spec(spec)
    assert record.status == "diverged" and record.diverged_at == {7: 5}
    assert np.all(np.isnan(record.losses[1, 4:])) and np.all(np.isfinite(record.losses[1, :4]))
    assert np.all(np.isnan(record.extras["window"][1, 4:]))
    healthy = run_spec(spec.with_changes(seeds=(3, 11)))
    np.testing.assert_allclose(record.losses[[0, 2]], healthy.losses, rtol=1e-12, atol=0)


def test_huge_step_size_diverges_without_exception() -> None:
    record = run_spec(_spec("SGD", {"lr": 1e3}, horizon=400))
    assert record.status == "diverged"
    assert set(record.diverged_at) == set(SEEDS) and all(k > 1 for k in record.diverged_at.values())


def test_bad_specs_are_rejected_and_contained() -> None:
    with pytest.raises(ValueError, match="Unknown problem 'nope'.*quadratic"):
        validate_spec(_spec("SGD", {"lr": 0.1}, problem="nope"))
    with pytest.raises(ValueError, match="Unknown optimizer 'Nadam'.*DWMGrad"):
        validate_spec(_spec("Nadam", {"lr": 0.1}))
    with pytest.raises(ValueError, match="lr"):
        validate_spec(_spec("DWMGrad", {"lr": -1.0}))
    with pytest.raises(ValueError, match="window"):
        validate_spec(_spec("SGD", {"lr": 0.1}, record=("window",)))
    with pytest.raises(ValueError, match="regret"):
        validate_spec(_spec("SGD", {"lr": 0.1}, record=("regret",)))
    failed = run_spec_safely(_spec("SGD", {"lr": 0.1}, params={"d": 5, "mu": 9.0, "L": 1.0}))
    assert failed.status == "failed" and "mu" in (failed.error or "")


def test_process_pool_matches_sequential() -> None:
    specs = [_spec("HeavyBall", {"lr": 0.1, "momentum": m}, horizon=20) for m in (0.1, 0.6)]
    sequential = {r.spec.key(): r for r in SequentialExecutor().map(run_spec, specs)}
    pooled = {r.spec.key(): r for r in ProcessPoolExecutor(2).map(run_spec, specs)}
    assert sequential.keys() == pooled.keys()
    for key, record in sequential.items():
        np.testing.assert_array_equal(record.losses, pooled[key].losses)
    with pytest.raises(ValueError, match="workers"):
        ProcessPoolExecutor(0)
