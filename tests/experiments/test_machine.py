"""experiments.machine.steady_allocator: after it, large freed blocks are reused (no page
faults per allocation), which is what makes cost_scaling's step times the optimizer's."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from experiments import machine

#: Allocates and fills a 64 MiB block five times (above glibc's largest dynamic mmap
#: threshold, 32 MiB) and prints the minor page faults, without and then with the pin.
PROBE = """
import json, resource, sys
from experiments.machine import steady_allocator

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        block = bytearray(64 << 20)
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

default = faults()
said = steady_allocator() if sys.argv[1] == "pin" else "not pinned"
print(json.dumps({"default": default, "after": faults(), "said": said}))
"""


def probe(mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                          check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_steady_allocator_stops_the_page_faults_of_large_blocks() -> None:
    pinned, control = probe("pin"), probe("none")
    pages = (64 << 20) // 4096
    assert pinned["said"] == machine.PINNED
    # The control shows the probe can fail: unpinned, every block faults in all its pages.
    assert isinstance(control["after"], int) and control["after"] > 4 * pages
    assert isinstance(pinned["after"], int) and pinned["after"] < pages     # reused: no faults


def test_steady_allocator_says_when_there_is_no_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libc(name: str) -> None:
        raise OSError(f"no {name}")

    machine.steady_allocator.cache_clear()
    monkeypatch.setattr(machine.ctypes, "CDLL", no_libc)
    try:
        assert machine.steady_allocator() == "default (no glibc mallopt on this system)"
    finally:
        machine.steady_allocator.cache_clear()


def test_steady_allocator_names_the_parameters_mallopt_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        @staticmethod
        def mallopt(param: int, value: int) -> int:
            return 0 if param == machine.M_TRIM_THRESHOLD else 1

    machine.steady_allocator.cache_clear()
    monkeypatch.setattr(machine.ctypes, "CDLL", lambda name: Refusing())
    try:
        assert machine.steady_allocator() == "default (mallopt refused M_TRIM_THRESHOLD)"
    finally:
        machine.steady_allocator.cache_clear()
