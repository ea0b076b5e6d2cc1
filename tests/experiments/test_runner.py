"""The runner: batched == per-seed, divergence recorded, failures contained, executors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from experiments import problems
from experiments.api import POOL_MIN_BATCH, search_engine
from experiments.executors import ProcessPoolExecutor, SequentialExecutor
from experiments.optimizers import RunOptimizer, package_optimizers
from experiments.problems.quadratic import SpectrumQuadratic
from experiments.runner import FiniteRows, run_spec, run_spec_safely, validate_spec
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


MATRIX = [(*case, "quadratic") for case in CASES] + [
    (*case, problem) for case in CASES if case[0] in ("Adam", "DWMGrad", "Aida", "AdaptiveHB")
    for problem in ("quadratic_deep", "digits_mlp", "reddi_stochastic")]
PARAMS: dict[str, dict[str, Any]] = {
    "quadratic": {"d": 5, "mu": 0.5, "L": 8.0}, "quadratic_deep": {"d": 10, "batch_size": 4},
    "digits_mlp": {"hidden": 3, "batch_size": 8}, "reddi_stochastic": {"p": 0.2}}


@pytest.mark.parametrize(("optimizer", "hyper", "record", "problem"), MATRIX,
                         ids=[f"{c[3]}-{c[0]}-{i}" for i, c in enumerate(MATRIX)])
def test_batched_run_equals_per_seed_runs(optimizer: str, hyper: dict[str, Any],
                                          record: tuple[str, ...], problem: str) -> None:
    full = _spec(optimizer, hyper, problem, PARAMS[problem], record=("grad_norm", *record),
                 horizon=40 if problem != "digits_mlp" else 10)
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


class _GradGoesNaN(SpectrumQuadratic):
    """Quadratic whose instance with seed 11 has a NaN in one gradient coordinate at step
    ``BAD_STEP`` (its loss there is still finite)."""

    NAME = "grad_goes_nan"
    BAD_STEP = 6

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        g = super().grad(x, t)
        if t == self.BAD_STEP:
            g = g.clone()
            g[self.seeds.index(11), 2] = float("nan")
        return g


@pytest.mark.parametrize("block_elements", [1, 15 * 3, 15 * 5, 15 * 6, 1 << 16])
@pytest.mark.parametrize("bad_step", [1, 5, 6, 40])
def test_a_non_finite_gradient_is_caught_at_its_step_whatever_the_check_block(
        monkeypatch: pytest.MonkeyPatch, block_elements: int, bad_step: int) -> None:
    """B·d = 15 elements per step: blocks of 1 (checked as it comes), 3, 5, 6 and all 40
    steps, with the bad step first, last, inside a block and the horizon's last step."""
    monkeypatch.setitem(problems.PROBLEMS, "grad_goes_nan", _GradGoesNaN)
    monkeypatch.setattr(_GradGoesNaN, "BAD_STEP", bad_step)
    monkeypatch.setattr(FiniteRows, "BLOCK_ELEMENTS", block_elements)
    record = run_spec(_spec("SGD", {"lr": 0.01}, problem="grad_goes_nan"))
    assert record.status == "diverged" and record.diverged_at == {11: bad_step}
    assert np.all(np.isfinite(record.losses[2, :bad_step - 1]))
    assert np.all(np.isnan(record.losses[2, bad_step - 1:]))
    assert np.all(np.isfinite(record.losses[:2]))


def test_finite_rows_equal_the_per_step_check() -> None:
    gen = torch.Generator().manual_seed(0)
    grads = torch.randn(23, 4, 3, generator=gen, dtype=torch.float64)
    for step, row, col, value in [(0, 1, 0, "nan"), (4, 0, 2, "inf"), (5, 3, 1, "-inf"),
                                  (22, 2, 2, "nan"), (11, 1, 1, "inf")]:
        grads[step, row, col] = float(value)
    expected = torch.isfinite(grads).all(dim=-1)
    for block in (1, 12, 12 * 5, 12 * 23, 12 * 100):
        rows = type("Rows", (FiniteRows,), {"BLOCK_ELEMENTS": block})(len(grads), grads[0])
        for step, grad in enumerate(grads):
            rows.add(step, grad.clone())
        assert torch.equal(rows.rows(), expected), block


class _Float32Loss(SpectrumQuadratic):
    NAME = "float32_loss"

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return super().loss(x, t).float()


def test_a_loss_of_another_dtype_than_the_parameter_is_rejected(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The losses are checked for finiteness as stored: a narrowing cast (e.g. a float64 loss
    in a float32 run) could turn a finite loss into inf, so no cast is allowed."""
    monkeypatch.setitem(problems.PROBLEMS, "float32_loss", _Float32Loss)
    with pytest.raises(ValueError, match="float32_loss.*torch.float32 loss at step 1; "
                                         "expected torch.float64"):
        run_spec(_spec("SGD", {"lr": 0.01}, problem="float32_loss"))


def test_window_and_momentum_are_recorded_as_the_optimizer_holds_them() -> None:
    spec = _spec("DWMGrad", {"lr": 0.02, "window_rule": "loss_decrease"}, horizon=12,
                 record=("window", "momentum"))
    record = run_spec(spec)
    problem = problems.make_problem("quadratic", SEEDS, spec.problem_params)
    param = problem.x0().clone().requires_grad_(True)
    optimizer = RunOptimizer("DWMGrad", param, spec.hyperparameters, spec.horizon)
    for t in range(1, spec.horizon + 1):
        loss, param.grad = problem.loss_and_grad(param.detach(), t)
        optimizer.step(loss)
        np.testing.assert_array_equal(record.extras["window"][:, t - 1],
                                      optimizer.optimizer.window.numpy())
        np.testing.assert_array_equal(record.extras["momentum"][:, t - 1],
                                      optimizer.optimizer.momentum_now.numpy())
    heavy = run_spec(_spec("HeavyBall", {"lr": 0.1, "momentum": 0.7}, horizon=5,
                           record=("momentum",)))
    assert np.all(heavy.extras["momentum"] == 0.7)


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


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_process_pool_matches_sequential() -> None:
    specs = [_spec("HeavyBall", {"lr": 0.1, "momentum": m}, horizon=20) for m in (0.1, 0.6)]
    sequential = {r.spec.key(): r for r in SequentialExecutor().map(run_spec, specs)}
    pooled = {r.spec.key(): r for r in ProcessPoolExecutor(2).map(run_spec, specs)}
    assert sequential.keys() == pooled.keys()
    for key, record in sequential.items():
        np.testing.assert_array_equal(record.losses, pooled[key].losses)
    with pytest.raises(ValueError, match="workers"):
        ProcessPoolExecutor(0)


class _InlinePool:
    """concurrent.futures.ProcessPoolExecutor's stand-in: runs each submitted call at once."""

    made: list[_InlinePool] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs, self.shut = kwargs, None
        self.made.append(self)

    def submit(self, fn: Any, spec: Any) -> Any:
        import concurrent.futures

        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_result(fn(spec))
        return future

    def shutdown(self, wait: bool, cancel_futures: bool) -> None:
        self.shut = (wait, cancel_futures)


def test_a_pool_keeps_its_workers_from_batch_to_batch_until_closed(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments import api, executors

    made: list[_InlinePool] = []
    monkeypatch.setattr(_InlinePool, "made", made)
    monkeypatch.setattr(executors.concurrent.futures, "ProcessPoolExecutor", _InlinePool)
    pool = ProcessPoolExecutor(2)
    assert sorted(pool.map(str, [1, 2, 3])) == ["1", "2", "3"]  # type: ignore[arg-type]
    assert list(pool.map(str, [4])) == ["4"]                     # type: ignore[list-item]
    assert len(made) == 1 and made[0].kwargs["max_workers"] == 2 and made[0].shut is None
    pool.close()
    assert made[0].shut == (True, False)                        # after their runs
    batch = pool.map(str, [5, 6])                                # type: ignore[arg-type]
    next(batch)
    batch.close()                       # an interrupted batch: the queued runs dropped at once
    assert len(made) == 2 and made[1].shut == (False, True)
    monkeypatch.setattr(api, "experiments_registry", _fake_registry)
    api.run_experiments(["tiny"], "quick", tmp_path, workers=2, progress=False)
    assert len(made) == 3 and made[2].shut == (True, False)     # closed when the runs are done


# ---- api and CLI ---------------------------------------------------------------------------


def _fake_registry() -> dict[str, Any]:
    import types

    def specs(scale: str) -> list[RunSpec]:
        horizon = 10 if scale == "quick" else 20
        return [_spec("HeavyBall", {"lr": 0.1, "momentum": m}, horizon=horizon)
                for m in (0.2, 0.4)]

    def measure(store: Any) -> dict[str, Any]:
        records = [store.load(s) for s in specs("quick")]
        return {"experiment": "tiny", "metrics": {"final": [float(r.losses[0, -1])
                                                            for r in records]}}

    module = types.ModuleType("tiny")
    module.NAME, module.DESCRIPTION = "tiny", "two heavy-ball runs"  # type: ignore[attr-defined]
    module.specs, module.measure = specs, measure  # type: ignore[attr-defined]
    return {"tiny": module}


def test_a_search_batch_uses_the_pool_only_when_it_pays_for_the_spawn() -> None:
    pool, ray_like = ProcessPoolExecutor(2), object()
    assert isinstance(search_engine(POOL_MIN_BATCH - 1, pool), SequentialExecutor)
    assert search_engine(POOL_MIN_BATCH, pool) is pool
    assert search_engine(1, ray_like) is ray_like                # type: ignore[arg-type]


def test_run_experiments_runs_measures_and_resumes(tmp_path: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments import api, runner

    monkeypatch.setattr(api, "experiments_registry", _fake_registry)
    calls: list[str] = []
    real = runner.run_spec

    def counting(spec: RunSpec) -> Any:
        calls.append(spec.key())
        return real(spec)

    monkeypatch.setattr(runner, "run_spec", counting)
    first = api.run_experiments(["tiny"], "quick", tmp_path, progress=False)
    assert len(calls) == 2 and len(first["tiny"]["metrics"]["final"]) == 2
    again = api.run_experiments(["tiny"], "quick", tmp_path, progress=False)
    assert len(calls) == 2 and again == first
    assert (tmp_path / "measurements" / "tiny.json").exists()


@pytest.mark.slow
def test_a_search_batch_is_checked_against_the_store_once(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments import api
    from experiments.records import RunRecord
    from experiments.store import ResultStore

    registry = _fake_registry()
    module = registry["tiny"]
    checked: list[str] = []
    real_has = ResultStore.has

    def has(self: ResultStore, spec: RunSpec) -> bool:
        checked.append(spec.key())
        return real_has(self, spec)

    batch = [*module.specs("quick"), _spec("HeavyBall", {"lr": 0.1, "momentum": 0.3},
                                           horizon=10)]
    made: list[list[RunRecord]] = []
    during: list[str] = []

    def search(store: Any, scale: str, run: Any) -> None:
        checked.clear()
        made.append(run(batch))
        during.extend(checked)

    module.search = search
    monkeypatch.setattr(api, "experiments_registry", lambda: registry)
    monkeypatch.setattr(ResultStore, "has", has)
    api.run_experiments(["tiny"], "quick", tmp_path, workers=2, progress=False)
    assert sorted(during) == sorted(s.key() for s in batch)             # each spec once
    assert [r.spec for r in made[0]] == batch          # the stored two loaded, the third made
    assert ResultStore(tmp_path).has(batch[-1])


def test_a_sweep_releases_the_problem_kept_for_timed_runs(tmp_path: Any) -> None:
    from experiments import runner
    from experiments.store import ResultStore

    adam = _spec("Adam", {"lr": 0.01}, horizon=5, record=("step_times",))
    runner._timed_problem.cache_clear()
    done = runner.run_specs([adam, adam.with_changes(optimizer="SGD")], ResultStore(tmp_path),
                            progress=False)
    assert len(done) == 2
    assert runner._timed_problem.cache_info().currsize == 0     # nothing kept after the sweep


@pytest.mark.parametrize(("argv", "needle"), [
    (["run", "tiny", "nope"], "unknown experiment 'nope'; expected one or more of: tiny"),
    (["run"], "no experiment given"),
    (["run", "tiny", "--scale", "huge"], "--scale 'huge'"),
    (["run", "tiny", "--device", "tpu"], "--device 'tpu'"),
    (["run", "tiny", "--workers", "0"], "--workers 0"),
    (["run", "tiny", "--workers", "x"], "--workers 'x'"),
    (["run", "tiny", "--list"], "--list takes no experiment names"),
])
def test_cli_bad_input_is_one_line_exit_2(argv: list[str], needle: str,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from dwmgrad_verify.cli import main
    from experiments import api

    monkeypatch.setattr(api, "experiments_registry", _fake_registry)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_unusable_out_and_cuda(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from dwmgrad_verify.cli import main
    from experiments import api

    monkeypatch.setattr(api, "experiments_registry", _fake_registry)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "tiny", "--out", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["run", "tiny", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot be created" in err and str(blocker / "sub") in err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["run", "tiny", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "torch sees no CUDA device" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()             # validated before any work
    assert main(["run", "tiny", "--out", str(tmp_path / "ok")]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:2] == ["tiny", "runs"]


def test_optimizer_state_is_recorded_after_each_step() -> None:
    lr = 0.1
    record = run_spec(_spec("HeavyBall", {"lr": lr, "momentum": 0.5}, horizon=15,
                            record=("x", "state:momentum_buffer")))
    x, buf = record.vector("x"), record.vector("state:momentum_buffer")
    assert x.shape == buf.shape == (len(SEEDS), 15, 5)
    # torch SGD: x_{t+1} = x_t - lr * buf_t, so buf_t = (x_t - x_{t+1}) / lr.
    np.testing.assert_allclose(buf[:, :-1], (x[:, :-1] - x[:, 1:]) / lr, rtol=1e-10, atol=1e-12)
    failed = run_spec_safely(_spec("HeavyBall", {"lr": lr}, record=("state:nope",)))
    assert failed.status == "failed" and "state:nope" in (failed.error or "")


def test_device_and_dtype_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec("DWMGrad", {"lr": 0.02}, horizon=20)
    single = run_spec(spec.with_changes(dtype="float32"))
    double = run_spec(spec)
    np.testing.assert_allclose(single.losses, double.losses, rtol=1e-4)
    assert not np.array_equal(single.losses, double.losses)       # really ran in float32
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA device"):
        validate_spec(spec.with_changes(device="cuda"))
    with pytest.raises(ValueError, match="Invalid device: 'tpu'"):
        validate_spec(spec.with_changes(device="tpu"))


@pytest.mark.parametrize(("optimizer", "hyper"),
                         [("DWMGrad", {"lr": 1e-3}),
                          ("Adam", {"lr": 1e-3, "lr_schedule": "inv_sqrt"})])
def test_cpu_peak_memory_probe_sees_a_step_temporary(optimizer: str, hyper: dict[str, Any]
                                                     ) -> None:
    # Both steps (DWMGrad's for-loop path, torch's Adam) build at least one d-sized float32
    # temporary, so the measured peak exceeds parameter + gradient + state by >= 4 d bytes.
    d = 100_000
    params = {"d": d, "mu": 1.0, "L": 10.0, "rotate": False}

    def spec(record: tuple[str, ...]) -> RunSpec:
        return RunSpec(experiment="unit", problem="quadratic", optimizer=optimizer, horizon=3,
                       seeds=(0,), problem_params=params, hyperparameters=hyper,
                       dtype="float32", record=record)

    plain, probed = run_spec(spec(())), run_spec(spec(("peak_memory",)))
    assert plain.timings["peak_memory_bytes"] is None and "peak_memory_method" not in plain.timings
    assert probed.timings["peak_memory_method"] == "torch.profiler (CPU)"
    baseline = 2 * probed.timings["param_bytes"] + probed.timings["state_bytes"]
    assert probed.timings["param_bytes"] == 4 * d
    assert probed.timings["peak_memory_bytes"] - baseline >= 4 * d
    np.testing.assert_array_equal(probed.losses, plain.losses)
    assert probed.extras == plain.extras == {}


def test_timed_runs_in_a_row_build_an_offline_problem_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments import runner
    from experiments.problems import PROBLEMS

    built: list[str] = []
    real = runner.make_problem

    def counted(name: str, *args: Any, **kwargs: Any) -> Any:
        built.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runner, "make_problem", counted)
    runner._timed_problem.cache_clear()
    adam = _spec("Adam", {"lr": 0.01}, horizon=5).with_changes(record=("step_times",))
    first, _, again = (run_spec(adam), run_spec(adam.with_changes(optimizer="SGD")),
                       run_spec(adam))
    assert built == ["quadratic"]                            # built once for the three runs
    larger = adam.with_changes(problem_params={"d": 7, "mu": 0.5, "L": 8.0})
    for optimizer in ("Adam", "SGD"):                         # cost_scaling's order: one
        run_spec(larger.with_changes(optimizer=optimizer))    # optimizer through the sizes,
        run_spec(adam.with_changes(optimizer=optimizer))      # then the next
    assert built == ["quadratic", "quadratic"]               # each size built once
    untimed = run_spec(adam.with_changes(record=()))
    np.testing.assert_array_equal(first.losses, untimed.losses)   # same problem, same start
    np.testing.assert_array_equal(again.losses, untimed.losses)   # the run changed neither
    online = next(n for n, cls in sorted(PROBLEMS.items()) if cls.online)
    built.clear()
    for _ in range(2):
        run_spec(RunSpec(experiment="t", problem=online, optimizer="SGD",
                         hyperparameters={"lr": 0.01}, seeds=(0,), horizon=3,
                         record=("step_times",)))
    assert built == [online, online]                          # an online problem: never kept
    runner._timed_problem.cache_clear()


@pytest.mark.slow
def test_a_background_process_returns_its_value_raises_its_error_and_can_be_stopped() -> None:
    import math
    import time

    from experiments.executors import Background

    assert Background(math.sqrt, 16.0).result() == 4.0
    with pytest.raises(ValueError, match="math domain error"):
        Background(math.sqrt, -1.0).result()
    sleeper = Background(time.sleep, 60.0)
    started = time.perf_counter()
    sleeper.stop()
    with pytest.raises(RuntimeError, match="ended without a result"):
        sleeper.result()
    assert time.perf_counter() - started < 30
