"""`dwmgrad-verify bench all`: every benchmark in one run, with the ratios measured in that run.

1. ``optimizers`` (:mod:`benchmarks.optimizers`): step time of DWMGrad's paths against
   its peers (``torch.optim.Adam``, the authors' DWMGrad class, ...), and its roofline
   fraction (``bench optimizers`` times the package's other optimizers too).
2. ``engine`` (:mod:`benchmarks.engine`): the batched runner against a per-instance loop.
3. ``end_to_end``: the wall time (and the child's CPU time) of
   ``dwmgrad-verify all --scale quick --out <temporary directory>``, run as a subprocess.

The three run one after the other in this process (1 and 2) and its child (3), so every ratio
compares numbers taken on the same machine in the same minutes; the 1-minute load average
before and after is recorded, since other jobs on a shared machine slow everything down. The
summary is printed and written as JSON to ``--json-out`` (default
``./dwmgrad-report/bench.json``). Targets (issues 2, 4, 5, 16): fused DWMGrad / fused Adam
≤ 1.1, DWMGrad's roofline fraction ≥ 0.8, authors' class / foreach path ≥ 2, batched / loop
throughput ≥ 20, ``all --scale quick`` under 10 minutes (wall / 600 s ≤ 1; the child's CPU
time / 600 s is printed beside it: on a shared machine the wall time also counts waiting for
a core).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import engine, optimizers
from benchmarks.output import emit
from verify_io.errors import UsageError
from verify_io.options import check_threads, positive_int
from verify_io.paths import path_argument

DEFAULT_JSON_OUT = Path("dwmgrad-report") / "bench.json"
#: The end-to-end command; "{out}" becomes a fresh temporary directory.
END_TO_END_COMMAND: tuple[str, ...] = ("all", "--scale", "{scale}", "--out", "{out}")
END_TO_END_TARGET_S = {"quick": 600.0}
SCALES = ("quick", "full")
#: ratio name -> (section, key in that section's "ratios", comparison, target)
TARGETS: dict[str, tuple[str, str, float]] = {
    "dwmgrad_fused_over_adam_fused": ("optimizers", "<=", 1.1),
    "roofline_fraction_DWMGrad": ("optimizers", ">=", 0.8),
    "authors_over_foreach": ("optimizers", ">=", 2.0),
    "engine_batched_over_loop": ("engine", ">=", engine.TARGET_RATIO),
    "end_to_end_wall_over_target": ("end_to_end", "<=", 1.0),
    "end_to_end_cpu_over_target": ("end_to_end", "<=", 1.0),
}


def load_average() -> float:
    return os.getloadavg()[0]


def time_end_to_end(scale: str) -> dict[str, Any]:
    """Run the end-to-end command into a temporary directory; wall and child CPU seconds."""
    with tempfile.TemporaryDirectory(prefix="dwmgrad-bench-") as out:
        argv = [part.format(scale=scale, out=out) for part in END_TO_END_COMMAND]
        usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "dwmgrad_verify.cli", *argv],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    target = END_TO_END_TARGET_S.get(scale)
    reports = [line for line in proc.stdout.splitlines() if line.startswith("report:")]
    return {
        "command": "dwmgrad-verify " + " ".join(END_TO_END_COMMAND).format(scale=scale,
                                                                            out="<tmp>"),
        "exit_code": proc.returncode,
        "wall_s": wall,
        "cpu_s": cpu,
        "target_s": target,
        "summary_line": reports[-1] if reports else "",
        "stderr_tail": proc.stderr[-1000:] if proc.returncode else "",
        "ratios": {"end_to_end_wall_over_target": None if target is None else wall / target,
                   "end_to_end_cpu_over_target": None if target is None else cpu / target},
    }


def run_suite(*, numel: int, tensors: int, repeats: int, threads: int, instances: int,
              horizon: int, scale: str) -> dict[str, Any]:
    """Run the three benchmarks; return everything measured, with the ratios side by side."""
    load_before = load_average()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # DWMGrad's paths beside the peers (bench optimizers times the other six as well)
    opt = asdict(optimizers.measure(numel, tensors, repeats, threads, optimizers=("DWMGrad",)))
    eng = engine.run_engine_benchmark(instances=instances, horizon=horizon, threads=threads)
    eng["ratios"] = {"engine_batched_over_loop": eng["ratio"]}
    e2e = time_end_to_end(scale)
    sections = {"optimizers": opt, "engine": eng, "end_to_end": e2e}
    ratios = {name: sections[section]["ratios"].get(name)
              for name, (section, _, _) in TARGETS.items()}
    return {
        "started": started,
        "load_average_1min": {"before": load_before, "after": load_average()},
        "cpu_count": os.cpu_count(),
        "ratios": ratios,
        "targets": {name: f"{op} {value:g}" for name, (_, op, value) in TARGETS.items()},
        "targets_met": {name: met(name, value) for name, value in ratios.items()},
        **sections,
    }


def met(name: str, value: float | None) -> bool | None:
    if value is None:
        return None
    _, op, target = TARGETS[name]
    return value <= target if op == "<=" else value >= target


def format_summary(result: dict[str, Any]) -> str:
    opt, eng, e2e = result["optimizers"], result["engine"], result["end_to_end"]
    load = result["load_average_1min"]
    lines = [
        f"bench all ({result['started']}; {result['cpu_count']} CPUs; 1-min load average "
        f"{load['before']:.1f} before, {load['after']:.1f} after)",
        f"optimizers: {opt['numel']:,} float32 params in {opt['tensors']} tensors, "
        f"median of {opt['repeats']} steps, {opt['threads']} thread(s)",
        f"engine: {eng['instances']} instances x {eng['horizon']} steps of {eng['optimizer']}: "
        f"batched {eng['batched_s']:.3f} s, loop {eng['loop_s']:.3f} s",
        f"end to end: {e2e['command']}: exit {e2e['exit_code']}, wall {e2e['wall_s']:.1f} s, "
        f"CPU {e2e['cpu_s']:.1f} s" + (f"; {e2e['summary_line']}" if e2e["summary_line"] else ""),
        f"{'ratio (measured in this run)':<34}{'value':>10}  target",
    ]
    for name, value in result["ratios"].items():
        shown = "n/a" if value is None else f"{value:.3f}"
        state = {True: "met", False: "NOT met", None: "n/a"}[result["targets_met"][name]]
        lines.append(f"{name:<34}{shown:>10}  {result['targets'][name]} ({state})")
    if e2e["exit_code"] != 0:
        lines.append(f"end-to-end command failed:\n{e2e['stderr_tail']}")
    return "\n".join(lines)


def json_out_path(path: Path) -> Path:
    """``path`` if its directory can be created and written, else a UsageError naming it."""
    if path.exists() and path.is_dir():
        raise UsageError(f"--json-out {str(path)!r} is a directory; expected a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise UsageError(f"--json-out {str(path)!r} cannot be written: "
                         f"{exc.strerror or exc}") from None
    return path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json-out", type=path_argument, default=DEFAULT_JSON_OUT, metavar="PATH",
                        help=f"write the results here (default ./{DEFAULT_JSON_OUT})")
    parser.add_argument("--json", action="store_true", help="print the JSON instead of a table")
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="scale of the end-to-end `all` run: quick (default) or full")
    parser.add_argument("--numel", default=str(optimizers.DEFAULT_NUMEL),
                        help=f"optimizer benchmark: parameters (default "
                             f"{optimizers.DEFAULT_NUMEL:,})")
    parser.add_argument("--tensors", default=str(optimizers.DEFAULT_TENSORS),
                        help=f"optimizer benchmark: tensors (default {optimizers.DEFAULT_TENSORS})")
    parser.add_argument("--repeats", default=str(optimizers.DEFAULT_REPEATS),
                        help=f"optimizer benchmark: timed steps (default "
                             f"{optimizers.DEFAULT_REPEATS})")
    parser.add_argument("--instances", default="256",
                        help="engine benchmark: instances (default 256)")
    parser.add_argument("--horizon", default="100", help="engine benchmark: steps (default 100)")
    parser.add_argument("--threads", default=str(optimizers.DEFAULT_THREADS),
                        help=f"torch threads while timing (default {optimizers.DEFAULT_THREADS})")


def run(args: argparse.Namespace) -> int:
    if args.scale not in SCALES:
        raise UsageError(f"--scale {args.scale!r} is not valid; expected one of: "
                         f"{', '.join(SCALES)}")
    sizes = {name: positive_int(f"--{name}", getattr(args, name))
             for name in ("numel", "tensors", "repeats", "instances", "horizon", "threads")}
    check_threads("--threads", sizes["threads"])
    if sizes["numel"] < sizes["tensors"]:
        raise UsageError(f"--numel {sizes['numel']} is less than --tensors {sizes['tensors']}")
    path = json_out_path(Path(args.json_out))
    result = run_suite(scale=args.scale, **sizes)
    emit(result, lambda: format_summary(result), as_json=args.json, out=path)
    print(f"wrote {path}", file=sys.stderr)
    return 0 if result["end_to_end"]["exit_code"] == 0 else 1


def main(argv: list[str] | None = None) -> int:
    """Standalone entry: ``python -m benchmarks.suite [options]`` (same as ``bench all``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite",
                                     description=(__doc__ or "").splitlines()[0])
    configure(parser)
    try:
        return run(parser.parse_args(argv))
    except UsageError as exc:
        print(f"python -m benchmarks.suite: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
