"""The registry and the contract every named experiment module follows."""

from __future__ import annotations

import pytest

from experiments.named import EXPERIMENTS
from experiments.problems import PROBLEMS
from experiments.runner import validate_spec

CONTRACT_NAMES = {"heavy_ball_rate", "lessard_cycle", "reddi", "dwmgrad_regret", "invariance",
                  "bound_tightness", "counterexample_search", "cost_scaling", "empirical"}


def test_registry_has_every_named_experiment() -> None:
    assert set(EXPERIMENTS) == CONTRACT_NAMES
    for name, module in EXPERIMENTS.items():
        assert module.NAME == name and module.DESCRIPTION


@pytest.mark.parametrize("name", sorted(CONTRACT_NAMES))
@pytest.mark.parametrize("scale", ["quick", "full"])
def test_specs_are_valid_distinct_and_named_after_the_experiment(name: str, scale: str) -> None:
    specs = EXPERIMENTS[name].specs(scale)
    assert specs
    assert len({s.key() for s in specs}) == len(specs)
    for spec in specs:
        assert spec.experiment == name
        assert spec.problem in PROBLEMS
    validate_spec(specs[0])


def test_bad_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="Invalid scale: 'huge'"):
        EXPERIMENTS["reddi"].specs("huge")
