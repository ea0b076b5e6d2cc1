"""Project the wall time of a sweep on N cores from the per-run times a result store recorded.

Every run's ``<key>.timings.json`` holds ``run_s``, the time that run took in its worker (one
torch thread). The sweep's work is their sum; on N cores (one run per core, longest first:
the LPT schedule, which is within 4/3 of the best possible) the wall time is the largest
per-core sum. Nothing is rerun: the projection reads the files of a finished (or partly
finished) `dwmgrad-verify run/all --out DIR`.

    dwmgrad-verify bench project DIR [--cores 1,2,4,8,16,32] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import heapq
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.output import emit
from verify_io.errors import UsageError
from verify_io.options import positive_int_list
from verify_io.paths import path_argument

DEFAULT_CORES = "1,2,4,8,16,32"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=path_argument, metavar="DIR",
                        help="a result directory written by run/all (--out)")
    parser.add_argument("--cores", default=DEFAULT_CORES, metavar="N,N,...",
                        help=f"core counts to project for (default {DEFAULT_CORES})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=path_argument, default=None, metavar="FILE",
                        help="also write the JSON result to FILE")


def run_times(results: Path) -> dict[str, list[float]]:
    """{experiment: [run_s of each recorded run]} from ``results/runs/*/*.timings.json``."""
    runs = results / "runs"
    if not runs.is_dir():
        raise UsageError(f"{str(results)!r} holds no runs/ folder; expected the --out DIR of a "
                         "dwmgrad-verify run or all")
    times: dict[str, list[float]] = defaultdict(list)
    for path in sorted(runs.glob("*/*.timings.json")):
        try:
            seconds = json.loads(path.read_text())["run_s"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path} is not a readable timings file ({type(exc).__name__}); "
                             "verify the directory with dwmgrad-verify verify-results") from None
        if not isinstance(seconds, int | float) or not seconds >= 0:
            raise UsageError(f"{path}: run_s {seconds!r} is not a non-negative number")
        times[path.parent.name].append(float(seconds))
    if not times:
        raise UsageError(f"{str(runs)!r} holds no run timings; run an experiment into it first")
    return dict(times)


def lpt_makespan(durations: list[float], cores: int) -> float:
    """Wall time of the longest-processing-time-first schedule of ``durations`` on ``cores``."""
    loads = [0.0] * min(cores, max(len(durations), 1))
    heapq.heapify(loads)
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + duration)
    return max(loads)


def project(times: dict[str, list[float]], cores: list[int]) -> dict[str, Any]:
    every = [t for ts in times.values() for t in ts]
    return {
        "runs": len(every),
        "work_s": sum(every),
        "longest_run_s": max(every),
        "experiments": {name: {"runs": len(ts), "work_s": sum(ts), "longest_run_s": max(ts)}
                        for name, ts in sorted(times.items())},
        "wall_s": {str(n): lpt_makespan(every, n) for n in cores},
    }


def _table(result: dict[str, Any]) -> str:
    lines = [f"{'experiment':<24} {'runs':>6} {'work (s)':>10} {'longest (s)':>12}"]
    for name, row in result["experiments"].items():
        lines.append(f"{name:<24} {row['runs']:>6} {row['work_s']:>10.1f} "
                     f"{row['longest_run_s']:>12.1f}")
    lines.append(f"{'total':<24} {result['runs']:>6} {result['work_s']:>10.1f} "
                 f"{result['longest_run_s']:>12.1f}")
    lines.append("")
    lines.append("projected wall time (LPT schedule of the recorded run times):")
    lines.extend(f"  {n:>4} cores: {seconds:10.1f} s ({seconds / 3600:.2f} h)"
                 for n, seconds in result["wall_s"].items())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cores = positive_int_list("--cores", args.cores)
    result = project(run_times(args.results), cores)
    emit(result, lambda: _table(result), as_json=args.json, out=args.out)
    return 0
