"""`dwmgrad-verify bench optimizers`: step time of every path of every optimizer of the
package beside its peers, and each fused path against its memory roofline, all measured in
one interleaved run.

Setup: ``numel`` float32 parameters split into ``tensors`` tensors on ``--device`` (CPU by
default), fixed random gradients. Entries: every path (``--paths``) of every optimizer of the
package (``--optimizers``); the peers torch.optim Adam (fused, foreach, for-loop), RMSprop
with momentum 0.9 (foreach, for-loop), the authors' DWMGrad class, and pytorch-optimizer's
AdaBelief and Aida (an optional dependency: skipped with a note if absent; default settings,
as a user gets them); and a STREAM triad. Every entry takes ``WARMUP`` steps (the first one
creates the state and, for a fused path, compiles: its time is reported as ``first_s``),
then all are timed round-robin, one step each per round, for ``repeats`` rounds; the median
(and min) per entry is reported. Interleaving makes every entry see the same machine load,
which matters on a shared machine: compare ratios from one run, not times across runs.

Roofline of an optimizer: the bytes its math must move per step, from the cost model
(``theory.cost_model.MODELS[name].minimal_streams``: every vector read once, every new state
written once, plus the extra read a reduction needs before the update, as in Aida and
AdaptiveHB), times 4 bytes per float32 element, divided by the bandwidth of a STREAM triad
``a = b + c·x`` (``torch.add(b, c, alpha=x, out=a)``) on three buffers of ``numel`` elements
measured in the same run, counted as 4 accesses per element (the 2 reads and 1 write STREAM
counts plus the read of ``a``'s cache line before the write: torch's kernels use ordinary
stores, so the write allocates; the optimizers write only buffers they have just read). The
roofline fraction is roofline time / fused step time.

The default path table (``dwmgrad/default_paths.json``, read by
:func:`dwmgrad.drivers.default_path`) is written by ``--defaults-out``: for each optimizer the
faster of its for-loop and foreach paths by median time in this run, on this device kind.

Timing uses ``--threads`` torch threads (default 1): on a machine shared with other jobs, an
OpenMP thread waiting for a busy core dominates multi-threaded timings.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from benchmarks.authors_dwmgrad import AuthorsDWMGrad
from benchmarks.output import emit
from dwmgrad.drivers import PATHS
from dwmgrad.registry import OPTIMIZERS, path_kwargs
from theory.cost_model import MODELS
from verify_io.errors import UsageError
from verify_io.files import atomic_write_text
from verify_io.options import positive_int, thread_count
from verify_io.paths import path_argument, writable_file

DEFAULT_NUMEL = 4_000_000
DEFAULT_TENSORS = 8
DEFAULT_REPEATS = 20
DEFAULT_THREADS = 1
WARMUP = 3
BYTES_PER_FLOAT32 = 4
TRIAD_ACCESSES = 4  # reads b, c; writes a (plus the write-allocate read of a)
TRIAD = "triad"
ADAM_FUSED, AUTHORS = "torch.Adam/fused", "authors.DWMGrad/forloop"
PEER_PACKAGE = "pytorch_optimizer"
PEER_OPTIMIZERS = ("AdaBelief", "Aida")
"""Optimizers of the package that pytorch-optimizer also implements (same names)."""
UNCOMPILED = ("forloop", "foreach")
CPU = torch.device("cpu")


@dataclass(frozen=True)
class RatioSpec:
    """ratio = scale · time[top] / time[bottom], with its target (``op`` ``target``)."""

    name: str
    top: str
    bottom: str
    op: str
    target: float
    scale: float = 1.0


@dataclass(frozen=True)
class Timing:
    label: str  # "<optimizer>/<path>" or a peer's label
    median_s: float
    min_s: float
    first_s: float  # the first step: state creation, and compilation for a fused path


@dataclass(frozen=True)
class Roofline:
    optimizer: str
    bytes_per_step: int
    roofline_s: float
    fused_s: float
    fraction: float


@dataclass(frozen=True)
class BenchResult:
    device: str
    numel: int
    tensors: int
    repeats: int
    threads: int
    torch_version: str
    load_average: tuple[float, float]  # 1-minute load average before and after timing
    bandwidth_gb_s: float  # triad, median
    timings: list[Timing]
    rooflines: list[Roofline]
    compile_s: dict[str, float]  # first fused step minus the median step, per optimizer
    default_paths: dict[str, str]  # fastest uncompiled path per optimizer (median)
    ratios: dict[str, float | None]  # from median times (the reported numbers)
    ratios_min: dict[str, float | None]  # from min times (less sensitive to other jobs)
    targets: dict[str, str]  # ratio name -> "<= 1.1" etc.
    notes: list[str]


Builder = Callable[[list[torch.Tensor]], Any]


def split_sizes(numel: int, tensors: int) -> list[int]:
    base, extra = divmod(numel, tensors)
    return [base + (1 if i < extra else 0) for i in range(tensors)]


def make_params(numel: int, tensors: int, device: torch.device, seed: int = 0
                ) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    params = []
    for size in split_sizes(numel, tensors):
        p = torch.randn(size, generator=gen).to(device).requires_grad_(True)
        p.grad = (1e-2 * torch.randn(size, generator=gen)).to(device)
        params.append(p)
    return params


def peer_package() -> Any | None:
    """pytorch-optimizer, or None if it is not installed."""
    try:
        return importlib.import_module(PEER_PACKAGE)
    except ImportError:
        return None


def _peer(cls: Callable[..., Any], **kwargs: Any) -> Builder:
    def build(params: list[torch.Tensor]) -> Any:
        return cls(params, **kwargs)
    return build


def optimizer_builders(optimizers: Sequence[str] = tuple(sorted(OPTIMIZERS)),
                       paths: Sequence[str] = PATHS
                       ) -> tuple[list[tuple[str, Builder, bool]], list[str]]:
    """(label, constructor, needs_loss) for the requested paths of the requested optimizers
    of the package and every peer; and notes on peers that were skipped."""
    builders: list[tuple[str, Builder, bool]] = []
    for name in optimizers:
        info = OPTIMIZERS[name]
        for path in (p for p in info.paths if p in paths):
            def build(params: list[torch.Tensor], info: Any = info, path: str = path) -> Any:
                return info.make(params, **path_kwargs(path))
            builders.append((f"{name}/{path}", build, info.needs_loss))
    for path, flags in (("fused", {"fused": True}), ("foreach", {"foreach": True}),
                        ("forloop", {"foreach": False})):
        builders.append((f"torch.Adam/{path}", _peer(torch.optim.Adam, **flags), False))
    for path, flag in (("foreach", True), ("forloop", False)):
        builders.append((f"torch.RMSprop(momentum=0.9)/{path}",
                         _peer(torch.optim.RMSprop, momentum=0.9, foreach=flag), False))
    builders.append((AUTHORS, AuthorsDWMGrad, True))
    notes = []
    package = peer_package()
    for name in (n for n in PEER_OPTIMIZERS if n in optimizers):
        if package is None:
            notes.append(f"{PEER_PACKAGE}.{name} skipped: pytorch-optimizer is not installed "
                         "(pip install pytorch-optimizer)")
            continue
        builders.append((f"{PEER_PACKAGE}.{name}", getattr(package, name), False))
    return builders, notes


def optimizer_step(build: Builder, needs_loss: bool, numel: int, tensors: int,
                   device: torch.device = CPU) -> Callable[[], object]:
    """One optimizer on its own parameters; the returned callable takes one step."""
    opt = build(make_params(numel, tensors, device))
    loss = torch.tensor(1.0, device=device)
    return (lambda: opt.step(loss=loss)) if needs_loss else opt.step


def triad(numel: int, device: torch.device = CPU) -> Callable[[], object]:
    """STREAM triad a = b + c·x on float32 buffers of ``numel`` elements."""
    gen = torch.Generator().manual_seed(1)
    a = torch.empty(numel, device=device)
    b = torch.randn(numel, generator=gen).to(device)
    c = torch.randn(numel, generator=gen).to(device)
    return lambda: torch.add(b, c, alpha=0.5, out=a)


def _synchronize(device: torch.device) -> Callable[[], None]:
    if device.type == "cuda":
        return torch.cuda.synchronize
    return lambda: None


def interleaved_times(calls: dict[str, Callable[[], object]], repeats: int,
                      device: torch.device = CPU) -> dict[str, Timing]:
    """Warm every call up (timing its first call), then time them round-robin, one call per
    entry per round, so that a change of machine load during the run affects every entry
    alike."""
    sync = _synchronize(device)
    first: dict[str, float] = {}
    for label, call in calls.items():
        for index in range(WARMUP):
            sync()
            start = time.perf_counter()
            call()
            sync()
            if index == 0:
                first[label] = time.perf_counter() - start
    times: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(repeats):
        for label, call in calls.items():
            sync()
            start = time.perf_counter()
            call()
            sync()
            times[label].append(time.perf_counter() - start)
    return {label: Timing(label, statistics.median(ts), min(ts), first[label])
            for label, ts in times.items()}


def roofline_streams(name: str) -> int:
    """Elements each parameter's step must move at least (cost model, default options)."""
    return MODELS[name].minimal_streams


def ratio_specs(optimizers: Sequence[str]) -> list[RatioSpec]:
    """The target ratios of the issue, for the optimizers of this run."""
    specs = [
        RatioSpec("dwmgrad_fused_over_adam_fused", "DWMGrad/fused", ADAM_FUSED, "<=", 1.1),
        RatioSpec("authors_over_foreach", AUTHORS, "DWMGrad/foreach", ">=", 2.0),
    ]
    for name in optimizers:
        # roofline time / fused time = (streams · 4 · numel / bandwidth) / fused
        #                            = (streams / TRIAD_ACCESSES) · triad time / fused time
        specs.append(RatioSpec(f"roofline_fraction_{name}", TRIAD, f"{name}/fused", ">=", 0.8,
                               roofline_streams(name) / TRIAD_ACCESSES))
    for name in (n for n in PEER_OPTIMIZERS if n in optimizers):
        specs.append(RatioSpec(f"{PEER_PACKAGE}_over_{name}_fused", f"{PEER_PACKAGE}.{name}",
                               f"{name}/fused", ">=", 3.0))
    return specs


def target_ratios(specs: Sequence[RatioSpec], seconds: dict[str, float]
                  ) -> dict[str, float | None]:
    """Every ratio from one statistic (median or min) of every entry's time; None where an
    entry is missing from the run."""
    return {s.name: s.scale * seconds[s.top] / seconds[s.bottom]
            if s.top in seconds and s.bottom in seconds else None for s in specs}


def fastest_uncompiled(optimizers: Sequence[str], timings: dict[str, Timing]) -> dict[str, str]:
    """Per optimizer, the faster of its for-loop and foreach paths (median), where both ran."""
    out = {}
    for name in optimizers:
        medians = {path: timings[f"{name}/{path}"].median_s for path in UNCOMPILED
                   if f"{name}/{path}" in timings}
        if len(medians) == len(UNCOMPILED):
            out[name] = min(medians, key=lambda path: medians[path])
    return out


def measure(numel: int, tensors: int, repeats: int, threads: int, *,
            optimizers: Sequence[str] = tuple(sorted(OPTIMIZERS)), paths: Sequence[str] = PATHS,
            device: str = "cpu") -> BenchResult:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _measure(numel, tensors, repeats, optimizers, paths, torch.device(device))
    finally:
        torch.set_num_threads(previous)


def _measure(numel: int, tensors: int, repeats: int, optimizers: Sequence[str],
             paths: Sequence[str], device: torch.device) -> BenchResult:
    load_before = os.getloadavg()[0]
    builders, notes = optimizer_builders(optimizers, paths)
    calls = {label: optimizer_step(build, needs_loss, numel, tensors, device)
             for label, build, needs_loss in builders}
    calls[TRIAD] = triad(numel, device)
    by_label = interleaved_times(calls, repeats, device)
    specs = ratio_specs(optimizers)
    ratios = target_ratios(specs, {label: t.median_s for label, t in by_label.items()})
    ratios_min = target_ratios(specs, {label: t.min_s for label, t in by_label.items()})
    triad_timing = by_label.pop(TRIAD)
    bandwidth = TRIAD_ACCESSES * BYTES_PER_FLOAT32 * numel / triad_timing.median_s
    rooflines, compile_s = [], {}
    for name in optimizers:
        fused = by_label.get(f"{name}/fused")
        if fused is None:
            continue
        moved = roofline_streams(name) * BYTES_PER_FLOAT32 * numel
        rooflines.append(Roofline(name, moved, moved / bandwidth, fused.median_s,
                                  moved / bandwidth / fused.median_s))
        compile_s[name] = fused.first_s - fused.median_s
    return BenchResult(
        device.type, numel, tensors, repeats, torch.get_num_threads(), torch.__version__,
        (load_before, os.getloadavg()[0]), bandwidth / 1e9, list(by_label.values()), rooflines,
        compile_s, fastest_uncompiled(optimizers, by_label), ratios, ratios_min,
        {s.name: f"{s.op} {s.target:g}" for s in specs}, notes)


def verdict(value: float | None, target: str) -> str:
    if value is None:
        return "n/a (an entry is not in this run)"
    op, bound = target.split()
    met = value <= float(bound) if op == "<=" else value >= float(bound)
    return f"{value:.3f} (target {target}: {'met' if met else 'NOT met'})"


def format_table(result: BenchResult) -> str:
    lines = [f"optimizer step on {result.device}: {result.numel:,} float32 params in "
             f"{result.tensors} tensors, median of {result.repeats} interleaved steps, "
             f"{result.threads} threads, torch {result.torch_version}",
             f"{'optimizer/path':<36}{'median ms':>11}{'min ms':>11}{'first ms':>11}"]
    for t in result.timings:
        lines.append(f"{t.label:<36}{t.median_s * 1e3:>11.3f}{t.min_s * 1e3:>11.3f}"
                     f"{t.first_s * 1e3:>11.1f}")
    lines.append(f"triad bandwidth {result.bandwidth_gb_s:.2f} GB/s (same run)")
    for r in result.rooflines:
        lines.append(f"roofline {r.optimizer:<11}{r.bytes_per_step / result.numel:>4.0f} B/param: "
                     f"{r.roofline_s * 1e3:8.3f} ms vs fused {r.fused_s * 1e3:8.3f} ms "
                     f"(fraction {r.fraction:.2f}; compile {result.compile_s[r.optimizer]:.1f} s)")
    lines.append("fastest uncompiled path: " + ", ".join(
        f"{name} {path}" for name, path in result.default_paths.items()))
    lines.append(f"load average (1 min) before/after: {result.load_average[0]:.2f} / "
                 f"{result.load_average[1]:.2f}")
    for name, value in result.ratios.items():
        best = result.ratios_min[name]
        lines.append(f"{name}: {verdict(value, result.targets[name])}"
                     + ("" if best is None else f"; from min times {best:.3f}"))
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def read_default_table(path: Path) -> dict[str, Any]:
    """The default path table at ``path`` (a fresh one if there is no file), checked before
    any timing so that a bad file cannot cost a run."""
    if not path.exists():
        return {"paths": {}, "measured": {}}
    try:
        table = json.loads(path.read_text())
        if not isinstance(table, dict) or not isinstance(table.get("paths"), dict):
            raise ValueError("no 'paths' object")
    except ValueError as exc:
        raise UsageError(f"--defaults-out {str(path)!r} is not a default path table ({exc}); "
                         "expected the JSON of dwmgrad/default_paths.json") from None
    return table


def write_defaults(path: Path, table: dict[str, Any], result: BenchResult, command: str
                   ) -> None:
    """Set this device kind's entry of the default path ``table`` and write it to ``path``
    (other devices' entries are kept)."""
    table["paths"][result.device] = result.default_paths
    table.setdefault("measured", {})[result.device] = {
        "command": command, "numel": result.numel, "tensors": result.tensors,
        "threads": result.threads, "torch": result.torch_version,
        "load_average": list(result.load_average),
        "median_ms": {t.label: round(t.median_s * 1e3, 3) for t in result.timings
                      if t.label.split("/")[0] in result.default_paths},
    }
    atomic_write_text(path, json.dumps(table, indent=2) + "\n")


def _names(option: str, text: str, allowed: Sequence[str]) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in names if n not in allowed]
    if not names or bad:
        raise UsageError(f"{option} {text!r}: {', '.join(map(repr, bad)) or 'nothing'} is not "
                         f"valid; expected comma-separated names from {', '.join(allowed)}")
    return list(dict.fromkeys(names))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--out", type=path_argument, default=None,
                        help="also write the JSON to this file")
    parser.add_argument("--numel", default=str(DEFAULT_NUMEL),
                        help=f"total parameters (default {DEFAULT_NUMEL:,})")
    parser.add_argument("--tensors", default=str(DEFAULT_TENSORS),
                        help=f"number of parameter tensors (default {DEFAULT_TENSORS})")
    parser.add_argument("--repeats", default=str(DEFAULT_REPEATS),
                        help=f"timed steps per entry (default {DEFAULT_REPEATS})")
    parser.add_argument("--threads", default=str(DEFAULT_THREADS),
                        help=f"torch intra-op threads while timing (default {DEFAULT_THREADS})")
    parser.add_argument("--optimizers", default=",".join(sorted(OPTIMIZERS)),
                        help="comma-separated optimizers of the package (default: all)")
    parser.add_argument("--paths", default=",".join(PATHS),
                        help=f"comma-separated paths to time (default: {','.join(PATHS)})")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                        help="device of the parameters (default cpu); cuda needs a GPU")
    parser.add_argument("--defaults-out", type=path_argument, default=None,
                        help="write the fastest uncompiled path per optimizer into this "
                             "default path table (dwmgrad/default_paths.json)")


def run(args: argparse.Namespace) -> int:
    numel = positive_int("--numel", args.numel)
    tensors = positive_int("--tensors", args.tensors)
    repeats = positive_int("--repeats", args.repeats)
    threads = thread_count("--threads", args.threads)
    if numel < tensors:
        raise UsageError(f"--numel must be >= --tensors ({tensors}), got {numel}")
    optimizers = _names("--optimizers", args.optimizers, sorted(OPTIMIZERS))
    paths = _names("--paths", args.paths, PATHS)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is visible "
                         "(torch.cuda.is_available() is False); run it on a machine with a GPU")
    if args.defaults_out is not None and not set(UNCOMPILED) <= set(paths):
        raise UsageError(f"--defaults-out needs the paths {', '.join(UNCOMPILED)} in --paths "
                         f"(got {args.paths!r})")
    for option, path in (("--out", args.out), ("--defaults-out", args.defaults_out)):
        if path is not None:
            writable_file(path, option=option)
    table = None if args.defaults_out is None else read_default_table(args.defaults_out)
    result = measure(numel, tensors, repeats, threads, optimizers=optimizers, paths=paths,
                     device=args.device)
    if args.defaults_out is not None and table is not None:
        write_defaults(args.defaults_out, table, result,
                       f"dwmgrad-verify bench optimizers --numel {numel} --tensors {tensors} "
                       f"--repeats {repeats} --threads {threads} --device {args.device}")
    emit(asdict(result), lambda: format_table(result), as_json=args.json, out=args.out)
    return 0
