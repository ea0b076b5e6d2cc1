"""The audited optimizer: a registered name or an import path, and its constructor options."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from experiments.measurements.audit import Audited
from experiments.named import cost_scaling, online
from experiments.named.counterexample_criterion import Setting
from experiments.spec import RunSpec

COMPARATORS = ("AMSGrad", online.ANALYSED, cost_scaling.REFERENCE)
"""Labels of the battery's own comparators (the search's controls, the cost reference)."""


@dataclass(frozen=True)
class Target:
    """``optimizer`` is a registered name or ``PKG.MOD:CLASS`` (:mod:`experiments.external`);
    ``options`` its constructor keywords, canonicalised like every spec's hyperparameters."""

    optimizer: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        probe = RunSpec(experiment="audit", problem="online_linear", optimizer=self.optimizer,
                        horizon=1, seeds=(0,), hyperparameters=dict(self.options))
        object.__setattr__(self, "options", probe.hyperparameters)

    @property
    def label(self) -> str:
        """The class or registered name, as the report names the optimizer; ``NAME
        (audited)`` when a comparator of the battery has that label (auditing AMSGrad or SGD
        must not merge its series with the comparator's)."""
        name = self.optimizer.rpartition(":")[2]
        return f"{name} (audited)" if name in COMPARATORS else name

    def options_json(self) -> str:
        return json.dumps(RunSpec(experiment="audit", problem="online_linear",
                                  optimizer=self.optimizer, horizon=1, seeds=(0,),
                                  hyperparameters=dict(self.options)).to_dict()
                          ["hyperparameters"], sort_keys=True)

    def audited(self) -> Audited:
        return Audited(self.label, self.optimizer, self.options_json())

    def setting(self) -> Setting:
        return Setting(self.label, self.optimizer, dict(self.options))

    def spec(self, experiment: str, problem: str, horizon: int, seeds: tuple[int, ...],
             problem_params: Mapping[str, Any] | None = None, record: tuple[str, ...] = (),
             dtype: str = "float64") -> RunSpec:
        """A run of the audited optimizer."""
        return RunSpec(experiment=experiment, problem=problem, optimizer=self.optimizer,
                       hyperparameters=dict(self.options), horizon=horizon, seeds=seeds,
                       problem_params=dict(problem_params or {}), record=record, dtype=dtype)
