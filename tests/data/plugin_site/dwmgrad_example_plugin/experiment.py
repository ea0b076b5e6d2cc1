"""``example_sign_descent``: sign descent on the separable quadratic, final f - f* per seed."""

from __future__ import annotations

import sys
from typing import Any

from dwmgrad_example_plugin.measurement import PlateauMetrics
from experiments.named import register_experiment
from experiments.named.common import envelope, load_records, resolve_scale
from experiments.spec import RunSpec
from experiments.store import ResultStore

NAME = "example_sign_descent"
DESCRIPTION = "Sign descent on a separable quadratic: where it settles (test plugin)"
LR, D, L, HORIZON = 0.05, 5, 10.0, 200


def specs(scale: str) -> list[RunSpec]:
    return [RunSpec(experiment=NAME, problem="separable_quadratic",
                    problem_params={"d": D, "L": L}, optimizer="SignDescent",
                    hyperparameters={"lr": LR}, seeds=(0, 1, 2), horizon=HORIZON)]


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    records = load_records(store, specs(chosen))
    final = tuple(float(v) for v in records[0].quantity("loss")[:, -1])
    return envelope(NAME, chosen, records, PlateauMetrics(final, LR, D, L, HORIZON), {})


register_experiment(sys.modules[__name__])
