"""A small MLP on scikit-learn's digits: the non-convex "deep network" check at small scale."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch

from experiments.problems.base import Problem
from experiments.problems.randomness import counter_uniform


@functools.cache
def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits (1797 images), pixels scaled to [0, 1], integer labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data / 16.0, data.target.astype(np.int64)


class DigitsMLP(Problem):
    """One-hidden-layer tanh MLP, 64 → ``hidden`` → 10, softmax cross-entropy on digits.

    The parameters of an instance are one flat vector (W1, b1, W2, b2), so the whole network
    counts as one "layer" for layer-wise rules (Aida). Loss: mean cross-entropy over the batch
    + ``weight_decay``/2·‖θ‖². ``batch_size`` 0 means full batch (deterministic); otherwise the
    minibatch at step t is drawn with replacement from (seed, t). Initialisation per seed:
    weights U[-1/√fan_in, 1/√fan_in] (torch.nn.Linear's), biases 0. Non-convex: no x*, f*.
    Extra quantity "accuracy": full-data training accuracy.
    """

    NAME = "digits_mlp"
    PARAMS: dict[str, Any] = {"hidden": 32, "batch_size": 0, "weight_decay": 0.0}
    QUANTITIES = {"accuracy": "accuracy"}

    def _build(self) -> None:
        self.hidden, self.batch_size = int(self.params["hidden"]), int(self.params["batch_size"])
        self.weight_decay = float(self.params["weight_decay"])
        if self.hidden < 1 or self.batch_size < 0 or self.weight_decay < 0:
            raise ValueError(f"Invalid digits_mlp (hidden={self.hidden}, batch_size="
                             f"{self.batch_size}, weight_decay={self.weight_decay}); expected "
                             "hidden >= 1, batch_size >= 0, weight_decay >= 0")
        features, labels = digits()
        self.features = self.to(torch.from_numpy(features))
        self.labels = torch.from_numpy(labels).to(self.device)
        self.n_in, self.n_out = features.shape[1], 10
        h = self.hidden
        self.shapes = ((h, self.n_in), (h,), (self.n_out, h), (self.n_out,))
        self.dim = sum(math.prod(s) for s in self.shapes)
        self.stochastic = self.batch_size > 0

    def _unpack(self, x: torch.Tensor) -> list[torch.Tensor]:
        out, start = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            out.append(x[:, start:start + size].reshape(x.shape[0], *shape))
            start += size
        return out

    def _batch(self, t: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (B, m, 64) or (m, 64) and labels (B, m) or (m,) of step t."""
        if self.batch_size == 0 or t is None:
            return self.features, self.labels
        u = counter_uniform(self.seeds_cpu, "digits_mlp:batch",
                            torch.tensor([t], dtype=torch.int64), self.batch_size)[:, 0]
        index = (u * len(self.labels)).long().clamp_max(len(self.labels) - 1).to(self.device)
        return self.features[index], self.labels[index]

    def _logits(self, x: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        w1, b1, w2, b2 = self._unpack(x)
        hidden = torch.tanh(torch.matmul(inputs, w1.transpose(1, 2)) + b1.unsqueeze(1))
        return torch.matmul(hidden, w2.transpose(1, 2)) + b2.unsqueeze(1)        # (B, m, 10)

    def _loss(self, x: torch.Tensor, t: int | None) -> torch.Tensor:
        inputs, labels = self._batch(t)
        logits = self._logits(x, inputs)
        target = labels.expand(logits.shape[:2])
        nll = -torch.log_softmax(logits, -1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
        return nll.mean(-1) + self.weight_decay / 2 * (x * x).sum(-1)

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self._loss(x, t)

    def loss_and_grad(self, x: torch.Tensor, t: int | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            leaf = x.detach().requires_grad_(True)
            value = self._loss(leaf, t)
            (grad,) = torch.autograd.grad(value.sum(), leaf)
        return value.detach(), grad

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self.loss_and_grad(x, t)[1]

    def accuracy(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            predicted = self._logits(x, self.features).argmax(-1)
            return (predicted == self.labels).to(x.dtype).mean(-1)

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        parts = []
        for shape in self.shapes:
            if len(shape) == 2:
                bound = 1.0 / math.sqrt(shape[1])
                parts.append((2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1)
                             * bound)
            else:
                parts.append(torch.zeros(shape, dtype=torch.float64))
        return torch.cat([p.reshape(-1) for p in parts])
