"""Step cost of a default-path DWMGrad step against d, under glibc's default allocator and with
its mmap threshold raised: whether large per-step temporaries pay page faults every step.

Each step of the default path allocates temporaries of d floats. glibc serves a block of at
least its (dynamic, at most 32 MiB) mmap threshold with a fresh ``mmap`` and returns it on
``free``, so from d = 2^23 float32 on every step faults in every page of its temporaries: CPU
time and minor faults per step jump between 2^22 and 2^23 although the arithmetic is linear in
d. The same sizes run in two child processes, one with the default allocator and one with
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` at 4 GiB (blocks reused, no faults),
and the table prints, per size, the stepping thread's CPU time and minor faults per step and
the local exponent log2(t(2d)/t(d)) for each. One thread; glibc (Linux) only: elsewhere the
variables do nothing and the two columns agree.

    dwmgrad-verify bench allocator [--sizes 21,22,23,24] [--steps 5] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

from benchmarks.output import emit
from verify_io.errors import UsageError
from verify_io.options import positive_int
from verify_io.paths import path_argument, writable_file

RAISED = str(4 * 2**30)
PROBE = """
import json, resource, sys, time, torch
from dwmgrad.dwmgrad import DWMGrad
torch.set_num_threads(1)
rows = []
for e in json.loads(sys.argv[1]):
    p = torch.zeros(2**e, requires_grad=True)
    p.grad = torch.randn(2**e)
    opt = DWMGrad([p], lr=1e-3)
    loss = torch.tensor(1.0)
    opt.step(lambda: loss)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.thread_time()
    for _ in range(int(sys.argv[2])):
        opt.step(lambda: loss)
    t1, r1 = time.thread_time(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    rows.append({"log2_d": e, "cpu_s": (t1 - t0) / int(sys.argv[2]),
                 "minor_faults": (r1 - r0) / int(sys.argv[2])})
print(json.dumps(rows))
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="21,22,23,24", metavar="E,E,...",
                        help="log2 of d, comma separated, each in 4..28 (default 21,22,23,24)")
    parser.add_argument("--steps", default="5", metavar="N",
                        help="timed steps per size after one untimed (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--out", type=path_argument, default=None, metavar="FILE",
                        help="also write the JSON result to FILE")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(not 4 <= e <= 28 for e in sizes):
        raise UsageError(f"--sizes {text!r}: expected comma-separated integers in 4..28")
    return sizes


def probe(sizes: list[int], steps: int, raised: bool) -> list[dict[str, float]]:
    env = dict(os.environ)
    if raised:
        env |= {"MALLOC_MMAP_THRESHOLD_": RAISED, "MALLOC_TRIM_THRESHOLD_": RAISED}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(sizes), str(steps)],
                          env=env, capture_output=True, text=True, check=True)
    rows: list[dict[str, float]] = json.loads(done.stdout)
    return rows


def local_exponents(rows: list[dict[str, float]]) -> list[float | None]:
    """log2(t(d')/t(d)) / log2(d'/d) between consecutive sizes (None for the first)."""
    out: list[float | None] = [None]
    for a, b in zip(rows, rows[1:], strict=False):
        out.append(math.log2(b["cpu_s"] / a["cpu_s"]) / (b["log2_d"] - a["log2_d"]))
    return out


def run(args: argparse.Namespace) -> int:
    sizes = parse_sizes(args.sizes)
    steps = positive_int("--steps", args.steps)
    if args.out is not None:
        writable_file(args.out, option="--out")
    default, raised = probe(sizes, steps, False), probe(sizes, steps, True)
    exponent_default, exponent_raised = local_exponents(default), local_exponents(raised)
    result = {"steps": steps, "default": default, "mmap_threshold_raised": raised,
              "exponent_default": exponent_default, "exponent_raised": exponent_raised}

    def cell(x: float | None) -> str:
        return "" if x is None else f"{x:.2f}"

    def table() -> str:
        lines = [f"{'log2 d':>6}  {'default ms':>10} {'faults':>8} {'exp':>5}   "
                 f"{'raised ms':>10} {'faults':>8} {'exp':>5}"]
        for a, b, ea, eb in zip(default, raised, exponent_default, exponent_raised,
                                strict=True):
            lines.append(f"{a['log2_d']:>6}  {a['cpu_s'] * 1e3:>10.2f} {a['minor_faults']:>8.0f} "
                         f"{cell(ea):>5}   {b['cpu_s'] * 1e3:>10.2f} "
                         f"{b['minor_faults']:>8.0f} {cell(eb):>5}")
        return "\n".join(lines)

    emit(result, table, as_json=args.json, out=args.out)
    return 0
