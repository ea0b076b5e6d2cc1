"""The periodic online convex family the counterexample search explores, on the box [-1, 1]:

    f_t(x) = ½ a_t x² + b_t x + c_t,   (a_t, b_t, c_t) = phases[(t-1) mod p]

with period p = len(phases) and every a ≥ 0 (a = 0: linear losses; Reddi, Kale, Kumar 2018's
Theorem 1 is p = 3, phases (0, C, 0), (0, -1, 0), (0, -1, 0)). The offsets c_t change no
gradient and no regret, but they are loss values, which DWMGrad's loss-driven window reads.
A ``sequence`` is the JSON mapping {"phases": [[a, b, c], ...], "x0": x_1}.
:class:`PeriodicOnline` (``"periodic_online"``) takes either one ``sequence`` shared by every
seed or ``sequences``, a list indexed by seed (seed s plays ``sequences[s]``), so a batched run
evaluates a whole search population at once and an instance never depends on its batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from experiments.problems.base import SharedLossGrad

BOX = (-1.0, 1.0)


def reddi_theorem1(C: float = 3.0, offset: float = 0.0, x0: float = 0.0) -> dict[str, Any]:
    """Reddi, Kale, Kumar (ICLR 2018), Theorem 1: f_t = C x if t mod 3 = 1 else -x (plus a
    constant ``offset`` in every loss, which changes no gradient and no regret)."""
    return {"phases": [[0.0, C, offset], [0.0, -1.0, offset], [0.0, -1.0, offset]],
            "x0": x0}


def validate_sequence(seq: Any) -> dict[str, Any]:
    """Check and normalise one ``sequence`` mapping; ValueError naming the bad field."""
    keys = {"phases", "x0"}
    if not isinstance(seq, Mapping) or set(seq) != keys:
        raise ValueError(f"Invalid sequence: {seq!r}; expected a mapping with keys {sorted(keys)}")
    phases = seq["phases"]
    if isinstance(phases, (str, bytes)) or not isinstance(phases, Sequence) or not phases:
        raise ValueError(f"Invalid phases: {phases!r}; expected a non-empty list of [a, b, c]")
    out = []
    for abc in phases:
        values = list(abc) if isinstance(abc, Sequence) and not isinstance(abc, str) else []
        if (len(values) != 3 or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                    for v in values)
                or not all(math.isfinite(float(v)) for v in values) or float(values[0]) < 0):
            raise ValueError(f"Invalid phase: {abc!r}; expected [a >= 0, b, c], finite numbers")
        out.append([float(v) for v in values])
    x0 = seq["x0"]
    if (isinstance(x0, bool) or not isinstance(x0, (int, float)) or not math.isfinite(x0)
            or not BOX[0] <= float(x0) <= BOX[1]):
        raise ValueError(f"Invalid x0: {x0!r}; expected a point of {list(BOX)}")
    return {"phases": out, "x0": float(x0)}


def gradient_bound(sequence: Mapping[str, Any]) -> float:
    """G∞ = max_t max_{|x| ≤ 1} |a_t x + b_t| = max over phases of a + |b|."""
    return float(max(a + abs(b) for a, b, _ in sequence["phases"]))


class PeriodicOnline(SharedLossGrad):
    """Periodic online linear/quadratic losses on [-1, 1] (see the module docstring)."""

    NAME = "periodic_online"
    online = True
    PARAMS: dict[str, Any] = {"sequence": None, "sequences": None}

    def _build(self) -> None:
        one, many = self.params["sequence"], self.params["sequences"]
        if (one is None) == (many is None):
            raise ValueError("Invalid periodic_online parameters: give exactly one of "
                             f"'sequence' or 'sequences' (got sequence={one!r}, "
                             f"sequences={many!r})")
        if one is not None:
            self.sequences = [validate_sequence(one)] * self.batch
        else:
            if not isinstance(many, Sequence) or max(self.seeds) >= len(many):
                raise ValueError(f"Invalid sequences: {many!r}; expected a list indexed by "
                                 f"seed, with an entry for every seed up to {max(self.seeds)}")
            self.sequences = [validate_sequence(many[s]) for s in self.seeds]
        self.dim = 1
        self.box = BOX
        self.D_inf = BOX[1] - BOX[0]
        p_max = max(len(s["phases"]) for s in self.sequences)
        table = torch.zeros(self.batch, p_max, 3, dtype=torch.float64)
        for row, s in enumerate(self.sequences):
            table[row, : len(s["phases"])] = torch.tensor(s["phases"], dtype=torch.float64)
        self._table = self.to(table)                                            # (B, P, 3)
        self._period = torch.tensor([len(s["phases"]) for s in self.sequences],
                                    device=self.device)
        self.G_inf = max(gradient_bound(s) for s in self.sequences)

    def _coefficients(self, t: int | None) -> torch.Tensor:
        """(B, 3): (a_t, b_t, c_t) of every instance."""
        if t is None or t < 1:
            raise ValueError(f"Invalid step t: {t!r}; online losses are indexed by t >= 1")
        phase = ((t - 1) % self._period).view(-1, 1, 1).expand(-1, 1, 3)
        return self._table.gather(1, phase).squeeze(1)

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        abc = self._coefficients(t)
        z = x[:, 0]
        return (0.5 * abc[:, 0] * z * z + abc[:, 1] * z + abc[:, 2],
                (abc[:, 0] * z + abc[:, 1]).unsqueeze(1))

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError  # x0 is part of each sequence

    def x0(self, seeds: Any = None) -> torch.Tensor:
        return self.to(torch.tensor([[s["x0"]] for s in self.sequences]))

    def _cumulative(self, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prefix sums (B, T) of a_t, b_t, c_t."""
        rows = []
        for s in self.sequences:
            phases = np.asarray(s["phases"], dtype=np.float64)
            rows.append(phases[np.arange(horizon) % len(phases)])            # (T, 3)
        stacked = np.cumsum(np.stack(rows), axis=1)                           # (B, T, 3)
        return stacked[..., 0], stacked[..., 1], stacked[..., 2]

    def comparator_prefix(self, horizon: int) -> np.ndarray:
        """min over the box of Σ_{u<=t} f_u, for t = 1..horizon: shape (B, horizon)."""
        a, b, c = self._cumulative(horizon)
        x = self.comparator_point(a, b)
        return 0.5 * a * x * x + b * x + c

    @staticmethod
    def comparator_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """argmin over [-1, 1] of ½ a x² + b x (a ≥ 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            interior = np.clip(-b / a, BOX[0], BOX[1])
        corner = np.where(b > 0, BOX[0], BOX[1])
        return np.where(a > 0, interior, corner)

    def comparator(self, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b, c = self._cumulative(horizon)
        x = self.comparator_point(a[:, -1], b[:, -1])
        value = 0.5 * a[:, -1] * x * x + b[:, -1] * x + c[:, -1]
        return self.to(torch.from_numpy(x).unsqueeze(1)), self.to(torch.from_numpy(value))

    def info(self) -> dict[str, Any]:
        out = super().info()
        out.update({"G_inf": self.G_inf, "D_inf": self.D_inf, "box": list(BOX)})
        return out
