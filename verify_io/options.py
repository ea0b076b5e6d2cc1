"""Parsing of command-line values shared by several subcommands (errors as UsageError)."""

from __future__ import annotations

import os

from verify_io.errors import UsageError

WORKER_MEMORY_BYTES = 2048 * 2**20
"""Memory one experiment worker may need: a spawned worker's peak RSS after quick specs of
heavy_ball_rate, dwmgrad_regret and empirical, measured by
tests/hardening/test_processes.py::test_a_worker_fits_its_memory_estimate (which fails when a
worker needs more): 490 MiB on the development machine at 32cf91a (301 MiB of it the imports;
every quick spec of five experiments in one process: 528 MiB, no growth per spec), but 727 MiB
on CI at 3d69a4f and 1160 MiB on CI at 32cf91a. The CI figure is the one that binds; 1 GiB
was below it."""


def positive_int(option: str, text: object) -> int:
    """``text`` as an integer >= 1, or a UsageError naming ``option`` and the bad value."""
    try:
        value = int(str(text))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an integer; expected N >= 1") from None
    if value < 1:
        raise UsageError(f"{option} {value} is not valid; expected an integer N >= 1")
    return value


def positive_int_list(option: str, text: str) -> list[int]:
    """Comma-separated integers >= 1 (duplicates dropped, order kept), or a UsageError that
    names ``option``, the whole value and the bad element."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise UsageError(f"{option} {text!r} lists no value; expected e.g. 1,2")
    values = []
    for part in parts:
        try:
            values.append(positive_int(option, part))
        except UsageError:
            raise UsageError(f"{option} {text!r}: {part!r} is not valid; expected "
                             "comma-separated integers N >= 1") from None
    return list(dict.fromkeys(values))


def machine_cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def machine_memory_bytes() -> int | None:
    """Physical memory, or None where the OS does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def max_workers() -> tuple[int, str]:
    """The most worker processes this machine can run, and why: one per core, and no more
    than its memory holds at :data:`WORKER_MEMORY_BYTES` each."""
    cores, memory = machine_cores(), machine_memory_bytes()
    limit, why = cores, f"{cores} CPU core(s)"
    if memory is not None and memory // WORKER_MEMORY_BYTES < limit:
        limit = max(1, memory // WORKER_MEMORY_BYTES)
        why = (f"{memory / 2**30:.1f} GiB of memory at about "
               f"{WORKER_MEMORY_BYTES // 2**20} MiB per worker")
    return limit, why


def worker_count(option: str, text: object) -> int:
    """``text`` as a number of worker processes: an integer from 1 to :func:`max_workers`,
    or a UsageError naming ``option``, the value and the machine's limit."""
    value = positive_int(option, text)
    limit, why = max_workers()
    if value > limit:
        raise UsageError(f"{option} {value} is more than this machine can run; expected at "
                         f"most {limit} ({why})")
    return value


def check_threads(option: str, value: int) -> int:
    """``value`` (>= 1) if this machine has that many logical cores, else a UsageError (torch
    given 100000 threads crashed)."""
    cores = os.cpu_count() or 1
    if value > cores:
        raise UsageError(f"{option} {value} is more than this machine's {cores} CPU core(s); "
                         f"expected at most {cores}")
    return value


def thread_count(option: str, text: object) -> int:
    """``text`` as a torch thread count from 1 to the machine's cores, or a UsageError."""
    return check_threads(option, positive_int(option, text))
