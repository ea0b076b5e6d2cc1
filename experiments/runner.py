"""Run a spec: :func:`run_spec` (pure function of the spec) and :func:`run_specs` (a sweep).

All seeds of a spec are one batched computation: the problem holds one instance per seed,
the parameter is one (B, d) tensor, and the optimizer runs with ``per_instance=True`` (its
shared quantities, e.g. DWMGrad's window, are per row), so the batch equals the seeds run one
by one (tested). Per step t = 1..T the runner evaluates f_t and its gradient at x_t, records
them, steps the optimizer and, for online problems, projects onto the box (clamp).

Divergence never raises: the first step k at which an instance's loss or gradient is not
finite is recorded as ``diverged_at[seed] = k`` and that instance's values from step k on are
NaN; the run's status is "diverged". Rows are independent (elementwise or per-instance
optimizers, per-instance problems), so a diverged row cannot disturb the others (tested).
Any other exception inside a sweep becomes a "failed" record with the error.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch.autograd import DeviceType

from experiments import metrics
from experiments.baselines import ScheduledOptimizer
from experiments.machine import last_level_cache, steady_allocator
from experiments.optimizers import RunOptimizer, check_optimizer_name
from experiments.problems import Problem, make_problem, problem_class
from experiments.records import RunRecord
from experiments.spec import GENERIC_QUANTITIES, RUN_MEASUREMENTS, STATE_PREFIX, RunSpec
from experiments.store import ResultStore


def validate_spec(spec: RunSpec) -> None:
    """Check names, parameters and recordable quantities without running anything.

    Raises ValueError naming the bad value and the valid ones.
    """
    cls = problem_class(spec.problem)
    unknown = sorted(set(spec.problem_params) - set(cls.PARAMS))
    if unknown:
        raise ValueError(f"Invalid parameter(s) {unknown} for problem {spec.problem!r}; "
                         f"expected some of {sorted(cls.PARAMS)}")
    check_optimizer_name(spec.optimizer)
    valid = set(GENERIC_QUANTITIES) | set(RUN_MEASUREMENTS) | set(cls.QUANTITIES)
    bad = sorted(name for name in set(spec.record) - valid
                 if not (name.startswith(STATE_PREFIX) and len(name) > len(STATE_PREFIX)))
    if bad:
        raise ValueError(f"Invalid record quantity {bad} for problem {spec.problem!r}; "
                         f"expected some of {sorted(valid)}")
    if "regret" in spec.record and not cls.online:
        raise ValueError(f"Invalid record quantity 'regret': problem {spec.problem!r} is not "
                         "an online problem")
    try:
        device = torch.device(spec.device)
    except RuntimeError:
        raise ValueError(f"Invalid device: {spec.device!r}; expected 'cpu' or 'cuda'") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"Invalid device: {spec.device!r}; expected 'cpu' or 'cuda'")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Invalid device: {spec.device!r}; torch sees no CUDA device")
    dtype = getattr(torch, spec.dtype)
    probe = torch.zeros(len(spec.seeds), 1, dtype=dtype, requires_grad=True)
    optimizer = RunOptimizer(spec.optimizer, probe, spec.hyperparameters, spec.horizon)
    _check_optimizer_quantities(spec, optimizer)


def _check_optimizer_quantities(spec: RunSpec, optimizer: RunOptimizer) -> None:
    if "window" in spec.record and not optimizer.has_window():
        raise ValueError(f"Invalid record quantity 'window': {spec.optimizer} has no window")
    if "momentum" in spec.record and not optimizer.has_momentum():
        raise ValueError(f"Invalid record quantity 'momentum': {spec.optimizer} does not "
                         "expose its momentum")


def _problem_quantities(problem: Problem, spec: RunSpec) -> dict[str, Callable[..., Any]]:
    """Recorders of the quantities measured at x_t (before the step)."""
    out: dict[str, Callable[..., Any]] = {}
    for name in spec.record:
        if name == "grad_norm":
            out[name] = lambda x, g: torch.linalg.vector_norm(g, dim=-1)
        elif name == "objective":
            out[name] = lambda x, g: problem.objective(x)
        elif name == "dist":
            x_star = problem.x_star
            out[name] = (lambda x, g: torch.full(x.shape[:1], float("nan"), dtype=x.dtype,
                                                 device=x.device)) if x_star is None else (
                lambda x, g, x_star=x_star: torch.linalg.vector_norm(x - x_star, dim=-1))
        elif name in problem.QUANTITIES:
            method = getattr(problem, problem.QUANTITIES[name])
            out[name] = lambda x, g, method=method: method(x)
    return out


def _copy_optimizer(spec: RunSpec, optimizer: RunOptimizer, param: torch.Tensor
                    ) -> RunOptimizer:
    """A fresh optimizer of ``spec``'s kind over ``param`` with a deep copy of ``optimizer``'s
    state (and, for a scheduled baseline, its step count)."""
    twin = RunOptimizer(spec.optimizer, param, spec.hyperparameters, spec.horizon)
    source, target = optimizer.optimizer, twin.optimizer
    if isinstance(source, ScheduledOptimizer) and isinstance(target, ScheduledOptimizer):
        target.t = source.t
        source, target = source.optimizer, target.optimizer
    assert isinstance(source, torch.optim.Optimizer) and isinstance(target, torch.optim.Optimizer)
    target.load_state_dict(copy.deepcopy(source.state_dict()))
    return twin


#: The lines torch's profiler (kineto) writes straight to file descriptor 2 at every start and
#: stop, whatever the log level (e.g. ``USDT:... SyncActivityProfilerHandler.cpp:52]
#: profiler_start``); :func:`_without_profiler_notices` drops them and keeps every other line.
PROFILER_NOTICE = re.compile(r"SyncActivityProfilerHandler\.cpp:\d+\] profiler_(start|stop)$")


@contextlib.contextmanager
def _without_profiler_notices() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file for the block, then copy its lines back to
    stderr except :data:`PROFILER_NOTICE` lines (so the profiler's notices do not flood the
    terminal, and anything else written meanwhile is still shown)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if not PROFILER_NOTICE.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


def probe_step_peak_bytes(spec: RunSpec, optimizer: RunOptimizer, param: torch.Tensor,
                          loss: torch.Tensor) -> int:
    """Peak bytes allocated above the baseline during one more optimizer step (CPU).

    The step runs on a clone of ``param`` (with a clone of its gradient) and a fresh optimizer
    of the same kind holding a deep copy of ``optimizer``'s state, so the run is untouched.
    It runs under ``torch.profiler`` with ``profile_memory=True`` (its start/stop notices
    dropped from stderr, :func:`_without_profiler_notices`); the result is the maximum
    over the step of the cumulative bytes of the profiler's ``[memory]`` events (each
    allocation and free of the CPU allocator, in time order; the per-op events would net out
    transients freed inside an op), and 0 if nothing outlives its own allocation peak.
    """
    if param.grad is None:
        raise ValueError("probe_step_peak_bytes needs a parameter with a gradient")
    probe = param.detach().clone().requires_grad_(True)
    probe.grad = param.grad.detach().clone()
    twin = _copy_optimizer(spec, optimizer, probe)
    loss = loss.detach().clone()
    with _without_profiler_notices(), torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        twin.step(loss)
    assert prof.profiler is not None and prof.profiler.kineto_results is not None
    memory = sorted((e for e in prof.profiler.kineto_results.events()
                     if e.name() == "[memory]" and e.device_type() == DeviceType.CPU),
                    key=lambda e: e.start_ns())
    return max([0, *itertools.accumulate(e.nbytes() for e in memory)])


class FiniteRows:
    """Which rows of each step's gradient are finite: ``rows()[k] == isfinite(g_k).all(-1)``
    for the gradients g_k given to :meth:`add` in step order (k = 0, 1, ...).

    A gradient is copied into a block of buffered steps (one op per step) and a full block is
    checked at once; a gradient of more than :data:`BLOCK_ELEMENTS` elements is checked when
    it arrives (a copy of it would cost as much as the check). The values checked are the
    gradients as they were when given (copied before the optimizer may touch them).
    """

    #: Elements buffered per block (512 KiB of float64).
    BLOCK_ELEMENTS = 1 << 16

    def __init__(self, horizon: int, like: torch.Tensor) -> None:
        self._rows = torch.empty(horizon, like.shape[0], dtype=torch.bool, device=like.device)
        steps = min(horizon, self.BLOCK_ELEMENTS // max(1, like.numel()))
        self._block = (torch.empty(steps, *like.shape, dtype=like.dtype, device=like.device)
                       if steps > 1 else None)
        self._start = 0                     # the first step held in the block

    def add(self, step: int, grad: torch.Tensor) -> None:
        if self._block is None:
            self._rows[step] = torch.isfinite(grad).all(dim=-1)
            return
        self._block[step - self._start] = grad
        if step + 1 - self._start == len(self._block):
            self._check(step + 1)

    def _check(self, end: int) -> None:
        assert self._block is not None
        self._rows[self._start:end] = torch.isfinite(self._block[:end - self._start]).all(dim=-1)
        self._start = end

    def rows(self) -> torch.Tensor:
        """(horizon, B) bool; every step must have been added."""
        if self._block is not None and self._start < len(self._rows):
            self._check(len(self._rows))
        return self._rows


TIMED_PROBLEMS_KEPT = 16
"""Offline problems kept for timed runs: more than the sizes of ``cost_scaling``'s d sweep,
which steps each optimizer through every size of a repeat in turn."""


@functools.lru_cache(maxsize=TIMED_PROBLEMS_KEPT)
def _timed_problem(name: str, seeds: tuple[int, ...], params: str, dtype: str, device: str
                   ) -> tuple[Problem, torch.Tensor]:
    """An offline problem and its start point for timed runs, kept for later timed runs of
    the same problem (``cost_scaling`` steps every optimizer on the same problem per size and
    repeat: building a d = 2^24 quadratic and its start took ~1 s, longer than the timed
    steps). An offline problem is not changed by a run, and the runner steps a clone of the
    start."""
    problem = make_problem(name, seeds, json.loads(params), dtype=dtype, device=device)
    return problem, problem.x0()


def run_spec(spec: RunSpec) -> RunRecord:
    """Run every seed of ``spec`` as one batched computation and return the record."""
    validate_spec(spec)
    timed = "step_times" in spec.record
    allocator = steady_allocator() if timed else None
    start = time.perf_counter()
    if timed and not problem_class(spec.problem).online:
        problem, start_point = _timed_problem(
            spec.problem, spec.seeds, json.dumps(spec.to_dict()["problem_params"],
                                                 sort_keys=True), spec.dtype, spec.device)
    else:
        problem = make_problem(spec.problem, spec.seeds, spec.problem_params,
                               dtype=spec.dtype, device=spec.device)
        start_point = problem.x0()
    param = start_point.clone().requires_grad_(True)
    optimizer = RunOptimizer(spec.optimizer, param, spec.hyperparameters, spec.horizon)
    _check_optimizer_quantities(spec, optimizer)
    batch, horizon, device, dtype = problem.batch, spec.horizon, param.device, param.dtype
    measured = _problem_quantities(problem, spec)
    after_step = {name: getattr(optimizer, name) for name in ("window", "momentum")
                  if name in spec.record}
    losses = torch.empty(horizon, batch, dtype=dtype, device=device)
    series = {name: torch.empty(horizon, batch, dtype=dtype, device=device)
              for name in [*measured, *after_step]}
    vectors = {name: torch.empty(horizon, batch, problem.dim, dtype=dtype, device=device)
               for name in spec.record
               if name in ("x", "grad") or name.startswith(STATE_PREFIX)}
    finite_grads = FiniteRows(horizon, param)
    box = problem.box
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        torch.cuda.synchronize(device)
    step_times: list[float] | None = [] if "step_times" in spec.record else None
    step_cpu: list[float] = []
    setup_s = time.perf_counter() - start
    loop_start = time.perf_counter()
    for t in range(1, horizon + 1):
        x = param.detach()
        loss, grad = problem.loss_and_grad(x, t)
        if loss.dtype != dtype:
            raise ValueError(f"problem {spec.problem!r} returned a {loss.dtype} loss at step "
                             f"{t}; expected {dtype}, the dtype of its parameter")
        losses[t - 1] = loss
        finite_grads.add(t - 1, grad)
        if "x" in vectors:
            vectors["x"][t - 1] = x
        if "grad" in vectors:
            vectors["grad"][t - 1] = grad
        for name, fn in measured.items():
            series[name][t - 1] = fn(x, grad)
        param.grad = grad
        if step_times is None:
            optimizer.step(loss)
        else:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            step_start, cpu_start = time.perf_counter(), time.thread_time()
            optimizer.step(loss)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            step_times.append(time.perf_counter() - step_start)
            step_cpu.append(time.thread_time() - cpu_start)
        if box is not None:
            with torch.no_grad():
                param.clamp_(box[0], box[1])
        for name, fn in after_step.items():
            series[name][t - 1] = fn()
        for name, values in vectors.items():
            if name.startswith(STATE_PREFIX):
                values[t - 1] = optimizer.state_tensor(name[len(STATE_PREFIX):])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    run_s = time.perf_counter() - loop_start

    finite = torch.isfinite(losses) & finite_grads.rows()
    healthy = np.cumprod(finite.cpu().numpy().T, axis=1).astype(bool)           # (B, T)
    dead = ~healthy
    diverged = np.where(dead.any(axis=1), dead.argmax(axis=1) + 1, 0)

    def finish(values: torch.Tensor) -> np.ndarray:
        out = values.detach().to(device="cpu", dtype=torch.float64).numpy().T.copy()
        out[dead] = np.nan
        return out

    loss_array = finish(losses)
    extras = {name: finish(values) for name, values in series.items()}
    for name, values in vectors.items():
        for i in range(problem.dim):
            extras[f"{name}[{i}]"] = finish(values[:, :, i])
    if "regret" in spec.record:
        comparator = problem.comparator_prefix(horizon)  # type: ignore[attr-defined]
        extras["regret"] = metrics.regret(loss_array, comparator)
    diverged_at = {seed: int(k) for seed, k in zip(spec.seeds, diverged, strict=True) if k > 0}
    param_bytes = param.numel() * param.element_size()
    timings: dict[str, Any] = {
        "setup_s": setup_s, "run_s": run_s, "step_s": run_s / horizon,
        "instances": batch, "dim": problem.dim,
        "state_bytes": optimizer.state_bytes(), "param_bytes": param_bytes,
        "peak_memory_bytes": (torch.cuda.max_memory_allocated(device)
                              if device.type == "cuda" else None),
    }
    if step_times is not None:
        timings["optimizer_step_s"], timings["optimizer_step_cpu_s"] = step_times, step_cpu
        cache = last_level_cache()
        timings["llc_bytes"], timings["llc_source"] = cache.size_bytes, cache.source
        timings["allocator"] = allocator
    if "peak_memory" in spec.record:
        if device.type == "cuda":
            timings["peak_memory_method"] = "torch.cuda.max_memory_allocated (whole run)"
        else:       # baseline (parameter + gradient + state) + the step's temporaries
            timings["peak_memory_bytes"] = (2 * param_bytes + optimizer.state_bytes()
                                            + probe_step_peak_bytes(spec, optimizer, param,
                                                                    loss))
            timings["peak_memory_method"] = "torch.profiler (CPU)"
    return RunRecord(spec=spec, losses=loss_array, extras=extras,
                     status="diverged" if diverged_at else "ok", diverged_at=diverged_at,
                     timings=timings, info=problem.info())


def failed_record(spec: RunSpec, error: str) -> RunRecord:
    """The record of a run that could not be made (saved as "failed", made again next time)."""
    return RunRecord(spec=spec, losses=np.full((len(spec.seeds), spec.horizon), np.nan),
                     status="failed", error=error)


def run_spec_safely(spec: RunSpec) -> RunRecord:
    """:func:`run_spec`, with any exception turned into a "failed" record (for sweeps)."""
    try:
        return run_spec(spec)
    except Exception as exc:  # noqa: BLE001 - a sweep must survive one bad run
        return failed_record(spec, "".join(traceback.format_exception_only(type(exc), exc))
                             .strip())


class Executor(Protocol):
    """Runs ``fn`` on every spec and yields the results as they finish (any order).

    :class:`~experiments.executors.SequentialExecutor`,
    :class:`~experiments.executors.ProcessPoolExecutor` and
    :class:`~experiments.ray_executor.RayExecutor` implement it, and run the same specs.
    """

    def map(self, fn: Callable[[RunSpec], RunRecord],
            specs: Sequence[RunSpec]) -> Iterable[RunRecord]: ...


def pending(specs: Iterable[RunSpec], store: ResultStore) -> list[RunSpec]:
    """The distinct specs whose complete result is not yet in ``store`` (order kept)."""
    seen: set[str] = set()
    out = []
    for spec in specs:
        key = f"{spec.experiment}/{spec.key()}"
        if key not in seen and not store.has(spec):
            seen.add(key)
            out.append(spec)
    return out


def run_specs(specs: Iterable[RunSpec], store: ResultStore, executor: Executor | None = None,
              progress: bool = True) -> list[RunRecord]:
    """Run the specs whose results are not stored yet, saving each as soon as it finishes.

    Returns the records of the runs actually made (so ``len(...)`` is the number run; stored
    specs are skipped). Failed runs are saved with status "failed" and run again next time.
    The offline problems kept for the sweep's timed runs (:func:`_timed_problem`) are released
    when the sweep ends.
    """
    from experiments.executors import SequentialExecutor

    todo = pending(specs, store)
    executor = executor or SequentialExecutor()
    done: list[RunRecord] = []
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="runs", unit="run", leave=False)
    try:
        for record in executor.map(run_spec_safely, todo):
            store.save(record)
            done.append(record)
            if bar is not None:
                bar.update(1)
    finally:
        _timed_problem.cache_clear()
        if bar is not None:
            bar.close()
    return done
