"""Workers die with the process that started them (issue 14 §3): on 892f1c6 each SIGKILL of
`all` left its 2 pool workers (310-500 MB each) and a resource tracker running, re-parented to
init. Here the main process is SIGKILLed mid-run and every process it started must be gone a
few seconds later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GONE_WITHIN_S = 15.0


def children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc; zombies count as gone)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def pool_workers(pids: set[int]) -> set[int]:
    """Those of ``pids`` that are multiprocessing's spawned processes."""
    out = set()
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            out.add(pid)
    return out


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            out.add(pid)
    return out


def ray_workers(pids: set[int]) -> set[int]:
    """Those of ``pids`` that are Ray workers running a task of the Ray executor."""
    out = set()
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(b"ray::_run_with_one_thread"):
            out.add(pid)
    return out


def kill_and_count_survivors(argv: list[str], workers: int, timeout: float,
                             kind: Callable[[set[int]], set[int]] = pool_workers) -> set[int]:
    """Start ``argv``; once it has at least ``workers`` workers (of ``kind``), SIGKILL it and
    return those of its descendants still alive :data:`GONE_WITHIN_S` seconds later."""
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    started: set[int] = set()
    try:
        deadline = time.monotonic() + timeout
        while len(kind(started)) < workers:
            if proc.poll() is not None:
                pytest.fail(f"exited ({proc.returncode}) before its workers started: "
                            f"{proc.stderr.read() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                pytest.fail(f"fewer than {workers} workers after {timeout} s")
            started = children(proc.pid)
            time.sleep(0.2)
        time.sleep(1.0)                  # let the pool finish starting (resource tracker too)
        started |= children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + GONE_WITHIN_S
        while alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        return alive(started)
    finally:
        for pid in alive(started):      # never leave them behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


POOL_SCRIPT = textwrap.dedent("""
    import time
    from experiments.executors import ProcessPoolExecutor

    def nap(spec):
        time.sleep(600)

    if __name__ == "__main__":
        list(ProcessPoolExecutor(2).map(nap, [1, 2, 3]))
""")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    survivors = kill_and_count_survivors([sys.executable, str(script)], workers=2, timeout=120)
    assert survivors == set(), f"left behind: {survivors}"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_all_leaves_no_process(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "dwmgrad_verify.cli", "all", "--workers", "2", "--out",
            str(tmp_path / "out")]
    survivors = kill_and_count_survivors(argv, workers=2, timeout=1800)
    assert survivors == set(), f"left behind: {survivors}"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_all_on_a_local_ray_instance_leaves_no_process(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    argv = [sys.executable, "-m", "dwmgrad_verify.cli", "all", "--executor", "ray",
            "--workers", "2", "--out", str(tmp_path / "out")]
    survivors = kill_and_count_survivors(argv, workers=2, timeout=1800, kind=ray_workers)
    assert survivors == set(), f"left behind: {survivors}"


RAY_SCRIPT = textwrap.dedent("""
    import time
    from experiments.ray_executor import RayExecutor

    def nap(spec):
        time.sleep(600)

    if __name__ == "__main__":
        list(RayExecutor(num_cpus=2).map(nap, [1, 2, 3]))
""")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_local_ray_instance_dies_with_its_driver(tmp_path: Path) -> None:
    """Without experiments/reaper.py, 4 of the 10 processes of the local Ray instance (its
    dashboard and runtime-env agents, two idle workers) were alive 15 s after the driver's
    SIGKILL, and the two agents still 60 s after."""
    pytest.importorskip("ray")
    script = tmp_path / "ray_nap.py"
    script.write_text(RAY_SCRIPT)
    survivors = kill_and_count_survivors([sys.executable, str(script)], workers=2,
                                         timeout=300, kind=ray_workers)
    assert survivors == set(), f"left behind: {survivors}"


def peak_rss_bytes(names: tuple[str, ...]) -> dict[str, int]:
    """Run three quick specs of each experiment of ``names`` here; return this process's
    peak resident memory after the imports and after each experiment."""
    import resource

    from experiments.named import EXPERIMENTS
    from experiments.runner import run_spec_safely

    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # KiB on Linux

    peaks = {"imports": peak()}
    for name in names:
        for spec in EXPERIMENTS[name].specs("quick")[:3]:
            run_spec_safely(spec)
        peaks[name] = peak()
    return peaks


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss unit differs")
def test_a_worker_fits_its_memory_estimate() -> None:
    """The memory per worker that bounds --workers is a measured figure, not a guess."""
    from experiments.executors import ProcessPoolExecutor
    from verify_io.options import WORKER_MEMORY_BYTES

    names = ("heavy_ball_rate", "dwmgrad_regret", "empirical")
    [peaks] = ProcessPoolExecutor(1).map(peak_rss_bytes, [names])  # type: ignore[arg-type]
    in_mib = {stage: round(value / 2**20) for stage, value in peaks.items()}
    assert 100 * 2**20 < max(peaks.values()) < WORKER_MEMORY_BYTES, f"peak MiB: {in_mib}"
