"""The periodic online convex family the counterexample search explores, on the box [-1, 1]:

    f_t(x) = ½ a_t x² + b_t x + c_t,  (a_t, b_t, c_t) = spike if (t-1) mod p ∈ S else rest

with period p, spike phases S ⊆ {0..p-1}, a_t ≥ 0 (a = 0: linear losses, Reddi et al. 2018's
Theorem 1 is p = 3, S = {0}, spike = (0, 3, 0), rest = (0, -1, 0)); the offsets c_t change no
gradient or regret but drive DWMGrad's loss-based window. :class:`PeriodicOnline`
(``"periodic_online"``) takes either one explicit ``sequence`` (shared by every seed) or, with
``space`` set, one random candidate per seed drawn by :func:`candidate` (so a batched run
evaluates a whole search population at once).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from experiments.problems.base import Problem
from experiments.problems.randomness import generator

SPACES = ("linear", "quadratic", "mixed")
BOX = (-1.0, 1.0)


def _loguniform(gen: torch.Generator, low: float, high: float) -> float:
    u = float(torch.rand((), generator=gen, dtype=torch.float64))
    return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))


def _uniform(gen: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=gen, dtype=torch.float64))


def candidate(seed: int, space: str, max_period: int = 120) -> dict[str, Any]:
    """The random member of the family for ``seed`` (a JSON-able ``sequence``).

    Period p log-uniform in [2, max_period]; one or two spike phases; rest slope -m and spike
    slope m (p - |S|)/|S| (1 + u) with u log-uniform in [0.005, 2], so the period's total slope
    is positive and the comparator sits at -1 (times a random sign s, which mirrors the game);
    gradient scale m log-uniform in [0.1, 10]; offsets c uniform in [-2, 2]. ``space`` =
    "quadratic" adds curvatures a log-uniform in [0.01, 10] (spike) and [0.001, 1] (rest);
    "mixed" picks one of the two with probability ½.
    """
    if space not in SPACES:
        raise ValueError(f"Invalid space: {space!r}; expected one of {SPACES}")
    gen = generator(seed, f"periodic_online:{space}")
    if space == "mixed":
        space = "linear" if float(torch.rand((), generator=gen)) < 0.5 else "quadratic"
    p = int(round(_loguniform(gen, 2.0, float(max_period))))
    n_spikes = 1 if p < 4 or float(torch.rand((), generator=gen)) < 0.7 else 2
    phases = sorted(int(i) for i in torch.randperm(p, generator=gen)[:n_spikes])
    m = _loguniform(gen, 0.1, 10.0)
    u = _loguniform(gen, 0.005, 2.0)
    sign = 1.0 if float(torch.rand((), generator=gen)) < 0.5 else -1.0
    spike_b = sign * m * (p - n_spikes) / n_spikes * (1.0 + u)
    rest_b = -sign * m
    a_spike = _loguniform(gen, 0.01, 10.0) if space == "quadratic" else 0.0
    a_rest = _loguniform(gen, 0.001, 1.0) if space == "quadratic" else 0.0
    return {
        "period": p,
        "spikes": phases,
        "spike": [a_spike, spike_b, _uniform(gen, -2.0, 2.0)],
        "rest": [a_rest, rest_b, _uniform(gen, -2.0, 2.0)],
        "x0": 0.0,
    }


def reddi_theorem1(C: float = 3.0) -> dict[str, Any]:
    """Reddi, Kale, Kumar (ICLR 2018), Theorem 1: f_t = C x if t mod 3 = 1 else -x."""
    return {"period": 3, "spikes": [0], "spike": [0.0, C, 0.0], "rest": [0.0, -1.0, 0.0],
            "x0": 0.0}


def validate_sequence(seq: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise one ``sequence`` mapping; ValueError naming the bad field."""
    keys = {"period", "spikes", "spike", "rest", "x0"}
    if not isinstance(seq, Mapping) or set(seq) != keys:
        raise ValueError(f"Invalid sequence: {seq!r}; expected a mapping with keys {sorted(keys)}")
    p = seq["period"]
    if isinstance(p, bool) or not isinstance(p, int) or p < 1:
        raise ValueError(f"Invalid period: {p!r}; expected an integer >= 1")
    spikes = list(seq["spikes"])
    if not spikes or any(not isinstance(i, int) or not 0 <= i < p for i in spikes):
        raise ValueError(f"Invalid spikes: {spikes!r}; expected phases in [0, {p})")
    for name in ("spike", "rest"):
        abc = list(seq[name])
        if len(abc) != 3 or not all(math.isfinite(float(v)) for v in abc) or float(abc[0]) < 0:
            raise ValueError(f"Invalid {name}: {abc!r}; expected [a >= 0, b, c] finite")
    x0 = float(seq["x0"])
    if not BOX[0] <= x0 <= BOX[1]:
        raise ValueError(f"Invalid x0: {x0!r}; expected a point of {list(BOX)}")
    return {"period": p, "spikes": sorted(set(spikes)), "spike": [float(v) for v in seq["spike"]],
            "rest": [float(v) for v in seq["rest"]], "x0": x0}


class PeriodicOnline(Problem):
    """Periodic online linear/quadratic losses on [-1, 1] (see the module docstring)."""

    NAME = "periodic_online"
    online = True
    PARAMS: dict[str, Any] = {"sequence": None, "space": None, "max_period": 120}

    def _build(self) -> None:
        seq, space = self.params["sequence"], self.params["space"]
        if (seq is None) == (space is None):
            raise ValueError("Invalid periodic_online parameters: give exactly one of "
                             f"'sequence' or 'space' (got sequence={seq!r}, space={space!r})")
        if seq is not None:
            self.sequences = [validate_sequence(seq)] * self.batch
        else:
            self.sequences = [candidate(s, space, int(self.params["max_period"]))
                              for s in self.seeds]
        self.dim = 1
        self.box = BOX
        self.D_inf = BOX[1] - BOX[0]
        p_max = max(s["period"] for s in self.sequences)
        mask = torch.zeros(self.batch, p_max, dtype=torch.bool)
        for row, s in enumerate(self.sequences):
            mask[row, s["spikes"]] = True
        self._mask = mask.to(self.device)
        self._period = torch.tensor([s["period"] for s in self.sequences], device=self.device)
        self._spike = self.to(torch.tensor([s["spike"] for s in self.sequences]))
        self._rest = self.to(torch.tensor([s["rest"] for s in self.sequences]))
        slopes = [abs(c[0]) * BOX[1] + abs(c[1]) for s in self.sequences
                  for c in (s["spike"], s["rest"])]
        self.G_inf = float(max(slopes))

    def _is_spike(self, t: int) -> torch.Tensor:
        """(B,) bool: is f_t the spike loss?"""
        phase = (t - 1) % self._period
        return self._mask.gather(1, phase.unsqueeze(1)).squeeze(1)

    def _spike_matrix(self, horizon: int) -> np.ndarray:
        """(B, horizon) bool: the spike indicator of t = 1..horizon."""
        phases = np.arange(horizon)[None, :] % np.array([[s["period"]] for s in self.sequences])
        return np.stack([np.isin(row, s["spikes"]) for row, s in zip(phases, self.sequences,
                                                                       strict=True)])

    def _coefficients(self, t: int | None) -> torch.Tensor:
        if t is None:
            raise ValueError(f"{self.NAME} is an online problem: loss/grad need t >= 1")
        spike = self._is_spike(t)
        return torch.where(spike.unsqueeze(1), self._spike, self._rest)        # (B, 3)

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        abc = self._coefficients(t)
        z = x[:, 0]
        return 0.5 * abc[:, 0] * z * z + abc[:, 1] * z + abc[:, 2]

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        abc = self._coefficients(t)
        return (abc[:, 0] * x[:, 0] + abc[:, 1]).unsqueeze(1)

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError  # x0 is part of each sequence

    def x0(self, seeds: Any = None) -> torch.Tensor:
        return self.to(torch.tensor([[s["x0"]] for s in self.sequences]))

    def _cumulative(self, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prefix sums (B, T) of a_t, b_t, c_t."""
        spike = self._spike_matrix(horizon)[..., None]                       # (B, T, 1)
        coef = np.where(spike, self._spike.double().cpu().numpy()[:, None, :],
                        self._rest.double().cpu().numpy()[:, None, :])
        stacked = np.cumsum(coef, axis=1)                                      # (B, T, 3)
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
