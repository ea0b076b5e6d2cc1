"""Run specs as Ray tasks: the executors' one method, ``map(fn, specs)``, on a Ray cluster.

Each spec is one task (``ray.remote``, one CPU, one torch thread); finished tasks are
collected with ``ray.wait`` and yielded in completion order, so the caller
(:func:`experiments.runner.run_specs`) saves each result through the same atomic result store
as with the local executors: the driver writes every file, the workers only compute. A
resumed or interrupted Ray run therefore behaves exactly as a local one, and the run data
files are byte-identical (tests/experiments/test_ray_executor.py).

A task whose worker dies (killed, out of memory, node lost) is retried by Ray up to
``max_retries`` times; if it is still lost, the spec comes back as a "failed" record that
names the Ray error, so the run is reported and made again by the next ``run``/``all``,
never silently dropped.

``address=None`` starts a local Ray instance for the duration of ``map`` (``num_cpus`` CPUs)
and shuts it down afterwards (if this process is killed, :mod:`experiments.reaper` kills
what the instance left behind); an address (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``)
joins an existing cluster, whose workers must see the same installed package and write
nothing (results travel back to the driver).

Ray is an optional dependency (``pip install -e '.[ray]'``): :func:`require_ray` raises
:class:`ModuleNotFoundError` with that command when it is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from experiments.reaper import Reaper
from experiments.records import RunRecord
from experiments.spec import RunSpec

INSTALL_HINT = "pip install -e '.[ray]'"
DEFAULT_MAX_RETRIES = 2


def require_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`ModuleNotFoundError` naming the install command."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"--executor ray needs the optional dependency ray: {INSTALL_HINT}") from exc


def _run_with_one_thread(fn: Callable[[RunSpec], RunRecord], spec: RunSpec) -> RunRecord:
    """The task body: one torch thread, as the local pool's workers."""
    import torch

    torch.set_num_threads(1)
    return fn(spec)


class RayExecutor:
    """Run every spec as a Ray task and yield the records as they finish."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None,
                 max_retries: int = DEFAULT_MAX_RETRIES) -> None:
        if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int)
                                     or num_cpus < 1):
            raise ValueError(f"Invalid num_cpus: {num_cpus!r}; expected an integer >= 1")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"Invalid max_retries: {max_retries!r}; expected an integer >= 0")
        self.address = address
        self.num_cpus = num_cpus
        self.max_retries = max_retries

    def _connect(self, ray: ModuleType) -> bool:
        """Start or join Ray; True if this call started it (and so must shut it down)."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                   "configure_logging": False}
        if self.address is None:
            options["num_cpus"] = self.num_cpus
        ray.init(address=self.address, **options)
        return True

    def map(self, fn: Callable[[RunSpec], RunRecord],
            specs: Sequence[RunSpec]) -> Iterator[RunRecord]:
        if not specs:
            return
        ray = require_ray()
        from experiments.runner import failed_record

        # the reaper starts before ray.init: a kill while Ray starts leaves nothing either
        reaper = Reaper() if self.address is None and not ray.is_initialized() else None
        started = False
        pending: dict[Any, RunSpec] = {}
        try:
            started = self._connect(ray)
            task = ray.remote(num_cpus=1, max_retries=self.max_retries)(_run_with_one_thread)
            pending.update({task.remote(fn, spec): spec for spec in specs})
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    spec = pending.pop(ref)
                    try:
                        record = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        record = failed_record(
                            spec, f"ray task lost after {self.max_retries} retries: "
                                  f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                    yield record
        finally:
            for ref in pending:  # interrupted: drop the tasks not collected yet
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()
            if reaper is not None:
                reaper.release()
