"""The machine a timing ran on: its last-level cache, read from the operating system, and
its C allocator, set so that a step's temporaries reuse memory.

Timings of a memory-bound step change regime where the working set leaves the last-level
cache (LLC); ``cost_scaling`` fits its exponents only above it, so every timed run records the
LLC it ran with (:data:`experiments.spec.RUN_MEASUREMENTS` "step_times").

They change regime a second time where glibc's allocator does: it serves a block of at least
its dynamic mmap threshold (at most 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``, so
from d = 2^23 float32 every step faults in every page of its temporaries (``dwmgrad-verify
bench allocator`` measures it: local d-exponent 1.70 from 2^22 to 2^23). That is the kernel's
cost, not the optimizer's; a timed run first calls :func:`steady_allocator`, which pins both
thresholds so freed blocks stay in the heap and are reused, and records what it did.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass(frozen=True)
class Cache:
    """The last-level cache: its size in bytes (None when the system does not say) and where
    that was read."""

    size_bytes: int | None
    source: str


def parse_size(text: str) -> int:
    """``"32768K"`` -> 33554432; ``"1 MiB"`` -> 1048576. ValueError names the text."""
    found = _SIZE.match(text)
    if found is None:
        raise ValueError(f"Invalid cache size {text!r}; expected e.g. '32768K' or '32 MiB'")
    return int(found.group(1)) * _UNITS[found.group(2).upper()]


def _from_sysfs(root: Path) -> Cache | None:
    best: tuple[int, int, Path] | None = None
    for index in sorted(root.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text())
            size = parse_size((index / "size").read_text())
        except (OSError, ValueError):
            continue
        if kind in ("Unified", "Data") and (best is None or level > best[0]):
            best = (level, size, index)
    if best is None:
        return None
    return Cache(best[1], f"{best[2] / 'size'} (L{best[0]})")


def _from_lscpu() -> Cache | None:
    try:
        out = subprocess.run(["lscpu", "-B"], capture_output=True, text=True, timeout=10,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    sizes = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        level = re.fullmatch(r"L(\d)d? cache", name.strip())
        if level and value.strip().split()[0].isdigit():
            sizes[int(level.group(1))] = int(value.strip().split()[0])
    if not sizes:
        return None
    top = max(sizes)
    return Cache(sizes[top], f"lscpu -B (L{top}, all instances)")


@functools.cache
def last_level_cache(root: Path = CACHE_DIR) -> Cache:
    """The LLC of this machine: from sysfs (the highest-level data or unified cache of CPU 0),
    else ``lscpu -B``, else unknown (``size_bytes`` None)."""
    return _from_sysfs(root) or _from_lscpu() or Cache(None, "unknown (no sysfs cache, no lscpu)")


#: glibc's ``mallopt`` parameters (``<malloc.h>``) and the value timed runs pin both at (the
#: largest a C int holds): blocks below 2 GiB come from the heap, and freed memory stays there.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
PINNED_THRESHOLD = 2**31 - 1
PINNED = "glibc mallopt: mmap and trim thresholds at 2 GiB (freed blocks reused, no page faults)"


@functools.cache
def steady_allocator() -> str:
    """Pin this process's C allocator so freed blocks are reused (once per process), and say
    what was done: :data:`PINNED`, or why the allocator was left as it is (no glibc
    ``mallopt``, or ``mallopt`` refused)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return "default (no glibc mallopt on this system)"
    refused = [name for name, param in (("M_MMAP_THRESHOLD", M_MMAP_THRESHOLD),
                                        ("M_TRIM_THRESHOLD", M_TRIM_THRESHOLD))
               if mallopt(param, PINNED_THRESHOLD) != 1]
    return f"default (mallopt refused {', '.join(refused)})" if refused else PINNED
