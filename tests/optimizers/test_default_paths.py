"""The default path (foreach=None, fused=None) comes from the committed table that
``bench optimizers --defaults-out`` writes, never from timing at run time."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
import torch
from optimizer_cases import OPTIMIZERS, take_step

from dwmgrad import drivers


def test_the_committed_table_names_registered_optimizers_and_uncompiled_paths() -> None:
    table = json.loads(resources.files("dwmgrad").joinpath("default_paths.json").read_text())
    for device, entries in table["paths"].items():
        assert set(entries) <= set(OPTIMIZERS), device
        assert set(entries.values()) <= {"forloop", "foreach"}, device
        assert "bench optimizers" in table["measured"][device]["command"], device


def test_default_path_follows_the_table_and_falls_back_to_torch_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drivers, "_default_table", lambda: {"cpu": {"Aida": "foreach"}})
    cpu = [torch.zeros(2)]
    assert drivers.default_path("Aida", cpu) == "foreach"
    assert drivers.default_path("DemonSGD", cpu) == "forloop"  # no entry: torch's CPU rule
    assert drivers.default_path("Aida", [torch.zeros(2, device="meta")]) == "forloop"
    assert drivers.default_path("Aida", [torch.zeros(2), torch.zeros(2, device="meta")]) \
        == "forloop"


@pytest.mark.parametrize("path", ["forloop", "foreach"])
def test_an_optimizer_without_flags_runs_the_tables_path(
        path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drivers, "_default_table", lambda: {"cpu": {"AdaBelief": path}})
    taken: list[str] = []
    real_run = drivers.run

    def spy(chosen: str, *args: Any, **kwargs: Any) -> None:
        taken.append(chosen)
        real_run(chosen, *args, **kwargs)

    monkeypatch.setattr(drivers, "run", spy)
    param = torch.ones(3, requires_grad=True)
    opt = OPTIMIZERS["AdaBelief"].make([param])
    param.grad = torch.ones(3)
    take_step(opt, OPTIMIZERS["AdaBelief"], 1.0)
    assert taken == [path]
