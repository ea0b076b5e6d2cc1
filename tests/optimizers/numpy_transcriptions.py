"""Plain NumPy transcriptions of every update rule, written from the specification
(the project spec ../shared/docs/algorithms.md, sections 1-4, and the documented constructor
signatures and state names for the analysis options), NOT from the implementation.

Each rule is a class with the state named as in the contract and ``step(params, grads, loss)``
that updates the list of float64 arrays ``params`` in place. The loss is only read by DWMGrad.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Arrays = list[np.ndarray]


def _zeros(params: Sequence[np.ndarray]) -> Arrays:
    return [np.zeros_like(p) for p in params]


def _global_norm(arrays: Sequence[np.ndarray]) -> float:
    return math.sqrt(sum(float(np.sum(x * x)) for x in arrays))


def demon_beta(k: int, total_steps: int, beta_init: float) -> float:
    """Spec §3: β = β0 (1 - k/T) / ((1 - β0) + β0 (1 - k/T)), with 1 - k/T clipped at 0."""
    frac = max(1.0 - k / total_steps, 0.0)
    return beta_init * frac / ((1.0 - beta_init) + beta_init * frac)


class DWMGradRule:
    """Spec §1, plus the contract's analysis options lr_schedule, momentum_decay and
    max_second_moment."""

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, momentum: float = 0.9,
                 eps: float = 1e-8, init_window: int = 5, max_window: int = 10,
                 window_rule: str = "loss", lr_schedule: str = "constant",
                 momentum_decay: float = 1.0, max_second_moment: bool = False) -> None:
        self.lr, self.gamma, self.eps, self.delta = lr, momentum, eps, max_window
        self.rule, self.schedule, self.lam = window_rule, lr_schedule, momentum_decay
        self.amsgrad = max_second_moment
        self.window = float(init_window)
        self.prev_loss: float | None = None
        self.t = 0
        self.s, self.v = _zeros(params), _zeros(params)
        self.s_hat = _zeros(params)

    def _signal(self, loss: float) -> float:
        if self.rule == "loss":
            return loss
        if self.prev_loss is None:  # b_1 = 0
            return 0.0
        if self.rule == "loss_decrease":
            return self.prev_loss - loss
        return loss - self.prev_loss

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        self.t += 1
        b = self._signal(loss)
        self.prev_loss = loss
        if b > 0:
            self.window = min(self.window + 1, self.delta)
        else:
            self.window = max(self.window - 1, 1)
        w = self.window
        alpha = self.lr if self.schedule == "constant" else self.lr / math.sqrt(self.t)
        mu = self.gamma * (w / self.delta) * self.lam ** (self.t - 1)
        self.momentum_now = mu
        for i, g in enumerate(grads):
            self.s[i] = self.s[i] * (w - 1) / w + g * g / w
            self.s_hat[i] = np.maximum(self.s_hat[i], self.s[i])
            denom = self.s_hat[i] if self.amsgrad else self.s[i]
            self.v[i] = mu * self.v[i] + alpha * g / (np.sqrt(denom) + self.eps)
            params[i] -= self.v[i]


class AdaBeliefRule:
    """Spec §4, AdaBelief: ε added to the state every step and once more outside the sqrt."""

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-16) -> None:
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.t = 0
        self.m, self.s = _zeros(params), _zeros(params)

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for i, g in enumerate(grads):
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.s[i] = self.b2 * self.s[i] + (1 - self.b2) * (g - self.m[i]) ** 2 + self.eps
            params[i] -= (self.lr / bc1) * self.m[i] / (np.sqrt(self.s[i]) / math.sqrt(bc2)
                                                         + self.eps)


class AidaRule:
    """Spec §4, Aida: K simultaneous projections per tensor, ε in the state, no outer ε."""

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, k: int = 2,
                 xi: float = 1e-20) -> None:
        self.lr, (self.b1, self.b2), self.eps, self.k, self.xi = lr, betas, eps, k, xi
        self.t = 0
        self.m, self.s = _zeros(params), _zeros(params)

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for i, g in enumerate(grads):
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            a, b = g.copy(), self.m[i].copy()
            for _ in range(self.k):
                c = np.sum(a * b)
                a, b = a * c / (np.sum(a * a) + self.xi), b * c / (np.sum(b * b) + self.xi)
            r = b - a
            self.s[i] = self.b2 * self.s[i] + (1 - self.b2) * r * r + self.eps
            params[i] -= (self.lr / bc1) * self.m[i] / (np.sqrt(self.s[i]) / math.sqrt(bc2))


class DemonSGDRule:
    """Spec §3 Demon SGDM: β = demon(k, T) with k steps already taken; v ← βv - ηg; θ ← θ + v."""

    def __init__(self, params: Sequence[np.ndarray], lr: float, total_steps: int,
                 momentum: float = 0.9) -> None:
        self.lr, self.total, self.b0 = lr, total_steps, momentum
        self.k = 0
        self.v = _zeros(params)

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        beta = demon_beta(self.k, self.total, self.b0)
        self.k += 1
        for i, g in enumerate(grads):
            self.v[i] = beta * self.v[i] - self.lr * g
            params[i] += self.v[i]


class DemonAdamRule:
    """Spec §3 Demon Adam: m ← g + βm (no (1-β)), v̂ = v/(1-β2^t), no m bias correction."""

    def __init__(self, params: Sequence[np.ndarray], total_steps: int, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.lr, (self.b1, self.b2), self.eps, self.total = lr, betas, eps, total_steps
        self.k = 0
        self.m, self.v = _zeros(params), _zeros(params)

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        beta = demon_beta(self.k, self.total, self.b1)
        self.k += 1
        for i, g in enumerate(grads):
            self.m[i] = g + beta * self.m[i]
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            v_hat = self.v[i] / (1 - self.b2 ** self.k)
            params[i] -= self.lr * self.m[i] / (np.sqrt(v_hat) + self.eps)


def secant_momentum(lr: float, grads: Sequence[np.ndarray], g_prev: Sequence[np.ndarray],
                    displacement: Sequence[np.ndarray], max_momentum: float) -> float:
    """Spec §2: β = clip((1 - sqrt(α h))², 0, β_max), h = ‖g - g_prev‖ / (‖Δx‖ + 1e-6),
    norms over all parameters."""
    change = _global_norm([g - q for g, q in zip(grads, g_prev, strict=True)])
    h = change / (_global_norm(displacement) + 1e-6)
    return min(max((1 - math.sqrt(lr * h)) ** 2, 0.0), max_momentum)


class AdaptiveHBRule:
    """Spec §2 heavy ball, velocity form: v ← βv - αg; θ ← θ + v; β_1 = 0."""

    def __init__(self, params: Sequence[np.ndarray], lr: float, max_momentum: float = 0.99) -> None:
        self.lr, self.max_momentum = lr, max_momentum
        self.t = 0
        self.v, self.g_prev = _zeros(params), _zeros(params)
        self.momentum_now = 0.0

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        self.t += 1
        beta = 0.0 if self.t == 1 else secant_momentum(
            self.lr, grads, self.g_prev, self.v, self.max_momentum)
        self.momentum_now = beta
        for i, g in enumerate(grads):
            self.v[i] = beta * self.v[i] - self.lr * g
            params[i] += self.v[i]
            self.g_prev[i] = g.copy()


class AdamAHBRule:
    """Spec §2 / contract: Adam with β1 = β_k from the secant rule, β_1 = 0, v̂ = v/(1-β2^t)."""

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, beta2: float = 0.999,
                 eps: float = 1e-8, max_momentum: float = 0.99) -> None:
        self.lr, self.b2, self.eps, self.max_momentum = lr, beta2, eps, max_momentum
        self.t = 0
        self.m, self.v = _zeros(params), _zeros(params)
        self.g_prev, self.d = _zeros(params), _zeros(params)

    def step(self, params: Arrays, grads: Sequence[np.ndarray], loss: float) -> None:
        self.t += 1
        beta = 0.0 if self.t == 1 else secant_momentum(
            self.lr, grads, self.g_prev, self.d, self.max_momentum)
        for i, g in enumerate(grads):
            self.m[i] = beta * self.m[i] + (1 - beta) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            update = self.lr * self.m[i] / (np.sqrt(self.v[i] / (1 - self.b2 ** self.t)) + self.eps)
            params[i] -= update
            self.d[i] = -update
            self.g_prev[i] = g.copy()


RULES = {
    "DWMGrad": DWMGradRule,
    "AdaBelief": AdaBeliefRule,
    "Aida": AidaRule,
    "DemonSGD": DemonSGDRule,
    "DemonAdam": DemonAdamRule,
    "AdaptiveHB": AdaptiveHBRule,
    "AdamAHB": AdamAHBRule,
}

# State key -> attribute of the transcription, per optimizer, for the per-parameter state the
# contract names (compared element by element).
STATE_KEYS: dict[str, dict[str, str]] = {
    "DWMGrad": {"s": "s", "v": "v"},
    "AdaBelief": {"m": "m", "s": "s"},
    "Aida": {"m": "m", "s": "s"},
    "DemonSGD": {"v": "v"},
    "DemonAdam": {"m": "m", "v": "v"},
    "AdaptiveHB": {"v": "v", "g_prev": "g_prev"},
    "AdamAHB": {"m": "m", "v": "v", "g_prev": "g_prev", "d": "d"},
}
