"""The audit battery: every part run on one optimizer, measured into ``measurements/``.

:data:`PARTS` lists the parts in report order; each has a static spec list (the search also
runs adaptively, :func:`experiments.audit.search_cost.search`) and a ``measure`` that reads
only the stored records. :func:`run_battery` validates every spec first, runs what is not
stored yet (a rerun resumes), then writes ``measurements/<part>.json`` for each part; a part
whose measurement fails is written as an error record and the others are kept.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from experiments.audit import games, regret, search_cost
from experiments.audit.target import Target
from experiments.executors import ProcessPoolExecutor, SequentialExecutor
from experiments.named.common import Scale
from experiments.records import RunRecord
from experiments.runner import Executor, run_specs, validate_spec
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory.core import Bound


@dataclass(frozen=True)
class Part:
    """One part of the battery: its measurement name, title, static specs and measure."""

    name: str
    title: str
    specs: Callable[[Target, Scale], list[RunSpec]]
    measure: Callable[[ResultStore, Target, Scale], dict[str, Any]]


def _no_specs(target: Target, scale: Scale) -> list[RunSpec]:
    return []


PARTS: tuple[Part, ...] = (
    Part(regret.NAME, "Online regret suite", regret.specs, regret.measure),
    Part(games.REDDI, "Reddi et al.'s constructions",
         lambda t, s: list(games.reddi_specs(t, s).values()), games.measure_reddi),
    Part(games.LESSARD, "Lessard et al.'s function", games.lessard_specs,
         games.measure_lessard),
    Part(search_cost.SEARCH, "Counterexample search", _no_specs, search_cost.measure_search),
    Part(games.INVARIANCE, "Invariance audit", games.invariance_specs,
         games.measure_invariance),
    Part(search_cost.COST, "Cost scaling in d", search_cost.cost_specs,
         search_cost.measure_cost),
)


def all_specs(target: Target, scale: Scale) -> list[RunSpec]:
    """Every static spec of the battery, each validated (ValueError naming the bad one)."""
    out = [s for part in PARTS for s in part.specs(target, scale)]
    for spec in out:
        validate_spec(spec)
    return out


def run_battery(target: Target, store: ResultStore, scale: Scale, executor: Executor,
                bounds: Sequence[Bound] = (), progress: bool = False) -> dict[str, Any]:
    """Run and measure every part; returns {part name: measurement (or error record)}."""
    for bound in bounds:
        regret.check_bound(bound, target)
    run_specs(all_specs(target, scale), store, executor, progress=progress)

    # a pool would start fresh interpreters for every generation (see experiments.api)
    engine = SequentialExecutor() if isinstance(executor, ProcessPoolExecutor) else executor

    def run(specs: Sequence[RunSpec]) -> list[RunRecord]:
        made = {r.spec: r for r in run_specs(specs, store, engine, progress=False)}
        return [made[s] if s in made else store.load(s) for s in specs]

    search_cost.search(store, target, scale, run)
    out: dict[str, Any] = {}
    for part in PARTS:
        try:
            if part.name == regret.NAME:
                measurement = regret.measure(store, target, scale, bounds)
            else:
                measurement = part.measure(store, target, scale)
        except Exception as exc:  # noqa: BLE001 - keep the other parts' measurements
            measurement = {"experiment": part.name, "scale": scale,
                           "created": datetime.now(UTC).isoformat(timespec="seconds"),
                           "error": "".join(traceback.format_exception_only(type(exc), exc))
                           .strip()}
        store.write_measurement(part.name, measurement)
        out[part.name] = measurement
    return out
