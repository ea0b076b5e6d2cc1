"""`dwmgrad-verify bench optimizers`: step time of every optimizer path, against torch's Adam,
the authors' DWMGrad class and the memory-bandwidth roofline, all measured in the same run.

Setup: ``numel`` float32 parameters split into ``tensors`` tensors (CPU), fixed random
gradients. Every path (and the triad below) is warmed up (``WARMUP`` steps, which includes
torch.compile for fused paths), then all are timed round-robin, one step each per round, for
``repeats`` rounds; the median (and min) per entry is reported. Interleaving makes every
entry see the same machine load, which matters on a shared machine.

Roofline of a DWMGrad step (fused path, paper defaults, no ``max_second_moment``): per element
it reads θ, g, s, v and writes θ, s, v: 7 accesses of 4 bytes = 28 bytes per element
(``DWMGRAD_ACCESSES``). The achievable bandwidth is measured with a STREAM triad,
``a = b + c·x`` (``torch.add(b, c, alpha=x, out=a)``) on three float32 buffers of ``numel``
elements: 4 accesses per element, the 2 reads and 1 write STREAM counts plus the read of
``a``'s cache line before the write (torch's CPU kernels use ordinary stores, so the write
allocates; DWMGrad writes only buffers it has just read, so it pays no such read). The
roofline time is 28·numel / bandwidth, and the reported fraction is roofline time / fused
step time.

Timing uses ``--threads`` torch threads (default 1): on a machine shared with other jobs, an
OpenMP thread waiting for a busy core dominates multi-threaded timings.

Ratios (targets from the task): fused DWMGrad / fused Adam (≤ 1.2), roofline fraction
(≥ 0.7), authors' class / our foreach path (≥ 2). Each is printed from the median times and,
as a check less disturbed by other jobs on the machine, from the min times; every ratio
compares numbers from the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.authors_dwmgrad import AuthorsDWMGrad
from benchmarks.output import emit
from dwmgrad.registry import OPTIMIZERS, path_kwargs
from verify_io.errors import UsageError
from verify_io.paths import writable_file

DEFAULT_NUMEL = 4_000_000
DEFAULT_TENSORS = 8
DEFAULT_REPEATS = 20
DEFAULT_THREADS = 1
WARMUP = 3
BYTES_PER_FLOAT32 = 4
DWMGRAD_ACCESSES = 7  # reads θ, g, s, v; writes θ, s, v
TRIAD_ACCESSES = 4  # reads b, c; writes a (plus the write-allocate read of a)
TRIAD = "triad"
TARGETS = {"dwmgrad_fused_over_adam_fused": ("<=", 1.2), "roofline_fraction": (">=", 0.7),
           "authors_over_foreach": (">=", 2.0)}


@dataclass(frozen=True)
class Timing:
    label: str  # "<optimizer>/<path>"
    median_s: float
    min_s: float


@dataclass(frozen=True)
class Roofline:
    bytes_per_step: int
    triad_median_s: float
    bandwidth_gb_s: float
    roofline_s: float
    fused_s: float
    fraction: float


@dataclass(frozen=True)
class BenchResult:
    numel: int
    tensors: int
    repeats: int
    threads: int
    torch_version: str
    load_average: tuple[float, float]  # 1-minute load average before and after timing
    timings: list[Timing]
    roofline: Roofline | None
    ratios: dict[str, float | None]  # from median times (the reported numbers)
    ratios_min: dict[str, float | None]  # from min times (less sensitive to other jobs)
    targets: dict[str, str]  # ratio name -> "<= 1.2" etc.


def split_sizes(numel: int, tensors: int) -> list[int]:
    base, extra = divmod(numel, tensors)
    return [base + (1 if i < extra else 0) for i in range(tensors)]


def make_params(numel: int, tensors: int, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    params = []
    for size in split_sizes(numel, tensors):
        p = torch.randn(size, generator=gen).requires_grad_(True)
        p.grad = 1e-2 * torch.randn(size, generator=gen)
        params.append(p)
    return params


Builder = Callable[[list[torch.Tensor]], torch.optim.Optimizer]


def optimizer_builders() -> list[tuple[str, Builder, bool]]:
    """(label, constructor, needs_loss) for every path of every registered optimizer, torch's
    Adam (foreach and fused) and the authors' DWMGrad class."""
    builders: list[tuple[str, Builder, bool]] = []
    for name, info in sorted(OPTIMIZERS.items()):
        for path in info.paths:
            def build(params: list[torch.Tensor], info: Any = info, path: str = path) -> Any:
                return info.make(params, **path_kwargs(path))
            builders.append((f"{name}/{path}", build, info.needs_loss))
    builders.append(("torch.Adam/foreach", lambda ps: torch.optim.Adam(ps, foreach=True), False))
    builders.append(("torch.Adam/fused", lambda ps: torch.optim.Adam(ps, fused=True), False))
    builders.append(("authors.DWMGrad/forloop", AuthorsDWMGrad, True))
    return builders


def optimizer_step(build: Builder, needs_loss: bool, numel: int, tensors: int
                   ) -> Callable[[], object]:
    """One optimizer on its own parameters; the returned callable takes one step."""
    opt: Any = build(make_params(numel, tensors))
    loss = torch.tensor(1.0)
    return (lambda: opt.step(loss=loss)) if needs_loss else opt.step


def triad(numel: int) -> Callable[[], object]:
    """STREAM triad a = b + c·x on float32 buffers of ``numel`` elements."""
    gen = torch.Generator().manual_seed(1)
    a = torch.empty(numel)
    b, c = torch.randn(numel, generator=gen), torch.randn(numel, generator=gen)
    return lambda: torch.add(b, c, alpha=0.5, out=a)


def interleaved_times(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, Timing]:
    """Warm every call up, then time them round-robin, one call per entry per round, so that
    a change of machine load during the run affects every entry alike."""
    for call in calls.values():
        for _ in range(WARMUP):
            call()
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(repeats):
        for label, call in calls.items():
            start = time.perf_counter()
            call()
            times[label].append(time.perf_counter() - start)
    return {label: Timing(label, statistics.median(ts), min(ts)) for label, ts in times.items()}


def roofline(numel: int, fused: Timing | None, triad_timing: Timing) -> Roofline | None:
    if fused is None:
        return None
    bandwidth = TRIAD_ACCESSES * BYTES_PER_FLOAT32 * numel / triad_timing.median_s
    bytes_per_step = DWMGRAD_ACCESSES * BYTES_PER_FLOAT32 * numel
    roofline_s = bytes_per_step / bandwidth
    return Roofline(bytes_per_step, triad_timing.median_s, bandwidth / 1e9, roofline_s,
                    fused.median_s, roofline_s / fused.median_s)


def target_ratios(seconds: dict[str, float]) -> dict[str, float | None]:
    """The three target ratios from one statistic (median or min) of every entry's time.

    roofline fraction = (bytes per step / triad bandwidth) / fused step time
                      = (DWMGRAD_ACCESSES / TRIAD_ACCESSES) · triad time / fused step time
    (same numel and dtype for both).
    """
    def over(top: str, bottom: str) -> float | None:
        if top not in seconds or bottom not in seconds:
            return None
        return seconds[top] / seconds[bottom]

    fraction = over(TRIAD, "DWMGrad/fused")
    return {
        "dwmgrad_fused_over_adam_fused": over("DWMGrad/fused", "torch.Adam/fused"),
        "roofline_fraction": None if fraction is None
        else DWMGRAD_ACCESSES / TRIAD_ACCESSES * fraction,
        "authors_over_foreach": over("authors.DWMGrad/forloop", "DWMGrad/foreach"),
    }


def measure(numel: int, tensors: int, repeats: int, threads: int) -> BenchResult:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _measure(numel, tensors, repeats)
    finally:
        torch.set_num_threads(previous)


def _measure(numel: int, tensors: int, repeats: int) -> BenchResult:
    load_before = os.getloadavg()[0]
    calls = {label: optimizer_step(build, needs_loss, numel, tensors)
             for label, build, needs_loss in optimizer_builders()}
    calls[TRIAD] = triad(numel)
    by_label = interleaved_times(calls, repeats)
    ratios = target_ratios({label: t.median_s for label, t in by_label.items()})
    ratios_min = target_ratios({label: t.min_s for label, t in by_label.items()})
    triad_timing = by_label.pop(TRIAD)
    roof = roofline(numel, by_label.get("DWMGrad/fused"), triad_timing)
    return BenchResult(numel, tensors, repeats, torch.get_num_threads(), torch.__version__,
                       (load_before, os.getloadavg()[0]), list(by_label.values()), roof,
                       ratios, ratios_min,
                       {name: f"{op} {value}" for name, (op, value) in TARGETS.items()})


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    op, target = TARGETS[name]
    met = value <= target if op == "<=" else value >= target
    return f"{value:.3f} (target {op} {target}: {'met' if met else 'NOT met'})"


def format_table(result: BenchResult) -> str:
    lines = [f"optimizer step on CPU: {result.numel:,} float32 params in {result.tensors} "
             f"tensors, median of {result.repeats} steps, {result.threads} threads, "
             f"torch {result.torch_version}",
             f"{'optimizer/path':<28}{'median ms':>12}{'min ms':>12}"]
    for t in result.timings:
        lines.append(f"{t.label:<28}{t.median_s * 1e3:>12.3f}{t.min_s * 1e3:>12.3f}")
    if result.roofline is not None:
        r = result.roofline
        lines.append(f"triad bandwidth {r.bandwidth_gb_s:.2f} GB/s; DWMGrad step moves "
                     f"{r.bytes_per_step:,} bytes ({DWMGRAD_ACCESSES} x 4 per element): "
                     f"roofline {r.roofline_s * 1e3:.3f} ms vs fused {r.fused_s * 1e3:.3f} ms")
    lines.append(f"load average (1 min) before/after: {result.load_average[0]:.2f} / "
                 f"{result.load_average[1]:.2f}")
    for name, value in result.ratios.items():
        best = result.ratios_min[name]
        lines.append(f"{name}: {verdict(name, value)}"
                     + ("" if best is None else f"; from min times {best:.3f}"))
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON to this file")
    parser.add_argument("--numel", type=int, default=DEFAULT_NUMEL,
                        help=f"total parameters (default {DEFAULT_NUMEL:,})")
    parser.add_argument("--tensors", type=int, default=DEFAULT_TENSORS,
                        help=f"number of parameter tensors (default {DEFAULT_TENSORS})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"timed steps per path (default {DEFAULT_REPEATS})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"torch intra-op threads while timing (default {DEFAULT_THREADS})")


def run(args: argparse.Namespace) -> int:
    if args.tensors < 1:
        raise UsageError(f"--tensors must be >= 1, got {args.tensors}")
    if args.numel < args.tensors:
        raise UsageError(f"--numel must be >= --tensors ({args.tensors}), got {args.numel}")
    if args.repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if args.out is not None:
        writable_file(args.out, option="--out")
    result = measure(args.numel, args.tensors, args.repeats, args.threads)
    emit(asdict(result), lambda: format_table(result), as_json=args.json, out=args.out)
    return 0
