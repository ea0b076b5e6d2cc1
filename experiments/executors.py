"""Executors: how a list of specs is run. Each has one method, ``map(fn, specs)``, which
yields ``fn(spec)`` for every spec as soon as it is ready (completion order).

* :class:`SequentialExecutor`: in this process, in order (one torch thread).
* :class:`ProcessPoolExecutor`: ``workers`` local processes (spawned, one torch thread each).

A distributed engine implements the same method: for Ray, ``refs = [ray.remote(fn).remote(s)
for s in specs]`` then ``ray.wait`` in a loop yielding ``ray.get`` of each finished ref. The
runner (:func:`experiments.runner.run_specs`) needs nothing else, so the same specs run
unchanged.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import torch

from experiments.spec import RunSpec

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


def _init_worker() -> None:
    torch.set_num_threads(1)


class ProcessPoolExecutor:
    """Run specs in ``workers`` spawned processes; results are yielded as they finish."""

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"Invalid workers: {workers!r}; expected an integer >= 1")
        self.workers = workers

    def map(self, fn: Callable[[RunSpec], R], specs: Sequence[RunSpec]) -> Iterator[R]:
        if not specs:
            return
        context = multiprocessing.get_context("spawn")
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(specs)), mp_context=context,
            initializer=_init_worker,
        )
        finished = False
        try:
            futures = [pool.submit(fn, spec) for spec in specs]
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
            finished = True
        finally:
            # On an interruption, drop the queued specs instead of running them first.
            pool.shutdown(wait=finished, cancel_futures=not finished)


def make_executor(workers: int) -> SequentialExecutor | ProcessPoolExecutor:
    """Sequential for one worker, a process pool otherwise."""
    return SequentialExecutor() if workers == 1 else ProcessPoolExecutor(workers)
