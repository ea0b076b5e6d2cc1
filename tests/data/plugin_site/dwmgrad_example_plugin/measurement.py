"""The typed metrics of ``measurements/example_sign_descent.json`` (data only: the claim
imports it without the experiment's code)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class PlateauMetrics(MeasurementRecord):
    """Final f - f* per seed, and the setting the plateau bound is evaluated at."""

    EXPERIMENT = "example_sign_descent"
    VERSION = 1
    final_gap: tuple[float, ...]
    lr: float
    d: int
    L: float
    horizon: int
