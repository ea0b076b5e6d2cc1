"""Public entry for ``dwmgrad-verify run`` and ``all``: :func:`run_experiments`.

Everything the user gave is validated before any work starts (:func:`validate_request`):
experiment names, scale, device, output directory, worker count; then every spec of every
requested experiment is checked (:func:`experiments.runner.validate_spec`). Only then do the
runs start; specs whose results are stored are skipped, so a rerun after an interruption
resumes where it stopped. Each experiment's ``measure(store)`` then computes its metrics from
the result files, written to ``DIR/measurements/<name>.json``.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from experiments.executors import ProcessPoolExecutor, SequentialExecutor, make_executor
from experiments.records import NewerFormatError, RunRecord
from experiments.runner import Executor, run_specs, validate_spec
from experiments.spec import RunSpec
from experiments.store import ResultStore
from verify_io.errors import UsageError
from verify_io.options import worker_count
from verify_io.paths import result_dir

SCALES = ("quick", "full")
DEVICES = ("cpu", "cuda")
EXECUTORS = ("local", "ray")


def experiments_registry() -> dict[str, ModuleType]:
    """``experiments.named.EXPERIMENTS``, imported lazily (it registers extra problems)."""
    from experiments.named import EXPERIMENTS

    return dict(EXPERIMENTS)


def validate_request(names: Sequence[str], scale: str, out_dir: str | os.PathLike[str],
                     device: str = "cpu", workers: int = 1, executor: str = "local",
                     ray_address: str | None = None) -> dict[str, ModuleType]:
    """Check every argument; return the selected experiment modules, or raise UsageError."""
    registry = experiments_registry()
    valid = ", ".join(sorted(registry)) or "(none registered)"
    if not names:
        raise UsageError(f"no experiment given; expected one or more of: {valid}")
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise UsageError(f"unknown experiment {', '.join(map(repr, unknown))}; expected one or "
                         f"more of: {valid}")
    if scale not in SCALES:
        raise UsageError(f"--scale {scale!r} is not valid; expected one of: {', '.join(SCALES)}")
    if device not in DEVICES:
        raise UsageError(f"--device {device!r} is not valid; expected one of: "
                         f"{', '.join(DEVICES)}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UsageError("--device 'cuda' is not available: torch sees no CUDA device "
                             "(use --device cpu)")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"--workers {workers!r} is not valid; expected an integer N >= 1")
    worker_count("--workers", workers)
    validate_executor(executor, ray_address)
    out = result_dir(out_dir, option="--out")
    for name in names:                  # the places this command writes under runs/, measurements/
        for path, folder in ((out / "runs" / name, True),
                             (out / "measurements" / f"{name}.json", False)):
            if path.exists() and path.is_dir() != folder:
                raise UsageError(f"--out {str(out)!r} cannot hold results: {str(path)!r} is a "
                                 f"{'file' if folder else 'directory'}; expected a "
                                 f"{'directory' if folder else 'file'} there")
    return {name: registry[name] for name in dict.fromkeys(names)}


def validate_executor(executor: str, ray_address: str | None) -> None:
    """``--executor`` is known and usable here; ``--ray-address`` goes with ``--executor ray``."""
    if executor not in EXECUTORS:
        raise UsageError(f"--executor {executor!r} is not valid; expected one of: "
                         f"{', '.join(EXECUTORS)}")
    if executor != "ray":
        if ray_address is not None:
            raise UsageError(f"--ray-address {ray_address!r} needs --executor ray")
        return
    if ray_address is not None and not ray_address.strip():
        raise UsageError(f"--ray-address {ray_address!r} is not valid; expected an address "
                         "such as 'auto' or 'ray://HOST:10001' (or leave it out to start a "
                         "local Ray instance)")
    from experiments.ray_executor import require_ray

    try:
        require_ray()
    except ModuleNotFoundError as exc:
        raise UsageError(str(exc)) from None


def collect_specs(modules: dict[str, ModuleType], scale: str, device: str) -> list[RunSpec]:
    """Every spec of the selected experiments, on ``device``, each validated."""
    specs: list[RunSpec] = []
    for name, module in modules.items():
        for spec in module.specs(scale):
            spec = spec if spec.device == device else spec.with_changes(device=device)
            try:
                validate_spec(spec)
            except ValueError as exc:
                raise UsageError(f"experiment {name!r} has an invalid spec: {exc}") from None
            specs.append(spec)
    return specs


POOL_MIN_BATCH = 8
"""A search's batch of at least this many runs to make goes to the local pool; a smaller one
runs in this process."""


def search_engine(todo: int, executor: Executor) -> Executor:
    """Where a search's batch of ``todo`` runs is made. A search asks for a few runs at a time
    (a CMA-ES generation, a bisection probe), and a local pool's workers are spawned when
    first needed (each importing torch and the problems: ~4 s of CPU), which a search of
    small batches alone would not pay back; those run in this process (one torch thread:
    byte-identical runs). A batch of at least :data:`POOL_MIN_BATCH` runs (the empirical
    evaluation, a round of the lr grids' extensions, the replays) goes to the pool, whose
    workers are kept from batch to batch; any other executor (Ray) is kept."""
    small = isinstance(executor, ProcessPoolExecutor) and todo < POOL_MIN_BATCH
    return SequentialExecutor() if small else executor


class SearchEngine:
    """An executor that makes each batch where :func:`search_engine` says, by the batch's
    size: :func:`~experiments.runner.run_specs` hands it the pending runs only, so a
    search's batch is checked against the store once."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def map(self, fn: Callable[[RunSpec], RunRecord],
            specs: Sequence[RunSpec]) -> Iterable[RunRecord]:
        return search_engine(len(specs), self.executor).map(fn, specs)


def _close_pool(executor: Executor) -> None:
    """End a local pool's workers (kept from batch to batch,
    :class:`~experiments.executors.ProcessPoolExecutor`); any other executor is left as is."""
    if isinstance(executor, ProcessPoolExecutor):
        executor.close()


def _measure(module: ModuleType, store: ResultStore, scale: str, device: str,
             executor: Executor) -> dict[str, Any]:
    """``module.measure``, after ``module.search`` for an adaptive experiment: its runs depend
    on earlier results, so it drives them itself through a ``run(specs) -> records`` that
    stores each record (stored runs are not repeated)."""
    adaptive = getattr(module, "search", None)
    if adaptive is not None:
        def run(specs: Sequence[RunSpec]) -> list[RunRecord]:
            moved = [s if s.device == device else s.with_changes(device=device) for s in specs]
            made = {r.spec: r for r in run_specs(moved, store, SearchEngine(executor),
                                                 progress=False)}
            return [made[s] if s in made else store.load(s) for s in moved]

        adaptive(store, scale, run)
    if "scale" in inspect.signature(module.measure).parameters:
        result: dict[str, Any] = module.measure(store, scale=scale)
    else:
        result = module.measure(store)
    return result


def run_experiments(names: Sequence[str], scale: str, out_dir: str | os.PathLike[str],
                    device: str = "cpu", workers: int = 1, progress: bool = True,
                    executor: str = "local",
                    ray_address: str | None = None) -> dict[str, dict[str, Any]]:
    """Run the named experiments at ``scale`` into ``out_dir`` and measure them.

    Returns {name: measurement}. A measurement that cannot be computed (e.g. a run failed)
    is returned and written as {"experiment", "scale", "created", "error"} instead of
    raising, so one broken experiment does not lose the others.
    """
    modules = validate_request(names, scale, out_dir, device, workers, executor, ray_address)
    timed = {name: m for name, m in modules.items() if getattr(m, "TIMED", False)}
    specs = collect_specs({n: m for n, m in modules.items() if n not in timed}, scale, device)
    timed_specs = collect_specs(timed, scale, device)
    store = ResultStore(out_dir, device=None if device == "cpu" else device)
    engine = make_executor(workers, executor, ray_address)
    try:
        run_specs(specs, store, engine, progress=progress)
        if timed_specs:
            _close_pool(engine)          # no idle pool worker beside the timings
        # Timings: after every other run, one at a time, in this process and in the listed
        # order (their repeats interleaved), so no concurrent run shares the memory bus.
        run_specs(timed_specs, store, SequentialExecutor(), progress=progress)
    except NewerFormatError as exc:     # raised while finding the pending specs: no run made
        raise UsageError(str(exc)) from None
    results: dict[str, dict[str, Any]] = {}
    for name, module in modules.items():
        try:
            measurement = _measure(module, store, scale, device, engine)
        except Exception as exc:  # noqa: BLE001 - keep the other experiments' measurements
            measurement = {
                "experiment": name, "scale": scale,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "error": "".join(traceback.format_exception_only(type(exc), exc)).strip(),
            }
        path = store.write_measurement(name, measurement)
        if "error" in measurement:
            kept = (f"; the earlier good measurement {store.measurement_path(name)} is kept"
                    if path != store.measurement_path(name) else "")
            print(f"experiment {name}: measurement failed: {measurement['error']} "
                  f"(written to {path}{kept})", file=sys.stderr)
        results[name] = measurement
    _close_pool(engine)
    return results
