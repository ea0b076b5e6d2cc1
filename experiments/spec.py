"""What one run is: :class:`RunSpec`, a frozen, hashable description of a batched run.

A run is a pure function of its spec (see :func:`experiments.runner.run_spec`): the problem
and its parameters, the optimizer and its hyperparameters, the seeds (one problem instance per
seed, all run as one batched computation), the horizon, the device, the dtype and the extra
per-step quantities to record. ``spec.key()`` names the result files.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DTYPES = ("float64", "float32")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

#: Per-step quantities the runner can record besides the loss (see ``experiments.runner``).
#: "x": the iterate (one column per coordinate, quantity names "x[0]", "x[1]", ...);
#: "grad": the gradient at the iterate (one column per coordinate, "grad[0]", ...);
#: "grad_norm": Euclidean norm of the gradient; "window": DWMGrad's window after the step;
#: "momentum": the momentum an optimizer used at the step (``opt.momentum_now``, or the
#: constant of heavy ball); "regret": cumulative regret R_t against the best fixed point of the
#: box for the first t losses (online problems); "objective": the full deterministic objective
#: at the iterate (stochastic problems; equals the loss for deterministic ones); "dist": the
#: distance ‖x_t - x*‖ (problems with a known x*); plus any name in a problem's
#: ``QUANTITIES`` (e.g. the MLP's "accuracy"); plus "state:<key>", an optimizer's
#: per-parameter state tensor after the step (e.g. "state:s", "state:v"; one column per
#: coordinate, "state:s[0]", ...).
GENERIC_QUANTITIES = ("x", "grad", "grad_norm", "window", "momentum", "regret", "objective",
                      "dist")
#: Whole-run measurements a spec can request in ``record`` (they go to the record's
#: ``timings``, not to per-step columns): "peak_memory", the peak bytes of one extra optimizer
#: step measured outside the timed loop (on CPU with torch.profiler; see
#: ``experiments.runner``); "step_times", the wall time of each ``optimizer.step`` call alone
#: (``timings["optimizer_step_s"]``, one per step, without the problem's gradient and the
#: runner's bookkeeping), the CPU time of the calling thread over the same call
#: (``timings["optimizer_step_cpu_s"]``, ``time.thread_time``: user + system, not counting
#: time the thread waited while other processes ran) and the machine's last-level cache
#: (``timings["llc_bytes"]``, :func:`experiments.machine.last_level_cache`); such a run first
#: pins the process's C allocator so temporaries reuse memory (``timings["allocator"]``,
#: :func:`experiments.machine.steady_allocator`).
RUN_MEASUREMENTS = ("peak_memory", "step_times")
STATE_PREFIX = "state:"


def _canonical(value: Any, where: str) -> Any:
    """JSON-able, order-independent form of a parameter value (tuples become lists)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Invalid {where}: {value!r}; expected a finite number")
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v, f"{where}.{k}") for k, v in sorted(value.items())}
    raise ValueError(
        f"Invalid {where}: {value!r} of type {type(value).__name__}; expected a number, "
        "string, bool, None, list or mapping"
    )


def _frozen(value: Any) -> Any:
    """Canonical value with lists turned back into tuples (so optimizers get ``betas`` tuples)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class RunSpec:
    """One batched run: every seed is one instance of ``problem``; all share the optimizer.

    Example::

        RunSpec(experiment="demo", problem="quadratic", problem_params={"d": 10, "L": 10.0},
                optimizer="DWMGrad", hyperparameters={"lr": 1e-2}, seeds=(0, 1, 2),
                horizon=100, record=("grad_norm",))
    """

    experiment: str
    problem: str
    optimizer: str
    horizon: int
    seeds: tuple[int, ...]
    problem_params: Mapping[str, Any] = field(default_factory=dict)
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    dtype: str = "float64"
    record: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("experiment", "problem", "optimizer", "device"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Invalid {name}: {value!r}; expected a non-empty string")
        if not _NAME.fullmatch(self.experiment):
            raise ValueError(
                f"Invalid experiment: {self.experiment!r}; expected letters, digits, '_', '-' "
                "or '.', not starting with '.' or '-' (it names a directory and a CSV column)"
            )
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise ValueError(f"Invalid horizon: {self.horizon!r}; expected an integer >= 1")
        seeds = tuple(self.seeds)
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0
                            for s in seeds):
            raise ValueError(f"Invalid seeds: {self.seeds!r}; expected non-negative integers")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"Invalid seeds: {self.seeds!r}; expected distinct seeds")
        if self.dtype not in DTYPES:
            raise ValueError(f"Invalid dtype: {self.dtype!r}; expected one of {DTYPES}")
        record = tuple(self.record)
        if any(not isinstance(r, str) for r in record) or len(set(record)) != len(record):
            raise ValueError(f"Invalid record: {self.record!r}; expected distinct names")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "record", record)
        object.__setattr__(self, "problem_params",
                           _frozen(_canonical(dict(self.problem_params), "problem_params")))
        object.__setattr__(self, "hyperparameters",
                           _frozen(_canonical(dict(self.hyperparameters), "hyperparameters")))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; :meth:`from_dict` inverts it exactly."""
        out: dict[str, Any] = {f.name: _canonical(getattr(self, f.name), f.name)
                               for f in fields(self)}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"Invalid spec keys: {unknown}; expected keys among {sorted(names)}")
        kwargs = dict(data)
        kwargs["seeds"] = tuple(kwargs.get("seeds", ()))
        kwargs["record"] = tuple(kwargs.get("record", ()))
        return cls(**kwargs)

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          allow_nan=False)

    def key(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON (device included)."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.canonical_json())

    def with_changes(self, **changes: Any) -> RunSpec:
        data = self.to_dict()
        data.update(changes)
        return RunSpec.from_dict(data)
