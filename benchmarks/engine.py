"""`dwmgrad-verify bench engine`: the batched runner against a per-instance Python loop.

Both sides run the same problem, optimizer and horizon through
:func:`experiments.runner.run_spec`: the batched side as ONE spec with ``instances`` seeds
(one (B, d) tensor, ``per_instance=True``), the loop side as one single-seed spec per
instance (``loop_instances`` of them, all by default). Throughput is instance-steps per
second of wall time, including each run's setup (problem, initial point, optimizer), so the
ratio is what a sweep gains by batching. Both are measured in the same process, one after the
other, with ``--threads`` torch threads (default 1; other jobs on a shared machine make
multi-threaded timings noisy). The batched rows are checked against the single runs
(float64, rtol 1e-12) so the speed is not bought with a different computation.
Target (issue 4): ratio ≥ 20 at 256 instances.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.output import emit
from experiments.runner import run_spec
from experiments.spec import RunSpec
from verify_io.errors import UsageError
from verify_io.options import check_threads, positive_int
from verify_io.paths import path_argument, writable_file

TARGET_RATIO = 20.0


def engine_spec(instances: int, horizon: int, dim: int, optimizer: str) -> RunSpec:
    """The benchmark's spec: a diagonal quadratic (κ = 10) and paper-default DWMGrad, lr 1e-2."""
    return RunSpec(experiment="bench_engine", problem="quadratic", optimizer=optimizer,
                   horizon=horizon, seeds=tuple(range(instances)),
                   problem_params={"d": dim, "mu": 1.0, "L": 10.0, "rotate": False},
                   hyperparameters={"lr": 1e-2})


def run_engine_benchmark(instances: int = 256, horizon: int = 100, dim: int = 10,
                         optimizer: str = "DWMGrad", loop_instances: int | None = None,
                         threads: int = 1) -> dict[str, Any]:
    """Time the batched run and the per-instance loop; return the numbers and their ratio."""
    loop_instances = instances if loop_instances is None else loop_instances
    if instances < 1 or horizon < 1 or dim < 1 or not 1 <= loop_instances <= instances:
        raise ValueError(f"Invalid engine benchmark (instances={instances}, horizon={horizon}, "
                         f"dim={dim}, loop_instances={loop_instances}); expected positive "
                         "values and loop_instances <= instances")
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        spec = engine_spec(instances, horizon, dim, optimizer)
        run_spec(spec.with_changes(seeds=(0,), horizon=2))           # warm-up (imports, caches)
        start = time.perf_counter()
        batched = run_spec(spec)
        batched_s = time.perf_counter() - start
        singles = []
        start = time.perf_counter()
        for seed in spec.seeds[:loop_instances]:
            singles.append(run_spec(spec.with_changes(seeds=(seed,))))
        loop_s = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous_threads)
    for row, single in enumerate(singles):
        np.testing.assert_allclose(batched.losses[row], single.losses[0], rtol=1e-12, atol=1e-14)
    batched_rate = instances * horizon / batched_s
    loop_rate = loop_instances * horizon / loop_s
    ratio = batched_rate / loop_rate
    return {
        "benchmark": "engine", "problem": spec.problem, "problem_params": dict(spec.problem_params),
        "optimizer": optimizer, "instances": instances, "loop_instances": loop_instances,
        "horizon": horizon, "threads": threads, "torch": torch.__version__,
        "batched_s": batched_s, "loop_s": loop_s,
        "batched_instance_steps_per_s": batched_rate, "loop_instance_steps_per_s": loop_rate,
        "ratio": ratio, "target_ratio": TARGET_RATIO, "target_met": ratio >= TARGET_RATIO,
        "results_match": True,
    }


def format_result(result: dict[str, Any]) -> str:
    verdict = "met" if result["target_met"] else "NOT met"
    return "\n".join([
        f"engine benchmark: {result['optimizer']} on {result['problem']} "
        f"{result['problem_params']}, horizon {result['horizon']}, {result['threads']} thread(s)",
        f"  batched   {result['instances']:>5} instances in one run : {result['batched_s']:8.3f} s"
        f"  {result['batched_instance_steps_per_s']:12.0f} instance-steps/s",
        f"  per-instance loop, {result['loop_instances']:>5} runs     : {result['loop_s']:8.3f} s"
        f"  {result['loop_instance_steps_per_s']:12.0f} instance-steps/s",
        f"  throughput ratio batched / loop: {result['ratio']:.1f}x "
        f"(target >= {result['target_ratio']:.0f}x: {verdict})",
        "  batched rows equal the single runs (rtol 1e-12): yes",
    ])


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instances", default="256", help="instances (seeds), default 256")
    parser.add_argument("--horizon", default="100", help="steps per run, default 100")
    parser.add_argument("--dim", default="10", help="problem dimension, default 10")
    parser.add_argument("--optimizer", default="DWMGrad", help="optimizer, default DWMGrad")
    parser.add_argument("--loop-instances", default=None,
                        help="single runs timed for the loop (default: all instances)")
    parser.add_argument("--threads", default="1", help="torch threads, default 1")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--out", type=path_argument, default=None, help="also write the JSON here")


def _optional_positive(name: str, text: str | None) -> int | None:
    return None if text is None else positive_int(f"--{name}", text)


def run(args: argparse.Namespace) -> int:
    from experiments.optimizers import optimizer_names

    if args.optimizer not in optimizer_names():
        raise UsageError(f"--optimizer {args.optimizer!r} is unknown; expected one of: "
                         f"{', '.join(optimizer_names())}")
    values = {name: _optional_positive(name, getattr(args, name.replace("-", "_")))
              for name in ("instances", "horizon", "dim", "loop-instances", "threads")}
    if values["threads"] is not None:
        check_threads("--threads", values["threads"])
    instances = values["instances"] or 256
    if values["loop-instances"] is not None and values["loop-instances"] > instances:
        raise UsageError(f"--loop-instances {values['loop-instances']} exceeds --instances "
                         f"{instances}")
    if args.out is not None:
        writable_file(args.out, option="--out")
    result = run_engine_benchmark(
        instances=instances, horizon=values["horizon"] or 100,
        dim=values["dim"] or 10, optimizer=args.optimizer,
        loop_instances=values["loop-instances"], threads=values["threads"] or 1,
    )
    emit(result, lambda: format_result(result), as_json=args.json,
         out=None if args.out is None else Path(args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry: ``python -m benchmarks.engine [options]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine",
                                     description=(__doc__ or "").splitlines()[0])
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
