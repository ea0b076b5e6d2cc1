"""Executors: how a list of specs is run. Each has one method, ``map(fn, specs)``, which
yields ``fn(spec)`` for every spec as soon as it is ready (completion order).

* :class:`SequentialExecutor`: in this process, in order (one torch thread).
* :class:`ProcessPoolExecutor`: ``workers`` local processes (spawned, one torch thread each),
  which die with the process that started them (:func:`die_with_parent`), so a SIGKILL of
  ``run``/``all`` leaves no worker behind.
* :class:`experiments.ray_executor.RayExecutor`: one Ray task per spec (``--executor ray``).

The runner (:func:`experiments.runner.run_specs`) needs nothing else, so the same specs run
unchanged on any of them, and the driver writes every result file.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, TypeVar

import torch

from experiments.spec import RunSpec

if TYPE_CHECKING:
    from experiments.runner import Executor

R = TypeVar("R")


class SequentialExecutor:
    """Run specs one after the other in the calling process, with one torch thread (as the
    pool's workers): the runs are many small batched ops, for which extra threads cost more
    than they give (a digits-MLP step took 10x longer with 2 threads on a loaded 2-core
    machine). The caller's thread count is restored afterwards."""

    def map(self, fn: Callable[[RunSpec], R], specs: Sequence[RunSpec]) -> Iterator[R]:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for spec in specs:
                yield fn(spec)
        finally:
            torch.set_num_threads(threads)


PR_SET_PDEATHSIG = 1
"""``prctl`` option (linux/prctl.h): the signal the kernel sends this process when its parent
dies."""
WATCHDOG_PERIOD_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """Make this (worker) process end when the process ``parent_pid`` that started it ends,
    even by SIGKILL, which runs no clean-up in the parent.

    On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. Elsewhere (or if
    ``prctl`` fails) a daemon thread polls ``os.getppid()`` every
    :data:`WATCHDOG_PERIOD_S` seconds and exits when the parent changed (the orphan was
    re-parented). Either way, a parent that died before this call is caught by the first check.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                         name="die-with-parent").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_PERIOD_S)
    os._exit(1)


def _init_worker(parent_pid: int) -> None:
    die_with_parent(parent_pid)
    torch.set_num_threads(1)


class ProcessPoolExecutor:
    """Run specs in ``workers`` spawned processes; results are yielded as they finish. The
    processes are started at the first batch and kept for the next ones (each imports torch
    and the problems: ~4 s of CPU) until :meth:`close`, or until a batch is interrupted."""

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"Invalid workers: {workers!r}; expected an integer >= 1")
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[RunSpec], R], specs: Sequence[RunSpec]) -> Iterator[R]:
        if not specs:
            return
        if self._pool is None:          # workers are spawned as the batches need them
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(os.getpid(),),
            )
        finished = False
        try:
            futures = [self._pool.submit(fn, spec) for spec in specs]
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
            finished = True
        finally:
            if not finished:            # on an interruption, drop the queued specs
                self.close(cancel=True)

    def close(self, cancel: bool = False) -> None:
        """End the workers (after their runs, or at once dropping the queued ones with
        ``cancel``); a later batch starts new ones."""
        if self._pool is not None:
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None


def _call_in_child(conn: Connection, parent_pid: int, fn: Callable[..., R],
                   args: tuple[object, ...]) -> None:
    die_with_parent(parent_pid)
    try:
        outcome: tuple[bool, object] = (True, fn(*args))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        outcome = (False, exc)
    try:
        conn.send(outcome)
    except Exception:  # noqa: BLE001 - an unpicklable result or exception: say what it was
        conn.send((False, RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}")))
    conn.close()


class Background:
    """``fn(*args)`` in one spawned process that dies with this one (:func:`die_with_parent`),
    started at once: :meth:`result` waits for it and returns its value or raises its exception;
    :meth:`stop` ends it without waiting (an interrupted caller)."""

    def __init__(self, fn: Callable[..., object], *args: object) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(target=_call_in_child, daemon=True,
                                        args=(child, os.getpid(), fn, args))
        self._process.start()
        child.close()

    def result(self) -> object:
        try:
            ok, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the background process ended without a result (exit code "
                               f"{self._process.exitcode})") from None
        self._process.join()
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def make_executor(workers: int, kind: str = "local",
                  ray_address: str | None = None) -> Executor:
    """``local``: sequential for one worker, a process pool otherwise. ``ray``: one Ray task
    per spec, on the cluster at ``ray_address`` or on a local instance with ``workers`` CPUs
    (:class:`experiments.ray_executor.RayExecutor`)."""
    if kind == "ray":
        from experiments.ray_executor import RayExecutor

        return RayExecutor(address=ray_address,
                           num_cpus=workers if ray_address is None else None)
    if kind != "local":
        raise ValueError(f"Invalid executor: {kind!r}; expected 'local' or 'ray'")
    return SequentialExecutor() if workers == 1 else ProcessPoolExecutor(workers)
