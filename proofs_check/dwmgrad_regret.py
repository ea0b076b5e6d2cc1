r"""Every step of the DWMGrad regret derivation (:mod:`theory.dwmgrad`), checked.

Each lemma L1..L10, the theorem's assembly and the rate is one function returning a
:class:`~proofs_check.core.StepResult`: symbolically (sympy, under sign assumptions; a lemma
that chains several facts checks each one and :func:`~proofs_check.core.combine` joins them),
numerically on >= 1000 seeded instances where sympy cannot decide (sums of variable length,
Cauchy-Schwarz, Abel summation). The bounds compared with are the expressions of
:mod:`theory.dwmgrad` themselves, never copies.

Trajectory steps (names ``<lemma>-run``) check each per-step inequality at every step and
coordinate, and the cumulative ``R_t <= bound_t`` at every t, on the runs of
:data:`proofs_check.dwmgrad_trajectories.RUNS`: the real :class:`dwmgrad.DWMGrad` in float64
with ``theory.dwmgrad.ANALYSED_OPTIONS``, run by the experiments' runner on online games
(random linear losses and online least squares on boxes, all three window rules) with s, s^,
v, omega_t, mu_t recorded after every step and the exact comparator of every horizon.
``model-run`` first checks that the recorded quantities obey the analysed update equations,
so the lemmas are checked on the algorithm analysed.

:data:`GAP_STEPS` run the instances of ``theory.dwmgrad.PAPER_ALGORITHM_GAPS`` on the optimizer
with the published option restored and check that the failure the gap names does happen.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import sympy as sp

import theory.dwmgrad as th
from proofs_check.core import (
    ProofStep,
    Relation,
    StepResult,
    TrajectorySpec,
    check_inequality,
    check_numeric,
    check_recorded_step,
    check_trajectory,
    combine,
    relative_slack,
)
from proofs_check.dwmgrad_trajectories import (
    Trajectory,
    gap_config,
    per_coordinate,
    per_round,
    record_run,
    recorded_runs,
)
from proofs_check.falsify import Domain, Var

PROOF = "dwmgrad_regret"
GAPS_PROOF = "dwmgrad_paper_gaps"
#: Tolerance of the trajectory checks, on the relative slack (see ``relative_slack``).
TRAJECTORY_TOL = 1e-9


def _nonneg(names: str) -> tuple[sp.Symbol, ...]:
    return tuple(sp.symbols(names, nonnegative=True))


# 0 < gamma < 1 and 0 < lambda < 1 as sign assumptions: gamma = 1/(1+c), c > 0.
_c_gamma, _c_lambda = sp.symbols("c_gamma c_lambda", positive=True)
UNIT_INTERVAL = {th.gamma: 1 / (1 + _c_gamma), th.lam: 1 / (1 + _c_lambda)}


def _unit(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(sp.sympify(expr).subs(UNIT_INTERVAL))


#: Where the theorem's symbols range in the numeric falsification of a step sympy cannot
#: decide (slack variables of a step get their ranges from their sign assumptions).
DOMAIN = Domain((
    Var(th.T, 1, 1e6, integer=True), Var(th.t, 1, 1e6, integer=True),
    Var(th.d, 1, 1e4, integer=True), Var(th.D_inf, 1e-3, 1e3), Var(th.G_inf, 1e-3, 1e3),
    Var(th.alpha, 1e-6, 1e2), Var(th.gamma, 0.0, 1.0, "gap"), Var(th.lam, 0.0, 1.0, "gap"),
    Var(th.epsilon, 1e-12, 1.0), Var(th.delta, 1.0, 1e4),
))


def _decide(step: str, statement: str, lhs: sp.Expr, rhs: sp.Expr, relation: Relation, *,
            squares: bool = False, domain: Domain = DOMAIN) -> StepResult:
    """``check_inequality`` of this proof on :data:`DOMAIN` (or a step's own domain)."""
    return check_inequality(PROOF, step, statement, lhs, rhs, relation, domain, squares=squares)


# --- symbolic and numeric steps ------------------------------------------------------------
def l1_second_moment_bounded() -> StepResult:
    """L1: s_t is a convex combination of s_{t-1} and g_t^2, so 0 <= s_t <= G^2, s^_t <= G^2."""
    a, b, w, h, s_prev, g2 = _nonneg("a b w h s_prev g2")
    G = th.G_inf
    omega = 1 + w                                   # omega_t >= 1
    s_t = (G**2 - a) * (omega - 1) / omega + (G**2 - b) / omega  # s_{t-1}, g^2 <= G^2
    return combine(PROOF, "L1", "0 <= s_t <= G^2 and s^_t = max(s^_{t-1}, s_t) <= G^2", [
        _decide("L1", "s_t <= G^2", s_t, G**2, "<="),
        _decide("L1", "s_t >= 0", sp.Integer(0),
                       s_prev * (omega - 1) / omega + g2 / omega, "<="),
        _decide("L1", "max(G^2-a, G^2-a-h) <= G^2",
                       sp.Max(G**2 - a, G**2 - a - h), G**2, "<="),
        _decide("L1", "max(G^2-a-h, G^2-a) <= G^2",
                       sp.Max(G**2 - a - h, G**2 - a), G**2, "<="),
    ])


def l2_normalised_step() -> StepResult:
    """L2: s^_t >= s_t >= g_t^2/omega_t >= g_t^2/delta, hence |eta_t g_t| <= STEP_BOUND."""
    w, u, r, s_prev, g2, abs_g = _nonneg("w u r s_prev g2 abs_g")
    omega = 1 + w
    delta = omega + u                               # omega_t <= delta
    # sqrt(s^_t) >= |g_t|/sqrt(delta) is written sqrt(s^_t) = |g_t|/sqrt(delta) + r, r >= 0.
    alpha_t = th.alpha / sp.sqrt(th.t)
    eta_g = alpha_t * abs_g / (abs_g / sp.sqrt(th.delta) + r + th.epsilon)
    return combine(PROOF, "L2", "|eta_t g_t| <= alpha_t sqrt(delta)", [
        _decide("L2", "g_t^2/omega_t <= s_t", g2 / omega,
                s_prev * (omega - 1) / omega + g2 / omega, "<="),
        _decide("L2", "g_t^2/delta <= g_t^2/omega_t", g2 / delta, g2 / omega, "<="),
        _decide("L2", "alpha_t |g_t|/(sqrt(s^_t)+eps) <= STEP_BOUND", eta_g, th.STEP_BOUND,
                "<="),
    ])


def l3_inverse_step_monotone() -> StepResult:
    """L3: 1/eta_t = (sqrt(s^_t)+eps) sqrt(t)/alpha is nondecreasing and <= (G+eps)sqrt(t)/alpha."""
    a, b, c, e, p, q, r, tau = _nonneg("a b c e p q r tau")
    return combine(PROOF, "L3", "1/eta_t nondecreasing in t and 1/eta_t <= (G+eps) sqrt(t)/alpha", [
        _decide("L3", "A, B nondecreasing and >= 0 => A_t B_t >= A_{t-1} B_{t-1}",
                       a * c, (a + b) * (c + e), "<="),
        _decide("L3", "sqrt(t-1) <= sqrt(t)", sp.sqrt(tau), sp.sqrt(tau + 1), "<=",
                       squares=True),
        _decide("L3", "s^_{t-1} <= s^_t => sqrt(s^_{t-1}) <= sqrt(s^_t)",
                       sp.sqrt(p), sp.sqrt(p + q), "<=", squares=True),
        _decide("L3", "sqrt(s^_t) = G - r, 0 <= r <= G => 1/eta_t <= INV_STEP_BOUND",
                (th.G_inf - r + th.epsilon) * sp.sqrt(th.t) / th.alpha, th.INV_STEP_BOUND,
                "<=", domain=DOMAIN.with_vars(constraints=[sp.Le(r, th.G_inf)])),
    ])


def _l4_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"gamma": rng.uniform(0.0, 0.999, n), "lam": rng.uniform(0.0, 1.0, n),
            "t": rng.integers(1, 3001, n).astype(float)}


def _l4_slack(gamma: np.ndarray, lam: np.ndarray, t: np.ndarray) -> np.ndarray:
    bound = th.per_round(th.VELOCITY_BOUND)
    out = np.empty_like(gamma)
    for i, (g, decay, steps) in enumerate(zip(gamma, lam, t, strict=True)):
        k = np.arange(1, int(steps) + 1)
        lhs = np.sum((g * decay) ** (steps - k) / np.sqrt(k))    # alpha = delta = 1
        out[i] = relative_slack(lhs, bound(steps, 1.0, g, 0.0, 1.0, decay, 0.0, 0.0))
    return out


def l4_velocity() -> StepResult:
    """L4: with r = gamma lambda >= mu_j (j >= 2), sum_k r^(t-k)/sqrt(k) <= (1-r)^(-3/2)/sqrt(t),
    so |v_t| <= VELOCITY_BOUND."""
    a, b, j = _nonneg("a b j")
    k = 1 + a
    t = k + b                                           # 1 <= k <= t
    g = 1 / (1 + _c_gamma)
    jj = sp.Symbol("j", integer=True, nonnegative=True)
    geometric = sp.summation(g**jj, (jj, 0, sp.oo))
    weighted = sp.summation(g**jj * (1 + jj), (jj, 0, sp.oo))
    ratio = _unit(th.MOMENTUM_RATIO)
    return combine(PROOF, "L4", "sum_{k<=t} (gamma lambda)^(t-k) alpha sqrt(delta)/sqrt(k) <= "
                   "alpha sqrt(delta)/((1-gamma lambda)^(3/2) sqrt(t))", [
        _decide("L4", "t/k <= 1 + t - k for 1 <= k <= t", t / k, 1 + t - k, "<="),
        _decide("L4", "sum_j gamma^j = 1/(1-gamma)", geometric, 1 / (1 - g), "=="),
        _decide("L4", "sum_j gamma^j (1+j) = 1/(1-gamma)^2", weighted,
                       1 / (1 - g) ** 2, "=="),
        _decide("L4", "Cauchy-Schwarz: STEP_BOUND sqrt(sum r^j sum r^j(1+j)) <= "
                "VELOCITY_BOUND, r = gamma lambda", th.STEP_BOUND * sp.sqrt(
                    geometric * weighted).subs(g, ratio), _unit(th.VELOCITY_BOUND), "<=",
                squares=True),
        check_numeric(PROOF, "L4", "sum_{k<=t} (gamma lambda)^(t-k)/sqrt(k) <= VELOCITY_BOUND "
                      "(alpha = delta = 1), gamma in [0, 0.999), lambda in [0, 1), t <= 3000",
                      _l4_slack, _l4_sampler, n=1000, seed=4),
    ])


def l5_projection() -> StepResult:
    """L5: clamping to [lo, hi] containing x* is non-expansive per coordinate."""
    a, b = _nonneg("a b")
    hi, lo = sp.symbols("hi lo", real=True)
    y_in, x_star = sp.symbols("y x_star", real=True)
    return combine(PROOF, "L5", "(clamp(y) - x*)^2 <= (y - x*)^2 for x* in [lo, hi]", [
        _decide("L5", "y = hi + b > hi, x* = hi - a", (hi - (hi - a)) ** 2,
                       (hi + b - (hi - a)) ** 2, "<="),
        _decide("L5", "y = lo - b < lo, x* = lo + a", (lo - (lo + a)) ** 2,
                       (lo - b - (lo + a)) ** 2, "<="),
        _decide("L5", "lo <= y <= hi: clamp(y) = y", (y_in - x_star) ** 2,
                       (y_in - x_star) ** 2, "=="),
    ])


def l6_one_round() -> StepResult:
    """L6: g_t (x_t - x*) <= [(x_t-x*)^2 - (x_{t+1}-x*)^2]/(2 eta_t) - mu_t v_{t-1}(x_t-x*)/eta_t
    + v_t^2/(2 eta_t)."""
    x, xs, vp, mu, g, x_next = sp.symbols("x x_star v_prev mu g x_next", real=True)
    eta = sp.Symbol("eta", positive=True)
    h = sp.Symbol("h", nonnegative=True)
    v = mu * vp + eta * g

    def right(dist_next_sq: sp.Expr) -> sp.Expr:
        return (((x - xs) ** 2 - dist_next_sq) / (2 * eta) - mu * vp * (x - xs) / eta
                + v**2 / (2 * eta))

    return combine(PROOF, "L6", "g_t (x_t-x*) <= [(x_t-x*)^2 - (x_{t+1}-x*)^2]/(2 eta_t) "
                   "- mu_t v_{t-1} (x_t-x*)/eta_t + v_t^2/(2 eta_t)", [
        _decide("L6", "identity with the unprojected y = x_t - v_t",
                       g * (x - xs), right((x - v - xs) ** 2), "=="),
        _decide("L6", "projection: (x_{t+1}-x*)^2 = (y-x*)^2 - h, h >= 0 (L5)",
                       right((x - v - xs) ** 2), right((x - v - xs) ** 2 - h), "<="),
    ])


def l7_convexity() -> StepResult:
    """L7: f_t(x_t) - f_t(x*) <= <g_t, x_t - x*> for the loss families of the runs."""
    a = sp.symbols("a1:4", real=True)
    x = sp.symbols("x1:4", real=True)
    y = sp.symbols("y1:4", real=True)
    b = sp.Symbol("b", real=True)

    def dot(u: tuple[sp.Expr, ...], w: tuple[sp.Expr, ...]) -> sp.Expr:
        return sp.Add(*(ui * wi for ui, wi in zip(u, w, strict=True)))

    diff = tuple(xi - yi for xi, yi in zip(x, y, strict=True))
    residual = dot(a, x) - b
    grad_sq = tuple(residual * ai for ai in a)
    return combine(PROOF, "L7", "f_t(x_t) - f_t(x*) <= <g_t, x_t - x*> (convexity)", [
        _decide("L7", "linear f(x) = <a, x>: equality",
                       dot(a, x) - dot(a, y), dot(a, diff), "=="),
        _decide("L7", "least squares f(x) = (<a,x> - b)^2/2",
                       residual**2 / 2 - (dot(a, y) - b) ** 2 / 2, dot(grad_sq, diff), "<="),
    ])


def _l8_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    horizon = 60
    inv_eta = np.cumsum(rng.exponential(1.0, (n, horizon)) * (rng.random((n, horizon)) < 0.7),
                        axis=1) + rng.uniform(0.01, 1.0, (n, 1))
    D = rng.uniform(0.1, 3.0, n)
    dist_sq = rng.uniform(0.0, 1.0, (n, horizon + 1)) * D[:, None] ** 2
    return {"T": rng.integers(1, horizon + 1, n).astype(float), "D": D,
            "inv_eta": inv_eta, "dist_sq": dist_sq}


def _l8_slack(T: np.ndarray, D: np.ndarray, inv_eta: np.ndarray,
              dist_sq: np.ndarray) -> np.ndarray:
    steps = np.arange(1, inv_eta.shape[1] + 1)
    mask = steps[None, :] <= T[:, None]
    terms = (dist_sq[:, :-1] - dist_sq[:, 1:]) * inv_eta / 2
    lhs = np.sum(np.where(mask, terms, 0.0), axis=1)
    last = inv_eta[np.arange(T.size), T.astype(int) - 1]
    return relative_slack(lhs, D**2 * last / 2)


def l8_telescoping() -> StepResult:
    """L8: sum_t [(x_t-x*)^2 - (x_{t+1}-x*)^2]/(2 eta_t) <= D^2/(2 eta_T) <= DISTANCE_TERM."""
    r = sp.Symbol("r", nonnegative=True)
    inv_eta_T = th.INV_STEP_BOUND.subs(th.t, th.T) / (1 + r)    # 1/eta_T <= L3's bound
    return combine(PROOF, "L8", "sum_{t<=T} [(x_t-x*)^2-(x_{t+1}-x*)^2]/(2 eta_t) <= "
                   "D^2 (G+eps) sqrt(T)/(2 alpha)", [
        check_numeric(PROOF, "L8", "Abel summation: 1/eta_t nondecreasing, (x_t-x*)^2 in "
                      "[0, D^2] => telescoped sum <= D^2/(2 eta_T) (T <= 60)",
                      _l8_slack, _l8_sampler, n=1000, seed=8),
        _decide("L8", "D^2/(2 eta_T) <= DISTANCE_TERM (L3 at T)",
                       th.D_inf**2 * inv_eta_T / 2, th.DISTANCE_TERM, "<="),
    ])


def l9_momentum_term() -> StepResult:
    """L9: |mu_t v_{t-1} (x_t-x*)/eta_t| <= MOMENTUM_TERM_STEP (t >= 2); summed <= MOMENTUM_TERM."""
    z = _nonneg("z1:5")
    bounds = sp.symbols("b1:5", positive=True)
    t = th.t
    # The four factors mu_t, |v_{t-1}|, |x_t - x*|, 1/eta_t, each at most its bound.
    factor_bounds = (th.gamma * th.lam ** (t - 1), th.VELOCITY_BOUND.subs(t, t - 1), th.D_inf,
                     th.INV_STEP_BOUND)
    product = sp.Mul(*factor_bounds)
    tau = sp.Symbol("tau", nonnegative=True)
    geometric = sp.summation(_unit(th.lam ** (t - 1)), (t, 2, th.T))
    return combine(PROOF, "L9", "|mu_t v_{t-1}(x_t-x*)/eta_t| <= sqrt(2) gamma lambda^(t-1) D "
                   "sqrt(delta)(G+eps)/(1-gamma)^(3/2) (t >= 2), and its sum over t <= "
                   "MOMENTUM_TERM", [
        _decide("L9", "0 <= factor_i = b_i/(1+z_i) <= b_i => product <= "
                       "product of b_i", sp.Mul(*(bi / (1 + zi) for bi, zi in zip(bounds, z,
                                                                                    strict=True))),
                       sp.Mul(*bounds), "<="),
        _decide("L9", "product of the factor bounds = MOMENTUM_TERM_STEP "
                       "sqrt(t/(t-1))/sqrt(2)", _unit(product),
                       _unit(th.MOMENTUM_TERM_STEP * sp.sqrt(t) / (sp.sqrt(2) * sp.sqrt(t - 1))),
                       "=="),
        _decide("L9", "sqrt(t/(t-1)) <= sqrt(2) for t = 2 + tau",
                       sp.sqrt((2 + tau) / (1 + tau)), sp.sqrt(2), "<=", squares=True),
        _decide("L9", "sum_{t=2}^T lambda^(t-1) <= lambda/(1-lambda)",
                       geometric, _unit(th.lam / (1 - th.lam)), "<="),
        _decide("L9", "MOMENTUM_TERM = MOMENTUM_TERM_STEP/lambda^(t-1) "
                       "* lambda/(1-lambda)", th.MOMENTUM_TERM,
                       th.MOMENTUM_TERM_STEP / th.lam ** (t - 1) * th.lam / (1 - th.lam), "=="),
    ])


def _l10_sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"T": rng.integers(1, 100_001, n).astype(float)}


@cache
def _harmonic_half(horizon: int) -> np.ndarray:
    return np.cumsum(1.0 / np.sqrt(np.arange(1, horizon + 1)))


def _l10_slack(T: np.ndarray) -> np.ndarray:
    sums = _harmonic_half(100_000)[T.astype(int) - 1]
    return relative_slack(sums, 2 * np.sqrt(T) - 1)


def l10_step_term() -> StepResult:
    """L10: v_t^2/(2 eta_t) <= STEP_TERM_STEP, and sum_{t<=T} of it <= STEP_TERM."""
    z1, z2, tau = _nonneg("z1 z2 tau")
    t = th.t
    vb, ib = th.VELOCITY_BOUND, th.INV_STEP_BOUND
    one = 1 + tau                                       # t >= 1
    return combine(PROOF, "L10", "v_t^2/(2 eta_t) <= alpha delta (G+eps)/(2 (1-gamma)^3 "
                   "sqrt(t)) and sum_{t<=T} <= STEP_TERM", [
        _decide("L10", "v_t^2 <= VB^2, 1/eta_t <= IB => v_t^2/(2 eta_t) <= "
                       "VB^2 IB/2", _unit((vb / (1 + z1)) ** 2 * ib / (2 * (1 + z2))),
                       _unit(vb**2 * ib / 2), "<="),
        _decide("L10", "VB^2 IB/2 = STEP_TERM_STEP", _unit(vb**2 * ib / 2),
                       _unit(th.STEP_TERM_STEP), "=="),
        _decide("L10", "2 sqrt(t) sqrt(t-1) <= 2t - 1",
                       2 * sp.sqrt(one) * sp.sqrt(tau), 2 * one - 1, "<=", squares=True),
        _decide("L10", "2(sqrt(t)-sqrt(t-1)) - 1/sqrt(t) = "
                       "(2t-1-2 sqrt(t) sqrt(t-1))/sqrt(t)",
                       2 * (sp.sqrt(one) - sp.sqrt(tau)) - 1 / sp.sqrt(one),
                       (2 * one - 1 - 2 * sp.sqrt(one) * sp.sqrt(tau)) / sp.sqrt(one), "=="),
        check_numeric(PROOF, "L10", "sum_{t<=T} 1/sqrt(t) <= 2 sqrt(T) - 1, T <= 1e5",
                      _l10_slack, _l10_sampler, n=1000, seed=10),
        _decide("L10", "STEP_TERM = STEP_TERM_STEP sqrt(t) (2 sqrt(T) - 1)",
                       th.STEP_TERM, th.STEP_TERM_STEP * sp.sqrt(t) * (2 * sp.sqrt(th.T) - 1),
                       "=="),
    ])


def theorem_assembly() -> StepResult:
    """Theorem: REGRET_EXPR = d (DISTANCE_TERM + STEP_TERM + MOMENTUM_TERM)."""
    return _decide("theorem", "R_T <= sum_i [L8 + L9 + L10 terms] = REGRET_EXPR",
                          th.d * (th.DISTANCE_TERM + th.STEP_TERM + th.MOMENTUM_TERM),
                          th.REGRET_EXPR, "==")


def rate() -> StepResult:
    """Rate: bound/sqrt(T) -> RATE_CONSTANT > 0 and bound/T -> 0."""
    by_sqrt = sp.limit(_unit(th.REGRET_EXPR / sp.sqrt(th.T)), th.T, sp.oo)
    by_t = sp.limit(_unit(th.REGRET_EXPR / th.T), th.T, sp.oo)
    return combine(PROOF, "rate", "lim bound/sqrt(T) = RATE_CONSTANT > 0 and lim bound/T = 0", [
        _decide("rate", "lim bound/sqrt(T) = RATE_CONSTANT", by_sqrt,
                       _unit(th.RATE_CONSTANT), "=="),
        _decide("rate", "RATE_CONSTANT > 0", sp.Integer(0),
                       _unit(th.RATE_CONSTANT), "<="),
        _decide("rate", "lim bound/T = 0", by_t, sp.Integer(0), "=="),
    ])


def _bound_at(expr: sp.Expr, r: dict[str, np.ndarray]) -> np.ndarray:
    return np.asarray(th.per_round(expr)(r["t"], r["alpha"], r["gamma"], r["eps"], r["delta"],
                                         r["lam"], r["G"], r["D"]), dtype=float)


def _model_slack(**r: np.ndarray) -> np.ndarray:
    """Minus the largest relative residual of the analysed update equations."""
    w = r["window"]
    residuals = [
        relative_slack(r["s_prev"] * (w - 1) / w + r["g"] ** 2 / w, r["s"]),
        relative_slack(np.maximum(r["s_hat_prev"], r["s"]), r["s_hat"]),
        relative_slack(r["gamma"] * w / r["delta"] * r["lam"] ** (r["t"] - 1), r["mu"]),
        relative_slack(r["mu"] * r["v_prev"] + r["eta"] * r["g"], r["v"]),
        relative_slack(np.clip(r["x"] - r["v"], r["lo"], r["hi"]), r["x_next"]),
        np.where((w >= 1) & (w <= r["delta"]), 0.0, -1.0),
    ]
    return -np.max(np.abs(residuals), axis=0)


def _l1_slack(**r: np.ndarray) -> np.ndarray:
    return np.minimum(relative_slack(r["s_hat"], r["G"] ** 2), relative_slack(0.0, r["s"]))


def _l2_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(np.abs(r["eta"] * r["g"]), _bound_at(th.STEP_BOUND, r))


def _l3_slack(**r: np.ndarray) -> np.ndarray:
    inv, inv_prev = 1 / r["eta"], 1 / r["eta_prev"]
    return np.minimum(relative_slack(inv_prev, inv), relative_slack(inv, _bound_at(
        th.INV_STEP_BOUND, r)))


def _l4_run_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(np.abs(r["v"]), _bound_at(th.VELOCITY_BOUND, r))


def _l6_slack(**r: np.ndarray) -> np.ndarray:
    dist, dist_next = r["x"] - r["x_star"], r["x_next"] - r["x_star"]
    rhs = ((dist**2 - dist_next**2) / (2 * r["eta"]) - r["mu"] * r["v_prev"] * dist / r["eta"]
           + r["v"] ** 2 / (2 * r["eta"]))
    return relative_slack(r["g"] * dist, rhs)


def _l8_run_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(r["telescoped"], r["D"] ** 2 / (2 * r["eta"]))


def _l9_slack(**r: np.ndarray) -> np.ndarray:
    term = np.abs(r["mu"] * r["v_prev"] * (r["x"] - r["x_star"]) / r["eta"])
    return relative_slack(term, _bound_at(th.MOMENTUM_TERM_STEP, r))


def _l10_run_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(r["v"] ** 2 / (2 * r["eta"]), _bound_at(th.STEP_TERM_STEP, r))


def _l7_run_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(r["excess"], r["linearised"])


def _theorem_slack(**r: np.ndarray) -> np.ndarray:
    return relative_slack(r["regret"], r["bound"])


def _refinement_slack(**r: np.ndarray) -> np.ndarray:
    return np.minimum(relative_slack(r["regret"], r["data_bound"]),
                      relative_slack(r["data_bound"], r["bound"]))


#: (step, statement, slack, per coordinate?) of every trajectory step.
TRAJECTORY_STEPS: tuple[TrajectorySpec, ...] = (
    ("model-run", "the recorded run obeys the analysed updates (s, s^ = max, mu_t, v_t, "
     "clamped x_{t+1}) and 1 <= omega_t <= delta", _model_slack, True),
    ("L1-run", "0 <= s_t and s^_t <= G^2 at every step", _l1_slack, True),
    ("L2-run", "|eta_t g_t| <= alpha sqrt(delta)/sqrt(t) at every step", _l2_slack, True),
    ("L3-run", "1/eta_{t-1} <= 1/eta_t <= (G+eps) sqrt(t)/alpha at every step", _l3_slack, True),
    ("L4-run", "|v_t| <= alpha sqrt(delta)/((1-gamma lambda)^(3/2) sqrt(t)) at every step",
     _l4_run_slack, True),
    ("L6-run", "g_t(x_t-x*) <= [(x_t-x*)^2-(x_{t+1}-x*)^2]/(2eta_t) - mu_t v_{t-1}(x_t-x*)/eta_t"
     " + v_t^2/(2eta_t) at every step", _l6_slack, True),
    ("L7-run", "f_t(x_t) - f_t(x*) <= <g_t, x_t - x*> at every step", _l7_run_slack, False),
    ("L8-run", "sum_{k<=t} [(x_k-x*)^2-(x_{k+1}-x*)^2]/(2eta_k) <= D^2/(2eta_t) at every t",
     _l8_run_slack, True),
    ("L9-run", "|mu_t v_{t-1}(x_t-x*)/eta_t| <= MOMENTUM_TERM_STEP at every step", _l9_slack,
     True),
    ("L10-run", "v_t^2/(2 eta_t) <= STEP_TERM_STEP at every step", _l10_run_slack, True),
    ("theorem-run", "R_t <= regret_bound(t, ...) at every t", _theorem_slack, False),
    ("refinement-run", "R_t <= data-dependent bound_t <= regret_bound(t, ...) at every t",
     _refinement_slack, False),
)


def trajectory_step(name: str) -> StepResult:
    """Check one trajectory step on :func:`recorded_runs` (relative slack, tol 1e-9)."""
    return check_recorded_step(
        PROOF, TRAJECTORY_STEPS, name,
        lambda by_coordinate: (per_coordinate if by_coordinate else per_round)(recorded_runs()),
        TRAJECTORY_TOL)


# --- the published algorithm's gaps, exhibited on the optimizer ----------------------------
def _growth(values: Callable[[Trajectory], float], gap: th.AssumptionGap) -> tuple[float, str]:
    """Log-log slope of a run quantity between T = 500 and T = 2000."""
    config = gap_config(gap)
    short, long = values(record_run(config, 500)), values(record_run(config, 2000))
    slope = float(np.log(long / short) / np.log(4.0))
    return slope, f"value {short:.6g} at T=500, {long:.6g} at T=2000, slope {slope:.3f}"


def _gap_result(gap: th.AssumptionGap, statement: str, slack: float, detail: str) -> StepResult:
    result = check_trajectory(GAPS_PROOF, gap.check_step, statement,
                              lambda margin: margin, {"margin": np.array([slack])}, tol=0.0)
    return StepResult(result.proof, result.step, result.statement, result.method, result.status,
                      result.worst_slack, result.instances, result.counterexample,
                      f"{detail}; options {gap.published}")


def _gap(name: str) -> th.AssumptionGap:
    return next(g for g in th.PAPER_ALGORITHM_GAPS if g.name == name)


def gap_shrinking_second_moment() -> StepResult:
    gap = _gap("shrinking_second_moment")
    run = record_run(gap_config(gap), 200)
    inv_eta = 1 / run.eta[:, 0]
    drops = (inv_eta[:-1] - inv_eta[1:]) / inv_eta[:-1]
    k = int(np.argmax(drops))
    return _gap_result(gap, "published s_t: 1/eta_t decreases by >= 1% in some round "
                       "(L3 fails)", float(drops[k] - 0.01),
                       f"1/eta drops from {inv_eta[k]:.6g} (t={k + 1}) to {inv_eta[k + 1]:.6g}"
                       f" (t={k + 2}); first decrease at t="
                       f"{int(np.argmax(drops > 0)) + 2}")


def gap_constant_step() -> StepResult:
    gap = _gap("constant_step")
    slope, detail = _growth(lambda r: float(np.sum(r.v**2 / (2 * r.eta))), gap)
    return _gap_result(gap, "constant alpha: sum_t v_t^2/(2 eta_t) grows like T (log-log "
                       "slope >= 0.8, a sqrt(T) bound has 0.5; L10 fails)", slope - 0.8, detail)


def gap_non_decaying_momentum() -> StepResult:
    gap = _gap("non_decaying_momentum")
    slope, detail = _growth(lambda r: float(np.sum(
        r.mu[1:] * np.abs(r.v[:-1, 0]) / r.eta[1:, 0])), gap)
    return _gap_result(gap, "lambda = 1: sum_t mu_t |v_{t-1}|/eta_t grows like T (log-log "
                       "slope >= 0.8, a sqrt(T) bound has 0.5; L9 fails)", slope - 0.8, detail)


def gap_no_projection() -> StepResult:
    gap = _gap("no_projection")
    config = gap_config(gap)
    run = record_run(config, 2000)
    # g_t = 1: s^_t <= 1, so v_t >= eta_t >= alpha/((1+eps) sqrt(t)) and x drifts at least
    # alpha (2 sqrt(t+1) - 2)/(1+eps), which exceeds every D_inf.
    drift = run.x[0, 0] - run.x_next[:, 0]
    floor = config.lr * (2 * np.sqrt(run.t + 1) - 2) / (1 + config.eps)
    check = check_trajectory(GAPS_PROOF, gap.check_step, "", lambda d, f: d - f,
                             {"d": drift, "f": floor}, tol=1e-12)
    return _gap_result(gap, "no projection, g_t = 1: x_1 - x_{t+1} >= alpha (2 sqrt(t+1) - 2)"
                       "/(1+eps) at every t, unbounded (no D_inf for L8)", check.worst_slack,
                       f"x_1 - x_(T+1) = {drift[-1]:.6g} >= {floor[-1]:.6g} at T = 2000")


def _trajectory(name: str) -> Callable[[], StepResult]:
    return lambda: trajectory_step(name)


STEPS: list[ProofStep] = [
    ProofStep(PROOF, "L1", "0 <= s_t <= G^2, s^_t <= G^2", l1_second_moment_bounded),
    ProofStep(PROOF, "L2", "|eta_t g_t| <= alpha_t sqrt(delta)", l2_normalised_step),
    ProofStep(PROOF, "L3", "1/eta_t nondecreasing, <= (G+eps) sqrt(t)/alpha",
              l3_inverse_step_monotone),
    ProofStep(PROOF, "L4", "|v_t| <= alpha sqrt(delta)/((1-gamma lambda)^(3/2) sqrt(t))",
              l4_velocity),
    ProofStep(PROOF, "L5", "clamping is non-expansive per coordinate", l5_projection),
    ProofStep(PROOF, "L6", "one-round inequality (expanded square, v_t = eta_t g_t + "
              "mu_t v_{t-1})", l6_one_round),
    ProofStep(PROOF, "L7", "f_t(x_t) - f_t(x*) <= <g_t, x_t - x*>", l7_convexity),
    ProofStep(PROOF, "L8", "telescoped distance term <= D^2 (G+eps) sqrt(T)/(2 alpha)",
              l8_telescoping),
    ProofStep(PROOF, "L9", "momentum term per round and summed", l9_momentum_term),
    ProofStep(PROOF, "L10", "step term per round and summed", l10_step_term),
    ProofStep(PROOF, "theorem", "R_T <= d (L8 + L9 + L10 terms) = REGRET_EXPR",
              theorem_assembly),
    ProofStep(PROOF, "rate", "bound/sqrt(T) -> constant > 0, bound/T -> 0", rate),
    *(ProofStep(PROOF, name, statement, _trajectory(name))
      for name, statement, _, _ in TRAJECTORY_STEPS),
]

GAP_STEPS: list[ProofStep] = [
    ProofStep(GAPS_PROOF, "gap:shrinking_second_moment", "1/eta_t decreases with the "
              "published second moment", gap_shrinking_second_moment),
    ProofStep(GAPS_PROOF, "gap:constant_step", "step term grows like T with constant alpha",
              gap_constant_step),
    ProofStep(GAPS_PROOF, "gap:non_decaying_momentum", "momentum term grows like T with "
              "lambda = 1", gap_non_decaying_momentum),
    ProofStep(GAPS_PROOF, "gap:no_projection", "iterates unbounded without projection",
              gap_no_projection),
]
STEPS.extend(GAP_STEPS)
