"""Metamorphic copies of an online convex game: one instance per transformation of one base
instance, so a batched run plays the game and its transformed copies side by side.

Instance s plays ``transforms[s]`` of the base game's instance ``base_seed`` (``transforms[0]``
must be the identity: the reference row). With y = sign · (x'_{perm(1)}, ..., x'_{perm(d)})
the learner's point mapped back into the base game,

    f'_t(x') = scale · f_t(y) + c_t

* ``offset`` c: c_t = c for every t (no gradient, no regret changes);
* ``round_offset`` c: c_t = c · (2 u_t - 1), u_t uniform from (base_seed, t) (a different
  constant per round: again no gradient, no regret changes);
* ``scale`` c > 0: every gradient and the regret are multiplied by c;
* ``permute``: the coordinates are reversed (perm(i) = d - 1 - i): gradients and iterates are
  permuted, the regret is unchanged;
* ``reflect``: y = -x' on the symmetric box (sign = -1): gradients and iterates change sign,
  the regret is unchanged;
* ``start`` v: no transformation of the losses; the row starts at x_1 = v (every coordinate,
  inside the box) instead of the base game's start. A condition, not an invariance: rows
  that differ only in their start show how much the start decides the outcome.

An optimizer equivariant to a transformation plays y'_t = x_t (the base game's iterate) and
suffers regret R'_T = scale · R_T. The quantity ``mapped_gap`` (record it by name) is
max_i |y_{t,i} - y^{ref}_{t,i}| / D∞, the distance of each row's mapped-back iterate from the
identity row's: 0 for an equivariant optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from experiments.problems.base import SharedLossGrad
from experiments.problems.randomness import counter_uniform

KINDS = ("identity", "offset", "round_offset", "scale", "permute", "reflect", "start")


def validate_transform(transform: Any) -> dict[str, Any]:
    """Check one ``{"kind": ..., "value": ...}`` mapping; ValueError naming the bad field."""
    if not isinstance(transform, Mapping) or set(transform) != {"kind", "value"}:
        raise ValueError(f"Invalid transform: {transform!r}; expected a mapping with keys "
                         "['kind', 'value']")
    kind, value = transform["kind"], transform["value"]
    if kind not in KINDS:
        raise ValueError(f"Invalid transform kind: {kind!r}; expected one of {KINDS}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"Invalid transform value: {value!r}; expected a finite number")
    if kind == "scale" and value <= 0:
        raise ValueError(f"Invalid transform value: {value!r}; a scale must be > 0")
    return {"kind": kind, "value": float(value)}


class Metamorphic(SharedLossGrad):
    """Transformed copies of one online game (see the module docstring)."""

    NAME = "metamorphic"
    online = True
    QUANTITIES = {"mapped_gap": "mapped_gap"}
    PARAMS: dict[str, Any] = {"base": "reddi_theorem1", "base_params": {}, "base_seed": 0,
                              "transforms": [{"kind": "identity", "value": 0.0}]}

    def _build(self) -> None:
        from experiments.problems import make_problem  # the registry imports this module

        transforms = self.params["transforms"]
        if isinstance(transforms, (str, bytes)) or not isinstance(transforms, Sequence):
            raise ValueError(f"Invalid transforms: {transforms!r}; expected a list")
        chosen = [validate_transform(transforms[s]) if s < len(transforms) else None
                  for s in self.seeds]
        if any(c is None for c in chosen):
            raise ValueError(f"Invalid transforms: {len(transforms)} given for seeds up to "
                             f"{max(self.seeds)}; expected one per seed")
        if validate_transform(transforms[0])["kind"] != "identity":
            raise ValueError(f"Invalid transforms: the first is {transforms[0]!r}; expected the "
                             "identity (the reference row)")
        base = make_problem(str(self.params["base"]), (int(self.params["base_seed"]),),
                            dict(self.params["base_params"]), dtype=self.dtype,
                            device=self.device)
        if not base.online or base.box is None or base.box[0] != -base.box[1]:
            raise ValueError(f"Invalid base: {self.params['base']!r}; expected an online game "
                             "on a symmetric box")
        self.base, self.transforms = base, [c for c in chosen if c is not None]
        self.dim, self.box = base.dim, base.box
        game: Any = base                                # an online game: G_inf, D_inf
        self.G_inf = float(game.G_inf) * max([t["value"] for t in self.transforms
                                              if t["kind"] == "scale"] + [1.0])
        self.D_inf = float(game.D_inf)
        kinds = [t["kind"] for t in self.transforms]
        values = [t["value"] for t in self.transforms]
        reverse = torch.arange(self.dim - 1, -1, -1)
        self._perm = torch.stack([reverse if k == "permute" else torch.arange(self.dim)
                                  for k in kinds]).to(self.device)                # (B, d)
        self._sign = self.to(torch.tensor([[-1.0 if k == "reflect" else 1.0] for k in kinds]))
        self._scale = self.to(torch.tensor([v if k == "scale" else 1.0
                                            for k, v in zip(kinds, values, strict=True)]))
        self._offset = np.array([v if k == "offset" else 0.0
                                 for k, v in zip(kinds, values, strict=True)])
        self._round = np.array([v if k == "round_offset" else 0.0
                                for k, v in zip(kinds, values, strict=True)])
        self._base_seed = torch.tensor([int(self.params["base_seed"])], dtype=torch.int64)
        # c_t of every row when no row draws per round: the same every step
        self._fixed_offset = (None if self._round.any()
                              else self.to(torch.from_numpy(self._offset.copy())))
        outside = [v for k, v in zip(kinds, values, strict=True)
                   if k == "start" and not base.box[0] <= v <= base.box[1]]
        if outside:
            raise ValueError(f"Invalid transform value: {outside[0]!r}; a start must lie in "
                             f"the box {list(base.box)}")
        self._start = {row: v for row, (k, v) in enumerate(zip(kinds, values, strict=True))
                       if k == "start"}

    def _offsets(self, steps: torch.Tensor) -> np.ndarray:
        """c_t of every row for ``steps``: shape (B, len(steps)), float64 (the per-round
        draws only when a row has a per-round offset)."""
        if not self._round.any():
            return np.repeat(self._offset[:, None], len(steps), axis=1)
        u = counter_uniform(self._base_seed, "metamorphic_offset", steps, 1)[0, :, 0].numpy()
        return self._offset[:, None] + self._round[:, None] * (2.0 * u[None, :] - 1.0)

    def mapped(self, x: torch.Tensor) -> torch.Tensor:
        """y: each row's point mapped back into the base game."""
        return self._sign * x.gather(1, self._perm)

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        if t is None:
            raise ValueError(f"{self.NAME} is an online problem: loss needs t >= 1")
        offset = (self._fixed_offset if self._fixed_offset is not None
                  else self.to(torch.from_numpy(self._offsets(torch.tensor([t]))[:, 0])))
        base_loss, base_grad = self.base.loss_and_grad(self.mapped(x), t)
        g = base_grad * self._sign * self._scale[:, None]
        return (self._scale * base_loss + offset,
                torch.zeros_like(g).scatter(1, self._perm, g))

    def x0(self, seeds: Any = None) -> torch.Tensor:
        start = self.base.x0().expand(self.batch, self.dim) * self._sign
        start = torch.zeros_like(start).scatter(1, self._perm, start)
        for row, value in self._start.items():
            start[row] = value
        return start

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError  # x0 is the base game's, transformed

    def comparator_prefix(self, horizon: int) -> np.ndarray:
        """scale · (the base game's prefix minimum) + Σ_{u ≤ t} c_u: shape (B, horizon)."""
        base = self.base.comparator_prefix(horizon)  # type: ignore[attr-defined]
        steps = torch.arange(1, horizon + 1, dtype=torch.int64)
        scale = self._scale.double().cpu().numpy()[:, None]
        return scale * base + np.cumsum(self._offsets(steps), axis=1)

    def mapped_gap(self, x: torch.Tensor) -> torch.Tensor:
        """max_i |y_i - y^{ref}_i| / D∞ per row (row 0 is the identity)."""
        y = self.mapped(x)
        return (y - y[:1]).abs().amax(dim=1) / self.D_inf

    def info(self) -> dict[str, Any]:
        return {**super().info(), "G_inf": self.G_inf, "D_inf": self.D_inf,
                "box": list(self.box) if self.box else None, "transforms": self.transforms}
