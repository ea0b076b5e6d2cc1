"""Kill what a local Ray instance leaves behind when the process that started it is killed.

``ray.init()`` starts its services (GCS server, raylet, agents, workers) as descendants of the
driver. When the driver is SIGKILLed, the raylet and GCS follow it, but the dashboard and
runtime-env agents and idle workers were measured still alive 60 s later (Ray 2.x on Linux,
re-parented to init). A SIGKILL cannot be caught, so the cleanup runs in another process:
the reaper, started in its own session by :class:`Reaper`, records the driver's descendants
every :data:`POLL_S` seconds from ``/proc`` and listens on a pipe from the driver. When the
pipe closes without the word ``done`` (the driver died), it SIGKILLs every recorded process
that is still the same process (same start time, so a recycled pid is never hit), then exits.
A normal shutdown writes ``done`` and the reaper exits without killing anything.

Linux only (it reads ``/proc``); elsewhere :class:`Reaper` does nothing.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

POLL_S = 0.5
RELEASE = b"done\n"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()    # fields from the state on (field 3)


def descendants(root: int) -> dict[int, str]:
    """Every live descendant of ``root``: pid -> its start time (clock ticks after boot)."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and fields[0] != "Z":
            parents[int(entry.name)] = (int(fields[1]), fields[19])
    found: dict[int, str] = {}
    frontier = {root}
    while frontier:
        frontier = {pid for pid, (parent, _) in parents.items() if parent in frontier}
        found.update({pid: parents[pid][1] for pid in frontier})
    return found


def kill_recorded(recorded: dict[int, str]) -> None:
    """SIGKILL each recorded process that still runs with the same start time."""
    for pid, started in recorded.items():
        if pid == os.getpid():
            continue
        fields = _stat_fields(pid)
        if fields is not None and fields[19] == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def watch(driver: int, pipe: int) -> None:
    """The reaper's loop: record ``driver``'s descendants until ``pipe`` closes."""
    recorded: dict[int, str] = {}
    received = b""
    while True:
        recorded.update(descendants(driver))
        readable, _, _ = select.select([pipe], [], [], POLL_S)
        if readable:
            chunk = os.read(pipe, 64)
            if not chunk:
                break
            received += chunk
    if received != RELEASE:
        kill_recorded(recorded)


class Reaper:
    """Start the reaper for this process (Linux); :meth:`release` when Ray was shut down."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        if sys.platform.startswith("linux"):
            self._process = subprocess.Popen(
                [sys.executable, "-c", "import sys; from experiments.reaper import watch; "
                 "watch(int(sys.argv[1]), 0)", str(os.getpid())],
                stdin=subprocess.PIPE, start_new_session=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                    str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))})

    def release(self) -> None:
        """Tell the reaper that the driver shut Ray down itself: it exits, killing nothing."""
        if self._process is None or self._process.stdin is None:
            return
        self._process.stdin.write(RELEASE)
        self._process.stdin.close()
        self._process.wait()
