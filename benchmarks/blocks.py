"""`dwmgrad-verify bench blocks`: step time of DWMGrad's foreach path for several CPU block
sizes and thread counts, beside the for-loop path and the authors' class, in the same run.

On CPU the foreach path applies its ops to blocks of at most ``cpu_block_numel()`` elements
per tensor list (:func:`dwmgrad.drivers.cache_blocks`); this benchmark is how that default was
chosen and how to check it on another machine. For each ``--threads`` value, every uncompiled
entry of ``bench optimizers`` (so that the caches are as cold as there) plus one DWMGrad foreach
optimizer per ``--sizes`` value (and ``whole``: all tensors uncut in one block) are warmed up
and timed round-robin for ``--repeats`` rounds; the median and min step time of each is
reported, with the authors' class / foreach ratio for each size and the size the package uses
by default at that thread count.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from benchmarks.optimizers import (
    DEFAULT_NUMEL,
    DEFAULT_REPEATS,
    DEFAULT_TENSORS,
    UNCOMPILED,
    Timing,
    interleaved_times,
    optimizer_builders,
    optimizer_step,
)
from benchmarks.output import emit
from dwmgrad import DWMGrad
from dwmgrad.drivers import cpu_block_numel
from verify_io.errors import UsageError
from verify_io.options import check_threads, positive_int, positive_int_list
from verify_io.paths import path_argument, writable_file

DEFAULT_SIZES = (1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20)
WHOLE = "whole"
AUTHORS, FOREACH, FORLOOP = "authors.DWMGrad/forloop", "DWMGrad/foreach", "DWMGrad/forloop"


@dataclass(frozen=True)
class BlockTiming:
    size: int | str  # elements per list and block, or "whole"
    median_s: float
    min_s: float
    authors_over_this: float  # from median times


@dataclass(frozen=True)
class ThreadResult:
    threads: int
    default_size: int
    load_average: tuple[float, float]
    blocks: list[BlockTiming]
    references: list[Timing]  # the package's foreach (default size), for-loop, authors'


@dataclass(frozen=True)
class BlocksResult:
    numel: int
    tensors: int
    repeats: int
    torch_version: str
    results: list[ThreadResult]


def foreach_step(numel: int, tensors: int, block: int) -> Callable[[], object]:
    """A DWMGrad foreach optimizer with CPU blocks of ``block`` elements; takes one step."""
    def build(params: list[torch.Tensor]) -> DWMGrad:
        opt = DWMGrad(params, foreach=True)
        opt.cpu_block_numel = block
        return opt
    return optimizer_step(build, True, numel, tensors)


def measure_threads(threads: int, sizes: list[int], numel: int, tensors: int,
                    repeats: int) -> ThreadResult:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        load_before = os.getloadavg()[0]
        builders, _ = optimizer_builders(paths=UNCOMPILED)
        calls = {label: optimizer_step(build, needs_loss, numel, tensors)
                 for label, build, needs_loss in builders}
        # "whole": a block as large as all parameters: no tensor is cut, one block in all
        block_sizes: dict[int | str, int] = {**{size: size for size in sizes}, WHOLE: numel}
        variants = {f"blocks={key}": foreach_step(numel, tensors, size)
                    for key, size in block_sizes.items()}
        timings = interleaved_times({**calls, **variants}, repeats)
        authors = timings[AUTHORS].median_s
        blocks = [BlockTiming(key, t.median_s, t.min_s, authors / t.median_s)
                  for key in block_sizes for t in [timings[f"blocks={key}"]]]
        return ThreadResult(threads, cpu_block_numel(), (load_before, os.getloadavg()[0]),
                            blocks, [timings[FOREACH], timings[FORLOOP], timings[AUTHORS]])
    finally:
        torch.set_num_threads(previous)


def format_table(result: BlocksResult) -> str:
    lines = [f"DWMGrad foreach step on CPU by block size: {result.numel:,} float32 params in "
             f"{result.tensors} tensors, median of {result.repeats} steps, "
             f"torch {result.torch_version}"]
    for r in result.results:
        lines += ["", f"{r.threads} thread(s); package default block: {r.default_size:,} "
                      f"elements; load average before/after {r.load_average[0]:.2f} / "
                      f"{r.load_average[1]:.2f}",
                  f"{'block (elements)':<28}{'median ms':>12}{'min ms':>12}{'authors/this':>14}"]
        for b in r.blocks:
            size = b.size if isinstance(b.size, str) else f"{b.size:,}"
            lines.append(f"{size:<28}{b.median_s * 1e3:>12.3f}{b.min_s * 1e3:>12.3f}"
                         f"{b.authors_over_this:>14.3f}")
        for t in r.references:
            lines.append(f"{t.label:<28}{t.median_s * 1e3:>12.3f}{t.min_s * 1e3:>12.3f}")
    return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--out", type=path_argument, default=None,
                        help="also write the JSON to this file")
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="comma-separated block sizes in elements (default: powers of 2 "
                             "from 8,192 to 1,048,576); 'whole' is always added")
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated torch thread counts (default: 1 and the "
                             "number of CPUs)")
    parser.add_argument("--numel", default=str(DEFAULT_NUMEL),
                        help=f"total parameters (default {DEFAULT_NUMEL:,})")
    parser.add_argument("--tensors", default=str(DEFAULT_TENSORS),
                        help=f"number of parameter tensors (default {DEFAULT_TENSORS})")
    parser.add_argument("--repeats", default=str(DEFAULT_REPEATS),
                        help=f"timed steps per entry (default {DEFAULT_REPEATS})")


def run(args: argparse.Namespace) -> int:
    sizes = positive_int_list("--sizes", args.sizes)
    threads = [check_threads("--threads", n) for n in positive_int_list("--threads", args.threads)]
    numel = positive_int("--numel", args.numel)
    tensors = positive_int("--tensors", args.tensors)
    repeats = positive_int("--repeats", args.repeats)
    if numel < tensors:
        raise UsageError(f"--numel must be >= --tensors ({tensors}), got {numel}")
    if args.out is not None:
        writable_file(args.out, option="--out")
    result = BlocksResult(numel, tensors, repeats, torch.__version__,
                          [measure_threads(t, sizes, numel, tensors, repeats) for t in threads])
    emit(asdict(result), lambda: format_table(result), as_json=args.json, out=args.out)
    return 0
