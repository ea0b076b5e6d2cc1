"""The reaper (experiments/reaper.py) kills only what it recorded, only when its driver died:
a released reaper kills nothing, and a recorded pid now held by another process (another
start time) is spared."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from experiments.reaper import Reaper, descendants, kill_recorded

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_descendants_lists_a_child_with_its_start_time() -> None:
    child = sleeper()
    try:
        found = descendants(os.getpid())
        assert child.pid in found and found[child.pid].isdigit()
    finally:
        child.kill()
        child.wait()


def test_a_recycled_pid_is_spared_and_the_recorded_process_is_killed() -> None:
    child = sleeper()
    try:
        started = descendants(os.getpid())[child.pid]
        kill_recorded({child.pid: str(int(started) + 1)})      # another process's start time
        time.sleep(0.3)
        assert child.poll() is None
        kill_recorded({child.pid: started})
        assert child.wait(timeout=10) != 0
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_a_released_reaper_kills_nothing() -> None:
    child = sleeper()
    try:
        reaper = Reaper()
        time.sleep(1.5)                                      # it has recorded the child
        reaper.release()
        time.sleep(0.3)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_a_reaper_whose_driver_vanishes_kills_what_it_recorded() -> None:
    """The driver's death is seen as the pipe closing without the release word."""
    child = sleeper()
    try:
        reaper = Reaper()
        time.sleep(1.5)
        assert reaper._process is not None and reaper._process.stdin is not None
        reaper._process.stdin.close()                        # as if this process had died
        reaper._process.wait(timeout=30)
        assert child.wait(timeout=10) != 0
    finally:
        child.kill()
        child.wait()
