"""The same small sweep through the local executors and through Ray: overhead per task.

Runs the quick specs of one experiment (default ``lessard_cycle``: many short runs, so the
per-task cost shows) in this process, in a local pool of ``--workers`` processes, and as Ray
tasks on a local Ray instance with ``--workers`` CPUs, all in one invocation, and prints the
wall time of each, Ray's start-up time apart, and Ray's overhead per task relative to the
local pool: (ray - pool) / tasks. Results are computed, not stored.

    dwmgrad-verify bench ray [--experiment NAME] [--workers N] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.output import emit
from verify_io.errors import UsageError
from verify_io.options import positive_int
from verify_io.paths import path_argument

DEFAULT_EXPERIMENT = "lessard_cycle"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", default=DEFAULT_EXPERIMENT, metavar="NAME",
                        help=f"whose quick specs make the sweep (default {DEFAULT_EXPERIMENT})")
    parser.add_argument("--workers", default="2", metavar="N",
                        help="local pool processes = Ray CPUs (default 2)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=path_argument, default=None, metavar="FILE",
                        help="also write the JSON result to FILE")


def _timed(map_fn: Callable[[], Sequence[Any]]) -> float:
    start = time.perf_counter()
    records = map_fn()
    elapsed = time.perf_counter() - start
    failed = [r.spec.key() for r in records if r.status == "failed"]
    if failed:
        raise RuntimeError(f"benchmark runs failed: {failed}")
    return elapsed


def run(args: argparse.Namespace) -> int:
    from experiments.api import experiments_registry, validate_executor

    registry = experiments_registry()
    if args.experiment not in registry:
        raise UsageError(f"unknown experiment {args.experiment!r}; expected one of: "
                         + ", ".join(sorted(registry)))
    workers = positive_int("--workers", args.workers)
    validate_executor("ray", None)
    import ray

    from experiments.executors import ProcessPoolExecutor, SequentialExecutor
    from experiments.ray_executor import RayExecutor
    from experiments.runner import run_spec_safely

    specs = registry[args.experiment].specs("quick")
    sequential = _timed(lambda: list(SequentialExecutor().map(run_spec_safely, specs)))
    pool = _timed(lambda: list(ProcessPoolExecutor(workers).map(run_spec_safely, specs)))
    start = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - start
    try:
        on_ray = _timed(lambda: list(RayExecutor().map(run_spec_safely, specs)))
    finally:
        ray.shutdown()
    result = {
        "experiment": args.experiment, "tasks": len(specs), "workers": workers,
        "sequential_s": sequential, "local_pool_s": pool, "ray_startup_s": startup,
        "ray_s": on_ray, "ray_overhead_per_task_s": (on_ray - pool) / len(specs),
    }

    def table() -> str:
        return "\n".join([
            f"{len(specs)} quick runs of {args.experiment}, {workers} workers:",
            f"  in this process      {sequential:8.2f} s",
            f"  local process pool   {pool:8.2f} s",
            f"  Ray tasks            {on_ray:8.2f} s  (Ray start-up {startup:.2f} s apart)",
            f"  Ray overhead / task  {result['ray_overhead_per_task_s'] * 1e3:8.1f} ms "
            "(vs the local pool)",
        ])

    emit(result, table, as_json=args.json, out=args.out)
    return 0
