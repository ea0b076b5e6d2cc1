r"""Every step of the constant-momentum DWMGrad regret derivation
(:mod:`theory.dwmgrad_constant_momentum`), checked.

Symbolic steps compare with the registered expressions of the theory module (never copies);
steps sympy cannot state as one expression (sums of variable length, Abel summation) are
checked on >= 1000 seeded random instances. Trajectory steps (``<step>-run``) run the real
:class:`dwmgrad.DWMGrad` with ``momentum_decay = 1`` through the experiments' runner
(:mod:`proofs_check.dwmgrad_trajectories`) on :data:`RUNS` and check the per-step inequalities
at every step and coordinate, and every term of the bound at every horizon with the run's own
S_t, N_t and K_t. ``gap_shrinking_window`` exhibits an instance where C8 without the window's
decrements K_T fails.

Variables and domains: every symbol carries its sign assumption (positive, nonnegative or
real); gamma in (0, 1) is written 1/(1 + c) with c > 0 (:func:`_unit`); t >= 1 and t >= 2 are
written 1 + tau and 2 + tau with tau >= 0, so a numeric falsifier can fill the domains from the
assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

import numpy as np
import sympy as sp

import theory.dwmgrad_constant_momentum as cm
from proofs_check.core import (
    Head,
    ProofStep,
    StepResult,
    TrajectorySpec,
    check_inequality,
    check_numeric,
    check_recorded_step,
    check_trajectory,
    combine,
    registrar,
    relative_slack,
)
from proofs_check.dwmgrad_regret import _l10_sampler, _l10_slack
from proofs_check.dwmgrad_trajectories import RunConfig, Trajectory, record_run
from proofs_check.falsify import Domain, Var

PROOF = "dwmgrad_constant_momentum"
TRAJECTORY_TOL = 1e-9

STEPS: list[ProofStep] = []
step = registrar(STEPS)

_c_gamma = sp.Symbol("c_gamma", positive=True)


def _unit(expr: sp.Expr) -> sp.Expr:
    """``expr`` with gamma = 1/(1 + c_gamma), c_gamma > 0 (so 0 < gamma < 1 is an assumption)."""
    return sp.simplify(sp.sympify(expr).subs(cm.gamma, 1 / (1 + _c_gamma)))


#: Where the steps claim to hold (symbols not listed get defaults from their sign assumptions).
DOMAIN = Domain((
    Var(cm.T, 1, 1e6, integer=True), Var(cm.t, 1, 1e6, integer=True),
    Var(cm.d, 1, 1e4, integer=True), Var(cm.D_inf, 1e-3, 1e3), Var(cm.G_inf, 1e-3, 1e3),
    Var(cm.alpha, 1e-6, 1e2), Var(cm.gamma, 0.0, 1.0, "gap"), Var(cm.epsilon, 1e-12, 1.0),
    Var(cm.delta, 1.0, 1e4), Var(cm.N, 1e-3, 1e2), Var(cm.K, 0.0, 1e6, "linear"),
    Var(cm.S, 1e-6, 1e6), Var(cm.sigma, 1e-6, 1e3), Var(_c_gamma, 1e-6, 1e6),
))


def _check(head: Head, lhs: sp.Expr, rhs: sp.Expr, relation: Literal["==", "<="], *,
           squares: bool = False) -> StepResult:
    """sympy first, numeric falsification over :data:`DOMAIN` when sympy cannot decide."""
    return check_inequality(*head, lhs, rhs, relation, DOMAIN, squares=squares)


def _nonneg(names: str) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(name, nonnegative=True) for name in names.split())


# --- symbolic and random-instance steps --------------------------------------------------------
@step(PROOF, "1/eta_t = sqrt(t)(sqrt(s^_t)+eps)/alpha <= sqrt(t) sigma/alpha (s^ nondecreasing)")
def C2(head: Head) -> StepResult:
    (r,) = _nonneg("r")
    # sqrt(s^_t) + eps <= sqrt(s^_T) + eps = sigma: written sigma/(1 + r), r >= 0.
    return _check(head, sp.sqrt(cm.t) * cm.sigma / ((1 + r) * cm.alpha),
                          cm.INV_STEP_BOUND, "<=")


def _c3_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"gamma": rng.uniform(0.0, 0.999, n), "t": rng.integers(1, 3001, n).astype(float),
            "N": rng.uniform(0.01, 5.0, n)}


@cache
def _numeric(expr: sp.Expr, *args: sp.Symbol) -> Callable[..., np.ndarray]:
    return sp.lambdify(list(args), expr, "numpy")


def _c3_slack(gamma: np.ndarray, t: np.ndarray, N: np.ndarray) -> np.ndarray:
    bound = _numeric(cm.VELOCITY_BOUND, cm.t, cm.alpha, cm.gamma, cm.N)
    out = np.empty_like(gamma)
    for i, (g, steps, norm) in enumerate(zip(gamma, t, N, strict=True)):
        k = np.arange(1, int(steps) + 1)
        lhs = np.sum(g ** (steps - k) * norm / np.sqrt(k))            # alpha = 1
        out[i] = relative_slack(lhs, bound(steps, 1.0, g, norm))
    return out


@step(PROOF, "|v_t| <= sum_k gamma^(t-k) alpha N/sqrt(k) <= alpha N/((1-gamma)^(3/2) sqrt(t))")
def C3(head: Head) -> StepResult:
    return check_numeric(*head, _c3_slack, _c3_sampler, n=1000, seed=3)


_x, _xp, _xs, _vp, _mu, _g = sp.symbols("x x_prev x_star v_prev mu g", real=True)
_eta = sp.Symbol("eta", positive=True)


@step(PROOF, "g_t e_t = [v_t e_t - mu_t v_{t-1} e_{t-1}]/eta_t + mu_t v_{t-1}(x_{t-1}-x_t)/eta_t")
def C4(head: Head) -> StepResult:
    v = _mu * _vp + _eta * _g
    e, e_prev = _x - _xs, _xp - _xs
    return _check(head, _g * e,
                          (v * e - _mu * _vp * e_prev) / _eta + _mu * _vp * (_xp - _x) / _eta,
                          "==")


@step(PROOF, "clamping from inside the box: x_{t-1} - x_t = theta v_{t-1}, theta in [0, 1], so "
      "mu_t v_{t-1}(x_{t-1}-x_t)/eta_t <= mu_t v_{t-1}^2/eta_t")
def C5(head: Head) -> StepResult:
    z, m, lo, hi = sp.symbols("z m lo hi", nonnegative=True)
    a, b = _nonneg("a b")
    theta = 1 / (1 + z)                               # (0, 1]; theta = 0 gives 0 <= mu v^2/eta
    return combine(*head, [
        _check(head, m * _vp * theta * _vp / _eta, m * _vp**2 / _eta, "<="),
        _check(head, sp.Integer(0), m * _vp**2 / _eta, "<="),
        # clamp(x - v) - x for x in [lo, hi]: beyond hi the move is hi - x = a in [0, -v].
        _check(head, a, a + b, "<="),
    ])


def _c6_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    horizon = 40
    return {"T": rng.integers(1, horizon + 1, n).astype(float),
            "a": rng.normal(0.0, 1.0, (n, horizon)),
            "mu": rng.uniform(0.0, 1.0, (n, horizon + 1)),
            "inv": np.cumsum(rng.exponential(1.0, (n, horizon)), axis=1)}


def _c6_slack(T: np.ndarray, a: np.ndarray, mu: np.ndarray, inv: np.ndarray) -> np.ndarray:
    out = np.empty(T.size)
    for i, horizon in enumerate(T.astype(int)):
        ai, mui, Ii = a[i, :horizon], mu[i, :horizon + 1].copy(), inv[i, :horizon]
        mui[horizon] = 0.0                                    # mu_{T+1} := 0
        a_prev = np.concatenate([[0.0], ai[:-1]])             # a_0 = v_0 e_0 = 0
        lhs = np.sum((ai - mui[:horizon] * a_prev) * Ii)
        I_next = np.concatenate([Ii[1:], [0.0]])
        weights = (1 - mui[1:]) * Ii - mui[1:] * (I_next - Ii)
        rhs = np.sum(ai * weights)
        out[i] = -abs(float(relative_slack(lhs, rhs)))
    return out


@step(PROOF, "sum_t [a_t - mu_t a_{t-1}]/eta_t = sum_t a_t [(1-mu_{t+1})/eta_t - mu_{t+1}"
      "(1/eta_{t+1} - 1/eta_t)], a_0 = 0, mu_{T+1} = 0")
def C6(head: Head) -> StepResult:
    return check_numeric(*head, _c6_slack, _c6_sampler, n=1000, seed=6)


@step(PROOF, "v_t e_t <= (e_t^2 - e_{t+1}^2)/2 + v_t^2/2 (e_{t+1}^2 = (e_t - v_t)^2 - h, h >= 0)")
def C7(head: Head) -> StepResult:
    e, v = sp.symbols("e v", real=True)
    (h,) = _nonneg("h")
    return _check(head, v * e, (e**2 - ((e - v) ** 2 - h)) / 2 + v**2 / 2, "<=")


def _c8_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    horizon = 60
    delta = rng.integers(1, 21, n).astype(float)
    steps = rng.choice([-1.0, 1.0], (n, horizon + 1))
    window = np.clip(np.round(rng.uniform(1, delta)[:, None] + np.cumsum(steps, axis=1)), 1.0,
                     delta[:, None])
    return {"T": rng.integers(1, horizon + 1, n).astype(float), "delta": delta,
            "gamma": rng.uniform(0.0, 0.999, n), "D": rng.uniform(0.1, 3.0, n),
            "window": window,
            "inv": np.cumsum(rng.exponential(1.0, (n, horizon)) * (rng.random((n, horizon))
                                                                  < 0.7), axis=1) + 0.01,
            "dist": rng.uniform(0.0, 1.0, (n, horizon + 1))}


def _distance_sum(mu: np.ndarray, inv: np.ndarray, dist_sq: np.ndarray) -> float:
    """sum_{t<=T} rho_t (d_t - d_{t+1})/2 with rho_t = (1-mu_{t+1}) I_t, rho_T = I_T."""
    return float(np.sum(_weights(mu, inv) * (dist_sq[:-1] - dist_sq[1:])) / 2)


def _weights(mu: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """rho_t = (1 - mu_{t+1}) I_t for t < T and rho_T = I_T."""
    return (1 - np.concatenate([mu[1:len(inv)], [0.0]])) * inv


def _worst_distances(mu: np.ndarray, inv: np.ndarray, D: float) -> np.ndarray:
    """d_1..d_{T+1} in [0, D^2] maximising sum_t rho_t (d_t - d_{t+1}): D^2 at t = 1 and where
    rho_t > rho_{t-1}, else 0 (d_{T+1} = 0)."""
    rho = _weights(mu, inv)
    rises = np.concatenate([[True], rho[1:] > rho[:-1]])
    return np.concatenate([np.where(rises, D**2, 0.0), [0.0]])


def _c8_slack(T: np.ndarray, delta: np.ndarray, gamma: np.ndarray, D: np.ndarray,
              window: np.ndarray, inv: np.ndarray, dist: np.ndarray) -> np.ndarray:
    factor = _numeric(cm.DISTANCE_FACTOR, cm.gamma, cm.K, cm.delta)
    out = np.empty(T.size)
    for i, horizon in enumerate(T.astype(int)):
        w = window[i, :horizon]
        mu = gamma[i] * w / delta[i]
        # The drawn distances and the worst ones for these weights (D^2 where rho rises).
        lhs = max(_distance_sum(mu, inv[i, :horizon], dist[i, :horizon + 1] * D[i] ** 2),
                  _distance_sum(mu, inv[i, :horizon], _worst_distances(mu, inv[i, :horizon],
                                                                       D[i])))
        K = cm.window_decrements(w)
        rhs = D[i] ** 2 / 2 * factor(gamma[i], K, delta[i]) * inv[i, horizon - 1]
        out[i] = relative_slack(lhs, rhs)
    return out


@step(PROOF, "sum_t rho_t (d_t - d_{t+1})/2 <= D^2 (1 + gamma + gamma K_T/delta)/(2 eta_T) "
      "<= DISTANCE_TERM")
def C8(head: Head) -> StepResult:
    (r,) = _nonneg("r")
    inv_T = cm.INV_STEP_BOUND.subs(cm.t, cm.T) / (1 + r)           # C2 at T
    return combine(*head, [
        check_numeric(*head, _c8_slack, _c8_sampler, n=1000, seed=8),
        _check(head, cm.D_inf**2 * cm.DISTANCE_FACTOR * inv_T / 2, cm.DISTANCE_TERM,
                       "<="),
    ])


def _with_t(expr: sp.Expr, start: int) -> tuple[sp.Expr, sp.Symbol]:
    tau = sp.Symbol("tau", nonnegative=True)
    return _unit(sp.sympify(expr).subs(cm.t, start + tau)), tau


@step(PROOF, "v_t^2/(2 eta_t) <= VB_t^2 IB_t/2 = STEP_TERM_STEP, summed <= STEP_TERM")
def C9(head: Head) -> StepResult:
    z1, z2 = _nonneg("z1 z2")
    vb, ib = cm.VELOCITY_BOUND, cm.INV_STEP_BOUND
    return combine(*head, [
        _check(head, _unit((vb / (1 + z1)) ** 2 * ib / (2 * (1 + z2))),
                       _unit(vb**2 * ib / 2), "<="),
        _check(head, _unit(vb**2 * ib / 2), _unit(cm.STEP_TERM_STEP), "=="),
        check_numeric(*head, _l10_slack, _l10_sampler, n=1000, seed=9),
        _check(head, cm.STEP_TERM,
                       cm.STEP_TERM_STEP * sp.sqrt(cm.t) * (2 * sp.sqrt(cm.T) - 1), "=="),
    ])


def _shifted_sqrt_sum_slack(T: np.ndarray) -> np.ndarray:
    """sum_{t=2}^T 1/sqrt(t-1) = sum_{j<=T-1} 1/sqrt(j) <= 2 sqrt(T) - 1 (T >= 2)."""
    shorter = np.maximum(T - 1, 1)
    return np.minimum(_l10_slack(shorter),
                      relative_slack(2 * np.sqrt(shorter) - 1, 2 * np.sqrt(T) - 1))


@step(PROOF, "mu_t v_{t-1}^2/eta_t <= gamma VB_{t-1}^2 IB_t <= DISPLACEMENT_TERM_STEP (t >= 2), "
      "summed <= DISPLACEMENT_TERM")
def C10(head: Head) -> StepResult:
    vb, ib = cm.VELOCITY_BOUND, cm.INV_STEP_BOUND
    lhs, _ = _with_t(cm.gamma * vb.subs(cm.t, cm.t - 1) ** 2 * ib, 2)
    rhs, _ = _with_t(cm.DISPLACEMENT_TERM_STEP, 2)
    return combine(*head, [
        _check(head, lhs, rhs, "<=", squares=True),
        check_numeric(*head, _shifted_sqrt_sum_slack, _l10_sampler, n=1000, seed=10),
        _check(head, cm.DISPLACEMENT_TERM, cm.DISPLACEMENT_TERM_STEP
                       * sp.sqrt(cm.t - 1) * (2 * sp.sqrt(cm.T) - 1), "=="),
    ])


def _c11_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    horizon = 200
    t = np.arange(1, horizon + 1)
    raw = np.maximum.accumulate(rng.uniform(0.0, 1.0, (n, horizon)) ** 3, axis=1)
    return {"T": rng.integers(1, horizon + 1, n).astype(float),
            "inv": raw * np.sqrt(t)[None, :] / raw[:, -1:].clip(1e-12)}


def _c11_slack(T: np.ndarray, inv: np.ndarray) -> np.ndarray:
    # B = c = 1: I_t <= sqrt(t) nondecreasing (the samples are scaled so), V_t = 1/sqrt(t).
    inv = np.maximum.accumulate(np.minimum(inv, np.sqrt(np.arange(1, inv.shape[1] + 1))), axis=1)
    log_part = _numeric(cm.PRECONDITIONER_LOG, cm.T)
    out = np.empty(T.size)
    for i, horizon in enumerate(T.astype(int)):
        Ii = inv[i, :horizon]
        V = 1 / np.sqrt(np.arange(1, horizon))
        out[i] = relative_slack(np.sum((Ii[1:] - Ii[:-1]) * V), log_part(float(horizon)))
    return out


@step(PROOF, "D sum_{t<T} mu_{t+1}(I_{t+1}-I_t)|v_t| <= gamma D (sigma/alpha)(alpha N "
      "(1-gamma)^(-3/2)) (sqrt(2) + (1+ln T)/2) = PRECONDITIONER_TERM")
def C11(head: Head) -> StepResult:
    tau = sp.Symbol("tau", nonnegative=True)
    t = 2 + tau
    return combine(*head, [
        check_numeric(*head, _c11_slack, _c11_sampler, n=1000, seed=11),
        _check(head, sp.sqrt(t / (t - 1)), 1 + 1 / (2 * (t - 1)), "<=", squares=True),
        _check(head, _unit(cm.gamma * cm.D_inf * cm.INV_STEP_BOUND / sp.sqrt(cm.t)
                                    * cm.VELOCITY_BOUND * sp.sqrt(cm.t)
                                    * cm.PRECONDITIONER_LOG),
                       _unit(cm.PRECONDITIONER_TERM), "=="),
    ])


@step(PROOF, "R_T <= sum_i sigma_i [C8 + C9 + C10 + C11 terms]/sigma <= S_T (...) = "
      "REGRET_DATA_EXPR")
def theorem(head: Head) -> StepResult:
    terms = cm.DISTANCE_TERM + cm.STEP_TERM + cm.DISPLACEMENT_TERM + cm.PRECONDITIONER_TERM
    return _check(head, cm.S * terms / cm.sigma, cm.REGRET_DATA_EXPR, "==")


@step(PROOF, "REGRET_DATA_EXPR = S_T (A + B N + C N^2) with A, B, C >= 0, so it grows with S_T and "
      "N, and at S_T = d (G + eps), N = sqrt(delta) it is REGRET_EXPR")
def worst_case(head: Head) -> StepResult:
    per_scale = sp.expand(cm.REGRET_DATA_EXPR / cm.S)
    root_T = sp.Symbol("r", nonnegative=True)                 # T = (1 + r)^2 >= 1
    coefficients = [c.subs(cm.T, (1 + root_T) ** 2)
                    for c in sp.Poly(per_scale, cm.N).all_coeffs()]
    return combine(*head, [
        _check(head, per_scale, sp.expand(per_scale.subs(cm.S, 2 * cm.S)), "=="),
        *(_check(head, sp.Integer(0), _unit(c), "<=") for c in coefficients),
        _check(head, cm.REGRET_DATA_EXPR.subs(cm.WORST_CASE), cm.REGRET_EXPR, "=="),
    ])


@step(PROOF, "lim bound/sqrt(T) = RATE_CONSTANT > 0 and lim bound/T = 0 (K fixed)")
def rate(head: Head) -> StepResult:
    by_sqrt = sp.limit(_unit(cm.REGRET_DATA_EXPR / sp.sqrt(cm.T)), cm.T, sp.oo)
    by_t = sp.limit(_unit(cm.REGRET_DATA_EXPR / cm.T), cm.T, sp.oo)
    return combine(*head, [
        _check(head, by_sqrt, _unit(cm.RATE_CONSTANT), "=="),
        _check(head, sp.Integer(0), _unit(cm.RATE_CONSTANT), "<="),
        _check(head, by_t, sp.Integer(0), "=="),
    ])


# --- recorded runs --------------------------------------------------------------------------
#: Constant-momentum runs (momentum_decay = 1): a linear game and a least-squares game whose
#: windows shrink (K_T > 0), and the adversarial block game on which the bound is tightest.
RUNS: tuple[RunConfig, ...] = (
    RunConfig("cm:linear/loss", "online_linear", {"d": 5, "bias": 0.3}, 1, 2000, lr=0.05,
              momentum=0.9, max_window=10, init_window=5, window_rule="loss",
              momentum_decay=1.0),
    RunConfig("cm:least_squares/loss_increase", "online_least_squares", {"d": 5}, 2, 2000,
              lr=0.1, momentum=0.5, max_window=4, init_window=2, window_rule="loss_increase",
              momentum_decay=1.0),
    RunConfig("cm:block_sign/loss_decrease", "online_block_sign", {"half_period": 13}, 0, 2000,
              lr=1.2, momentum=0.5, max_window=4, init_window=1, window_rule="loss_decrease",
              momentum_decay=1.0),
)


@cache
def recorded_runs() -> tuple[Trajectory, ...]:
    return tuple(record_run(config) for config in RUNS)


def horizon_statistics(run: Trajectory) -> dict[str, np.ndarray]:
    """S_t, N_t and K_t of ``run`` at every horizon t (the data symbols of the bound)."""
    eps = run.config.eps
    root = np.sqrt(run.s_hat)
    drops = np.concatenate([[0.0, 0.0], np.maximum(run.window[1:-1] - run.window[2:], 0.0)])
    return {"S_T": np.sum(root + eps, axis=1),
            "N": np.maximum.accumulate(np.max(np.abs(run.g) / (root + eps), axis=1)),
            "K": np.cumsum(drops)[:run.t.size]}


def closed_terms(run: Trajectory) -> np.ndarray:
    """The four terms of REGRET_DATA_BOUND (C8, C9, C10, C11) at every horizon, (T, 4)."""
    cfg, stats = run.config, horizon_statistics(run)
    args = {"T": run.t, "alpha": cfg.lr, "gamma": cfg.momentum, "delta": float(cfg.max_window),
            "D_inf": run.problem.D_inf, "N": stats["N"], "K": stats["K"]}
    per_scale = [term.subs(cm.t, cm.T) / cm.sigma for term in (
        cm.DISTANCE_TERM, cm.STEP_TERM, cm.DISPLACEMENT_TERM, cm.PRECONDITIONER_TERM)]
    symbols = (cm.T, cm.alpha, cm.gamma, cm.delta, cm.D_inf, cm.N, cm.K)
    columns = [np.broadcast_to(_numeric(sp.sympify(e), *symbols)(
        *(args[str(s)] for s in symbols)), run.t.shape) for e in per_scale]
    return np.stack(columns, axis=1) * stats["S_T"][:, None]


def _per_round(runs: tuple[Trajectory, ...]) -> dict[str, np.ndarray]:
    cols: dict[str, list[np.ndarray]] = {}
    for index, run in enumerate(runs):
        assert run.regret is not None
        stats = horizon_statistics(run)
        data = cm.data_terms(run.eta, run.v, run.mu, run.problem.D_inf)
        closed = closed_terms(run)
        cfg = run.config
        bound = cm.REGRET_DATA_BOUND.evaluate(
            T=run.t, alpha=cfg.lr, gamma=cfg.momentum, delta=float(cfg.max_window),
            D_inf=run.problem.D_inf, d=run.x.shape[1], G_inf=run.problem.G_inf, **stats)
        fields = {"run": np.full(run.t.size, float(index)), "t": run.t, "regret": run.regret,
                  "data_bound": data.sum(axis=1), "bound": bound,
                  **{f"data_{i}": data[:, i] for i in range(4)},
                  **{f"closed_{i}": closed[:, i] for i in range(4)}}
        for k, v in fields.items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=float))
    return {k: np.concatenate(v) for k, v in cols.items()}


def _per_coordinate(runs: tuple[Trajectory, ...]) -> dict[str, np.ndarray]:
    cols: dict[str, list[np.ndarray]] = {}
    for index, run in enumerate(runs):
        T, d = run.x.shape
        cfg, p = run.config, run.problem
        lo, hi = p.bounds()
        stats = horizon_statistics(run)
        sigma_T = np.sqrt(run.s_hat[-1]) + cfg.eps
        zero = np.zeros((1, d))
        fields = {
            "t": np.broadcast_to(run.t[:, None], (T, d)), "x": run.x, "x_next": run.x_next,
            "g": run.g, "s": run.s, "s_hat": run.s_hat, "v": run.v, "eta": run.eta,
            "v_prev": np.vstack([zero, run.v[:-1]]), "s_prev": np.vstack([zero, run.s[:-1]]),
            "s_hat_prev": np.vstack([zero, run.s_hat[:-1]]),
            "x_prev": np.vstack([run.x[:1], run.x[:-1]]),
            "window": np.broadcast_to(run.window[:, None], (T, d)),
            "mu": np.broadcast_to(run.mu[:, None], (T, d)),
            "sigma": np.broadcast_to(sigma_T, (T, d)),
            "N": np.full((T, d), stats["N"][-1]), "run": np.full((T, d), float(index)),
            "alpha": np.full((T, d), cfg.lr), "gamma": np.full((T, d), cfg.momentum),
            "delta": np.full((T, d), float(cfg.max_window)), "lo": np.full((T, d), lo),
            "hi": np.full((T, d), hi),
        }
        for k, v in fields.items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=float).ravel())
    return {k: np.concatenate(v) for k, v in cols.items()}


def _model_slack(**r: np.ndarray) -> np.ndarray:
    w = r["window"]
    residuals = [
        relative_slack(r["s_prev"] * (w - 1) / w + r["g"] ** 2 / w, r["s"]),
        relative_slack(np.maximum(r["s_hat_prev"], r["s"]), r["s_hat"]),
        relative_slack(r["gamma"] * w / r["delta"], r["mu"]),          # no decay
        relative_slack(r["mu"] * r["v_prev"] + r["eta"] * r["g"], r["v"]),
        relative_slack(np.clip(r["x"] - r["v"], r["lo"], r["hi"]), r["x_next"]),
        np.where((w >= 1) & (w <= r["delta"]), 0.0, -1.0),
    ]
    return -np.max(np.abs(residuals), axis=0)


def _c2_slack(**r: np.ndarray) -> np.ndarray:
    bound = _numeric(cm.INV_STEP_BOUND, cm.t, cm.sigma, cm.alpha)(r["t"], r["sigma"], r["alpha"])
    return relative_slack(1 / r["eta"], bound)


def _c3_run_slack(**r: np.ndarray) -> np.ndarray:
    bound = _numeric(cm.VELOCITY_BOUND, cm.t, cm.alpha, cm.gamma, cm.N)(
        r["t"], r["alpha"], r["gamma"], r["N"])
    return relative_slack(np.abs(r["v"]), bound)


def _c5_slack(**r: np.ndarray) -> np.ndarray:
    lhs = r["mu"] * r["v_prev"] * (r["x_prev"] - r["x"]) / r["eta"]
    return relative_slack(lhs, r["mu"] * r["v_prev"] ** 2 / r["eta"])


def _term_slack(i: int) -> Callable[..., np.ndarray]:
    return lambda **r: relative_slack(r[f"data_{i}"], r[f"closed_{i}"])


def _theorem_slack(**r: np.ndarray) -> np.ndarray:
    return np.minimum(relative_slack(r["regret"], r["data_bound"]),
                      relative_slack(r["data_bound"], r["bound"]))


TRAJECTORY_STEPS: tuple[TrajectorySpec, ...] = (
    ("model-run", "the recorded run obeys the constant-momentum updates (mu_t = gamma "
     "omega_t/delta, no decay) and 1 <= omega_t <= delta", _model_slack, True),
    ("C2-run", "1/eta_t <= sqrt(t) (sqrt(s^_T)+eps)/alpha at every step", _c2_slack, True),
    ("C3-run", "|v_t| <= alpha N/((1-gamma)^(3/2) sqrt(t)) at every step (N of the run)",
     _c3_run_slack, True),
    ("C5-run", "mu_t v_{t-1}(x_{t-1}-x_t)/eta_t <= mu_t v_{t-1}^2/eta_t at every step",
     _c5_slack, True),
    ("C8-run", "the run's Abel distance term <= DISTANCE_TERM (S_t, K_t of the run) at every t",
     _term_slack(0), False),
    ("C9-run", "sum_k v_k^2/(2 eta_k) <= STEP_TERM at every t", _term_slack(1), False),
    ("C10-run", "sum_k mu_k v_{k-1}^2/eta_k <= DISPLACEMENT_TERM at every t", _term_slack(2),
     False),
    ("C11-run", "D sum_k mu_{k+1}(1/eta_{k+1}-1/eta_k)|v_k| <= PRECONDITIONER_TERM at every t",
     _term_slack(3), False),
    ("theorem-run", "R_t <= data-dependent bound_t <= REGRET_DATA_BOUND(t, S_t, N_t, K_t) at "
     "every t", _theorem_slack, False),
)


def trajectory_step(name: str) -> StepResult:
    """Check one trajectory step on :func:`recorded_runs` (relative slack, tol 1e-9)."""
    return check_recorded_step(
        PROOF, TRAJECTORY_STEPS, name,
        lambda by_coordinate: (_per_coordinate if by_coordinate else _per_round)(recorded_runs()),
        TRAJECTORY_TOL)


def _trajectory(name: str) -> Callable[[], StepResult]:
    return lambda: trajectory_step(name)


STEPS.extend(ProofStep(PROOF, name, statement, _trajectory(name))
             for name, statement, _, _ in TRAJECTORY_STEPS)


# --- what the bound does not cover -------------------------------------------------------------
def shrinking_window_excess(gamma: float = 0.9, delta: float = 10.0, horizon: int = 1000,
                            D: float = 2.0) -> tuple[float, float, float]:
    """The instance of ``theory.dwmgrad_constant_momentum.WINDOW_GAP``: (telescoped sum,
    the K-free bound D^2 (1+gamma)/(2 eta_T), the bound with K_T)."""
    t = np.arange(1, horizon + 1, dtype=float)
    inv = np.sqrt(t)
    window = np.where(t % 2 == 1, delta, delta - 1)
    mu = gamma * window / delta
    lhs = _distance_sum(mu, inv, _worst_distances(mu, inv, D))
    k_free = D**2 * (1 + gamma) * inv[-1] / 2
    with_k = D**2 * float(cm.DISTANCE_FACTOR.subs({cm.gamma: gamma, cm.delta: delta,
                                                   cm.K: cm.window_decrements(window)})) \
        * inv[-1] / 2
    return lhs, k_free, with_k


@step("dwmgrad_constant_momentum_gaps", "C8 without K_T (nonincreasing-weight Abel bound) fails "
      "when the window shrinks in every other round")
def gap_shrinking_window(head: Head) -> StepResult:
    lhs, k_free, with_k = shrinking_window_excess()
    # Exhibited: the K-free statement is violated (margin > 0) while the stated C8 holds.
    result = check_trajectory(*head, lambda margin: margin,
                              {"margin": np.array([lhs / k_free - 1.0])}, tol=0.0)
    holds = with_k >= lhs
    status = result.status if holds else "violated"
    return StepResult(result.proof, result.step, result.statement, result.method, status,
                      result.worst_slack, result.instances,
                      detail=f"{cm.WINDOW_GAP['instance']} Telescoped sum {lhs:.6g} > K-free "
                             f"bound {k_free:.6g} (x{lhs / k_free:.3g}); C8 with K_T gives "
                             f"{with_k:.6g} ({'holds' if holds else 'FAILS'}).")
