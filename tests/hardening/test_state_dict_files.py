"""state_dict round-trips through files: ``torch.save`` mid-run, ``torch.load`` (with the
default ``weights_only=True``, so the state holds only tensors and plain containers) into a
fresh optimizer over fresh parameters loaded from file, continues bit-identically (CPU,
``torch.equal``) for every optimizer and path, plain and ``per_instance``, with DWMGrad's
analysis options.

``tests/optimizers/test_state_dict.py`` does the in-memory round trip; this one goes through
the files a user's checkpoint would hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from dwmgrad.registry import OPTIMIZERS, path_kwargs

BEFORE, AFTER, BATCH = 5, 7, 3
SHAPES = [(BATCH, 4), (BATCH, 2, 3), (BATCH,)]


def cases() -> list[Any]:
    out = []
    for name, info in sorted(OPTIMIZERS.items()):
        variants: list[dict[str, Any]] = [{}, {"per_instance": True}]
        if name == "DWMGrad":
            variants.append({"per_instance": True, "window_rule": "loss_increase",
                             "lr_schedule": "inv_sqrt", "momentum_decay": 0.95,
                             "max_second_moment": True})
        for path in info.paths:
            for extra in variants:
                marks = [pytest.mark.slow] if path == "fused" else []
                label = ",".join(f"{k}={v}" for k, v in extra.items()) or "plain"
                out.append(pytest.param(name, path, extra, marks=marks,
                                        id=f"{name}-{path}-{label}"))
    return out


def gradient(t: int, p_index: int, p: torch.Tensor) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1000 * t + p_index)
    return torch.randn(p.shape, generator=gen, dtype=p.dtype) + 0.1 * p.detach()


def loss_at(t: int, per_instance: bool) -> torch.Tensor:
    base = torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64) * (t % 4 - 1.5)
    return base if per_instance else base.sum()


def advance(opt: Any, params: list[torch.Tensor], name: str, start: int, stop: int,
            per_instance: bool) -> None:
    info = OPTIMIZERS[name]
    for t in range(start, stop):
        for i, p in enumerate(params):
            p.grad = gradient(t, i, p)
        if info.needs_loss:
            opt.step(loss=loss_at(t, per_instance))
        else:
            opt.step()


def build(name: str, params: list[torch.Tensor], path: str, extra: dict[str, Any]) -> Any:
    info = OPTIMIZERS[name]
    return info.factory(params, **{**info.example_kwargs, **extra, **path_kwargs(path)})


@pytest.mark.parametrize(("name", "path", "extra"), cases())
def test_checkpoint_files_continue_bit_identically(tmp_path: Path, name: str, path: str,
                                                   extra: dict[str, Any]) -> None:
    per_instance = bool(extra.get("per_instance"))
    gen = torch.Generator().manual_seed(7)
    params = [torch.randn(s, generator=gen, dtype=torch.float64).requires_grad_(True)
              for s in SHAPES]
    opt = build(name, params, path, extra)
    advance(opt, params, name, 0, BEFORE, per_instance)
    torch.save({"params": [p.detach() for p in params], "optimizer": opt.state_dict()},
               tmp_path / "checkpoint.pt")
    advance(opt, params, name, BEFORE, BEFORE + AFTER, per_instance)

    checkpoint = torch.load(tmp_path / "checkpoint.pt")            # weights_only=True
    fresh = [p.clone().requires_grad_(True) for p in checkpoint["params"]]
    resumed = build(name, fresh, path, extra)
    resumed.load_state_dict(checkpoint["optimizer"])
    advance(resumed, fresh, name, BEFORE, BEFORE + AFTER, per_instance)

    for p, q in zip(params, fresh, strict=True):
        assert torch.equal(p.detach(), q.detach())
    expected, actual = opt.state_dict()["state"], resumed.state_dict()["state"]
    assert expected.keys() == actual.keys()
    for key, entry in expected.items():
        assert entry.keys() == actual[key].keys(), key
        for field, value in entry.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(actual[key][field])), (
                key, field)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_checkpoint_does_not_alias_the_loaded_tensors(tmp_path: Path, name: str) -> None:
    """Stepping the resumed optimizer leaves the loaded state_dict's tensors untouched (the
    same checkpoint can be resumed twice)."""
    params = [torch.ones(BATCH, 2, dtype=torch.float64, requires_grad=True)]
    opt = build(name, params, "forloop", {})
    advance(opt, params, name, 0, BEFORE, False)
    torch.save(opt.state_dict(), tmp_path / "opt.pt")
    loaded = torch.load(tmp_path / "opt.pt")
    snapshot = {k: {f: v.clone() for f, v in e.items() if isinstance(v, torch.Tensor)}
                for k, e in loaded["state"].items()}
    fresh = [params[0].detach().clone().requires_grad_(True)]
    resumed = build(name, fresh, "forloop", {})
    resumed.load_state_dict(loaded)
    advance(resumed, fresh, name, BEFORE, BEFORE + AFTER, False)
    for key, entry in snapshot.items():
        for field, value in entry.items():
            assert torch.equal(loaded["state"][key][field], value), (key, field)
