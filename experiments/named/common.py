"""What every named experiment shares: scales, loading its records, the measurement envelope.

A named experiment is a module with ``NAME``, ``DESCRIPTION``, ``specs(scale)`` and
``measure(store, scale=None)``. ``measure`` reads only result files: it loads exactly the
records of ``specs(scale)`` (so quick and full results can share a directory), where ``scale``
defaults to "full" when every full-scale result is on disk and "quick" otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from experiments.measurements import MeasurementRecord
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

Scale = Literal["quick", "full"]
SCALES: tuple[Scale, ...] = ("quick", "full")


def check_scale(scale: str) -> Scale:
    if scale not in SCALES:
        raise ValueError(f"Invalid scale: {scale!r}; expected one of {SCALES}")
    return scale  # type: ignore[return-value]


def resolve_scale(store: ResultStore, specs: Callable[[Scale], list[RunSpec]],
                  scale: str | None) -> Scale:
    """``scale`` if given, else "full" when all its results exist, else "quick"."""
    if scale is not None:
        return check_scale(scale)
    return "full" if all(store.has(s) for s in specs("full")) else "quick"


def load_records(store: ResultStore, specs: Sequence[RunSpec]) -> list[RunRecord]:
    """The records of ``specs``, in order; a missing one raises FileNotFoundError naming it."""
    missing = [s for s in specs if not store.has(s)]
    if missing:
        first = missing[0]
        raise FileNotFoundError(
            f"{len(missing)} of {len(specs)} runs of experiment {first.experiment!r} have no "
            f"result in {store.root} (first: {first.key()} {first.problem}/{first.optimizer}); "
            "run the experiment first"
        )
    return [store.load(s) for s in specs]


def finite_list(values: Iterable[float] | np.ndarray) -> list[float | None]:
    """A JSON-safe list: NaN and infinities become None."""
    return [float(v) if math.isfinite(float(v)) else None for v in np.asarray(values).ravel()]


def finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(float(value)) else None


def diverged_entries(records: Iterable[RunRecord]) -> list[dict[str, Any]]:
    return [
        {"spec_key": r.spec.key(), "optimizer": r.spec.optimizer, "seed": int(seed),
         "step": int(step)}
        for r in records for seed, step in sorted(r.diverged_at.items())
    ]


def run_labels(labelled: Mapping[str, Any]) -> dict[str, Any]:
    """A (nested) mapping of labels to records as the same mapping of labels to spec keys:
    the ``run_labels`` entry of a measurement, by which a figure finds the spec file
    (``runs/<experiment>/<key>.json``) behind each label it draws."""
    return {label: value.spec.key() if isinstance(value, RunRecord) else run_labels(value)
            for label, value in labelled.items()}


def envelope(name: str, scale: Scale, records: Sequence[RunRecord],
             metrics: MeasurementRecord | dict[str, Any], series: dict[str, Any],
             labelled: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The measurement JSON of ``results_contract.md``; a typed ``metrics`` record is written
    with its ``metrics_version``; ``labelled`` (label -> record, nested) becomes
    ``run_labels`` (label -> spec key, :func:`run_labels`); ``extra`` adds top-level keys."""
    typed = metrics.envelope_fields() if isinstance(metrics, MeasurementRecord) else \
        {"metrics": metrics}
    return {
        "experiment": name,
        "scale": scale,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **typed,
        "series": series,
        "runs": [r.spec.key() for r in records],
        "run_labels": run_labels(labelled or {}),
        "diverged": diverged_entries(records),
        **extra,
    }


def log_grid(first: int, last: int, per_decade: int) -> list[int]:
    """Distinct integers spaced evenly on a log scale from ``first`` to ``last`` inclusive."""
    n = max(2, int(round(per_decade * math.log10(last / first))) + 1)
    return sorted({int(round(v)) for v in np.logspace(math.log10(first), math.log10(last), n)})
