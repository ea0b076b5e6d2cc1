r"""Regret of DWMGrad that keeps its momentum: constant momentum scale (momentum_decay = 1).

Setting as in :mod:`theory.dwmgrad` (convex :math:`f_t` on the box of side :math:`D_\infty`,
projection by clamping, :math:`\alpha_t = \alpha/\sqrt t`, max second moment), but with **no
momentum decay**: :math:`\mu_t = \gamma\,\omega_t/\delta \in [\gamma/\delta, \gamma]` for every t,
so the method stays a heavy-ball method forever. Per coordinate, with
:math:`I_t = 1/\eta_t = \sqrt t(\sqrt{\hat s_t}+\varepsilon)/\alpha` (nondecreasing),
:math:`e_t = x_t - x^*`, :math:`d_t = e_t^2 \le D_\infty^2`::

    v_t = mu_t v_{t-1} + eta_t g_t,   x_{t+1} = clamp(x_t - v_t)

Proof idea (adapted from Alacaoglu, Malitsky, Mertikopoulos, Cevher, ICML 2020, arXiv
2003.09729, who telescope the momentum term of AMSGrad instead of bounding it round by round;
here the preconditioner sits inside the velocity and mu_t varies with the window):

* C4 (identity): :math:`g_t e_t = [v_t e_t - \mu_t v_{t-1} e_{t-1}]/\eta_t
  + \mu_t v_{t-1}(x_{t-1} - x_t)/\eta_t`;
* C5: clamping from inside the box moves :math:`x` by at most :math:`|v_{t-1}|`, so the last
  term is at most :math:`\mu_t v_{t-1}^2/\eta_t` (the *displacement* term);
* C6 (summation by parts, :math:`\mu_{T+1} := 0`): the first terms sum to
  :math:`\sum_t v_t e_t [(1-\mu_{t+1}) I_t - \mu_{t+1}(I_{t+1} - I_t)]`;
* C7: :math:`v_t e_t \le (d_t - d_{t+1})/2 + v_t^2/2` (clamping is non-expansive) for the part
  with the positive weight :math:`\rho_t = (1-\mu_{t+1}) I_t`; :math:`|v_t e_t| \le |v_t| D`
  for the *preconditioner* part :math:`\mu_{t+1}(I_{t+1}-I_t) \ge 0`;
* C8 (Abel): :math:`\sum_t \rho_t (d_t - d_{t+1})/2 \le \frac{D^2}{2}[\rho_1 + \sum_t
  (\rho_t - \rho_{t-1})_+] \le \frac{D^2}{2}(1 + \gamma + \gamma K_T/\delta) I_T`, where
  :math:`K_T = \sum_{t=2}^{T-1} (\omega_t - \omega_{t+1})_+` counts the window's decrements
  (every decrement lowers :math:`\mu` by :math:`\gamma/\delta` and raises the weight);
* C3: :math:`|v_t| \le \alpha N (1-\gamma)^{-3/2}/\sqrt t` with the largest normalised gradient
  :math:`N = \max_{t,i} |g_{t,i}|/(\sqrt{\hat s_{t,i}}+\varepsilon) \le \sqrt\delta` (L2);
* C9-C11: the step, displacement and preconditioner terms summed with C2
  (:math:`I_t \le \sqrt t\,\sigma/\alpha`, :math:`\sigma = \sqrt{\hat s_T}+\varepsilon`).

Theorem (Upper bound, derived here; every step checked by
``proofs_check.dwmgrad_constant_momentum``), with :math:`S_T = \sum_i (\sqrt{\hat s_{T,i}} +
\varepsilon) \le d (G_\infty + \varepsilon)`::

    R_T <= S_T [ D^2 (1 + gamma + gamma K_T/delta) sqrt(T) / (2 alpha)
                 + alpha N^2 (1 + 2 sqrt(2) gamma) (2 sqrt(T) - 1) / (2 (1-gamma)^3)
                 + gamma D N (1-gamma)^(-3/2) (sqrt(2) + (1 + ln T)/2) ]

so :math:`R_T = O(\sqrt T)` whenever the window shrinks finitely often (:math:`K_T` bounded):
with the paper's ``"loss"`` rule and positive losses the window never shrinks (:math:`K_T =
0`). The bound is data-dependent through :math:`S_T` (a coordinate whose gradients stay small
contributes little, like Alacaoglu et al.'s :math:`\sum_i \hat v_{T,i}^{1/2}`) and through
:math:`N` (1 when init_window = 1 and gradient magnitudes do not grow; :math:`\sqrt\delta` at
worst). It does **not** give the :math:`\sum_i \|g_{1:T,i}\|_2` form of Reddi et al.'s
Theorem 4: normalised steps are O(1) whatever the gradients' size, and the ratio
:math:`\eta_k/\eta_t` of a past step to the current one is unbounded when :math:`\hat s` jumps,
so the step term cannot be charged to :math:`\eta_k g_k^2`.

What it does not cover is :data:`WINDOW_GAP`: a window that shrinks in a positive fraction of
the rounds (``"loss"`` rule with losses of both signs, ``"loss_decrease"``/``"loss_increase"``
on oscillating losses) makes :math:`K_T \propto T` and the bound :math:`O(T^{3/2})`, vacuous;
the failing step (C8 without the :math:`K_T` term) and an instance are named there.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine
from theory.dwmgrad import (
    ASSUMPTIONS as DECAYING_ASSUMPTIONS,
)
from theory.dwmgrad import (
    LATEX_NAMES as BASE_LATEX_NAMES,
)
from theory.dwmgrad import (
    SYMBOLS as BASE_SYMBOLS,
)
from theory.dwmgrad import (
    TRIVIAL_REGRET,
    D_inf,
    G_inf,
    T,
    alpha,
    d,
    delta,
    epsilon,
    gamma,
    t,
)

N = sp.Symbol("N", positive=True)
K = sp.Symbol("K", nonnegative=True)
S = sp.Symbol("S_T", positive=True)
sigma = sp.Symbol("sigma", positive=True)

LATEX_NAMES: dict[sp.Symbol, str] = {**BASE_LATEX_NAMES, K: "K_T", S: "S_T"}

SYMBOLS: dict[sp.Symbol, str] = {
    T: BASE_SYMBOLS[T],
    S: "data-dependent scale sum_i (sqrt(s^_{T,i}) + eps) <= d (G_inf + eps)",
    N: "largest normalised gradient max_{t,i} |g_{t,i}|/(sqrt(s^_{t,i}) + eps) <= sqrt(delta)",
    K: "window decrements K_T = sum_{t=2}^{T-1} (omega_t - omega_{t+1})_+ (0 for the 'loss' "
       "rule with positive losses)",
    D_inf: BASE_SYMBOLS[D_inf],
    alpha: BASE_SYMBOLS[alpha],
    gamma: BASE_SYMBOLS[gamma],
    delta: BASE_SYMBOLS[delta],
    d: BASE_SYMBOLS[d],
    G_inf: BASE_SYMBOLS[G_inf],
    epsilon: BASE_SYMBOLS[epsilon],
}

# --- per-coordinate lemma bounds (sigma = sqrt(s^_{T,i}) + eps, the coordinate's scale) ------
SQRT_T, SQRT_t = sp.sqrt(T), sp.sqrt(t)
#: C2: the inverse step, 1/eta_t = sqrt(t)(sqrt(s^_t)+eps)/alpha <= sqrt(t) sigma/alpha.
INV_STEP_BOUND = SQRT_t * sigma / alpha
#: C3: the velocity, |v_t| <= alpha N/((1-gamma)^(3/2) sqrt(t)) (mu_j <= gamma and
#: |eta_k g_k| <= alpha_k N).
VELOCITY_BOUND = alpha * N / ((1 - gamma) ** sp.Rational(3, 2) * SQRT_t)
#: C8: the telescoped distance term of one coordinate, with the window's decrements K.
DISTANCE_FACTOR = 1 + gamma + gamma * K / delta
DISTANCE_TERM = D_inf**2 * DISTANCE_FACTOR * SQRT_T * sigma / (2 * alpha)
#: C9: one round's step term v_t^2/(2 eta_t), and its sum over t <= T.
STEP_TERM_STEP = alpha * N**2 * sigma / (2 * (1 - gamma) ** 3 * SQRT_t)
STEP_TERM = alpha * N**2 * sigma * (2 * SQRT_T - 1) / (2 * (1 - gamma) ** 3)
#: C10: one round's displacement term mu_t v_{t-1}^2/eta_t (t >= 2), and its sum over t <= T.
DISPLACEMENT_TERM_STEP = (sp.sqrt(2) * gamma * alpha * N**2 * sigma
                          / ((1 - gamma) ** 3 * sp.sqrt(t - 1)))
DISPLACEMENT_TERM = (sp.sqrt(2) * gamma * alpha * N**2 * sigma * (2 * SQRT_T - 1)
                     / (1 - gamma) ** 3)
#: C11: the preconditioner term D sum_{t<T} mu_{t+1} (1/eta_{t+1} - 1/eta_t) |v_t|.
PRECONDITIONER_LOG = sp.sqrt(2) + (1 + sp.log(T)) / 2
PRECONDITIONER_TERM = (gamma * D_inf * N * sigma * PRECONDITIONER_LOG
                       / (1 - gamma) ** sp.Rational(3, 2))

#: The coordinate's bound divided by its scale sigma: the theorem is S_T times this.
PER_SCALE = sp.expand(
    (DISTANCE_TERM + STEP_TERM + DISPLACEMENT_TERM + PRECONDITIONER_TERM) / sigma)

#: The theorem's right side in its own (factored) form; proofs_check verifies that it equals
#: S_T * PER_SCALE.
REGRET_DATA_EXPR = S * (
    D_inf**2 * DISTANCE_FACTOR * SQRT_T / (2 * alpha)
    + alpha * N**2 * (1 + 2 * sp.sqrt(2) * gamma) * (2 * SQRT_T - 1) / (2 * (1 - gamma) ** 3)
    + gamma * D_inf * N * PRECONDITIONER_LOG / (1 - gamma) ** sp.Rational(3, 2)
)
#: The worst case over the data: S_T <= d (G_inf + eps), N <= sqrt(delta).
WORST_CASE = {S: d * (G_inf + epsilon), N: sp.sqrt(delta)}
REGRET_EXPR = REGRET_DATA_EXPR.subs(WORST_CASE)

ASSUMPTIONS: tuple[Assumption, ...] = tuple(
    a for a in DECAYING_ASSUMPTIONS if a.name != "momentum_decay") + (
    Assumption("constant_momentum_scale", "mu_t = gamma omega_t/delta for every t "
               "(momentum_decay = 1), 0 <= gamma < 1", sp.Lt(gamma, 1)),
    Assumption("window_decrements", "K_T = sum_{t=2}^{T-1} (omega_t - omega_{t+1})_+ counts "
               "the window's decrements; R_T = O(sqrt(T)) needs K_T bounded", sp.Ge(K, 0)),
)

_COMMON = dict(quantity="R_T", assumptions=ASSUMPTIONS, kind="upper",
               latex_names=LATEX_NAMES, trivial=TRIVIAL_REGRET,
               trivial_note="T d G_inf D_inf: the regret of any method that stays in the box")

REGRET_DATA_BOUND = Bound(
    name="dwmgrad_constant_momentum_regret_data",
    expr=REGRET_DATA_EXPR,
    symbols={s: SYMBOLS[s] for s in (T, S, N, K, D_inf, alpha, gamma, delta, d, G_inf)},
    reference="derived here, adapting Alacaoglu, Malitsky, Mertikopoulos, Cevher, ICML 2020 "
              "(arXiv 2003.09729) to DWMGrad's heavy-ball form (theory/"
              "dwmgrad_constant_momentum.py; checked in proofs_check/"
              "dwmgrad_constant_momentum.py)",
    notes="Data-dependent: S_T, N and K_T are read off the run (N = 1 with init_window = 1 "
          "and non-growing gradient magnitudes; K_T = 0 with the 'loss' rule and positive "
          "losses). d and G_inf enter only the trivial comparator.",
    **_COMMON,  # type: ignore[arg-type]
)

REGRET_BOUND = Bound(
    name="dwmgrad_constant_momentum_regret",
    expr=REGRET_EXPR,
    symbols={s: SYMBOLS[s] for s in (T, d, D_inf, G_inf, alpha, gamma, epsilon, delta, K)},
    reference="derived here: REGRET_DATA_BOUND at S_T = d (G_inf + eps), N = sqrt(delta)",
    notes="R_T = O(d sqrt(T)) when the window shrinks finitely often (K_T bounded); "
          "momentum_decay = 1, so mu_t stays in [gamma/delta, gamma].",
    **_COMMON,  # type: ignore[arg-type]
)

#: The step that minimises the sqrt(T) coefficient of REGRET_DATA_BOUND (K, N given).
RATE_COEFFICIENT = (D_inf**2 * DISTANCE_FACTOR / (2 * alpha)
                    + alpha * N**2 * (1 + 2 * sp.sqrt(2) * gamma) / (1 - gamma) ** 3)
_u = sp.Symbol("u", positive=True)
_COEFFICIENT_U = RATE_COEFFICIENT.subs(gamma, 1 - _u)
_ALPHA_U = sp.solve(sp.diff(_COEFFICIENT_U, alpha), alpha)[0]
TUNED_ALPHA_DATA = _ALPHA_U.subs(_u, 1 - gamma)
#: The tuned step of the worst case (N = sqrt(delta)): what a user can set before running.
TUNED_ALPHA = TUNED_ALPHA_DATA.subs(N, sp.sqrt(delta))
RATE_CONSTANT = S * RATE_COEFFICIENT

TUNED_RATE_BOUND = Bound(
    name="dwmgrad_constant_momentum_rate_tuned",
    quantity=r"\limsup_{T\to\infty} R_T/\sqrt{T}",
    expr=sp.simplify((S * _COEFFICIENT_U.subs(alpha, _ALPHA_U)).subs(_u, 1 - gamma)),
    symbols={s: SYMBOLS[s] for s in (S, N, K, D_inf, gamma, delta)},
    assumptions=ASSUMPTIONS,
    kind="upper",
    reference="derived here: the limit of REGRET_DATA_BOUND / sqrt(T) at alpha = "
              "TUNED_ALPHA_DATA, K_T = K fixed",
    notes="The sqrt(T) coefficient of REGRET_DATA_BOUND at its best alpha.",
    latex_names=LATEX_NAMES,
    trivial_note="none: R_T/sqrt(T) is unbounded for a method with linear regret",
)

BOUNDS: list[Bound] = [REGRET_DATA_BOUND, REGRET_BOUND, TUNED_RATE_BOUND]

#: The rate limits, name -> (limit expression, what it must evaluate to).
RATE_LIMITS: dict[str, tuple[sp.Expr, str]] = {
    "bound/sqrt(T)": (sp.Limit(REGRET_DATA_EXPR / SQRT_T, T, sp.oo), "RATE_CONSTANT"),
    "bound/T": (sp.Limit(REGRET_DATA_EXPR / T, T, sp.oo), "0 (sublinear regret)"),
}


# --- read off a run -----------------------------------------------------------------------
def window_decrements(window: np.ndarray) -> float:
    """K_T = sum_{t=2}^{T-1} (omega_t - omega_{t+1})_+ of a window series omega_1..omega_T."""
    w = np.asarray(window, dtype=float)
    return float(np.sum(np.maximum(w[1:-1] - w[2:], 0.0))) if w.size > 2 else 0.0


def data_terms(eta: np.ndarray, v: np.ndarray, mu: np.ndarray, D_inf: float) -> np.ndarray:
    r"""The bound before C2/C3 replace the run's quantities, for every horizon t <= T.

    ``eta``, ``v``: (T, d); ``mu``: (T,). Returns (T, 4): per horizon t, summed over the
    coordinates, the distance term :math:`\frac{D^2}{2}[\rho_1 + \sum_{k=2}^{t}(\rho_k -
    \rho_{k-1})_+]` (with :math:`\rho_k = (1-\mu_{k+1})/\eta_k` for k < t and
    :math:`\rho_t = 1/\eta_t`), the step term :math:`\sum_{k\le t} v_k^2/(2\eta_k)`, the
    displacement term :math:`\sum_{2\le k\le t} \mu_k v_{k-1}^2/\eta_k` and the preconditioner
    term :math:`D\sum_{k<t} \mu_{k+1}(1/\eta_{k+1} - 1/\eta_k)|v_k|`.
    """
    inv = 1.0 / eta
    T = inv.shape[0]
    mu_next = np.concatenate([mu[1:], [0.0]])[:, None]
    rho = (1.0 - mu_next) * inv                                   # weights of horizons > k
    rise = np.maximum(rho[1:] - rho[:-1], 0.0)                     # k = 2..T, (T-1, d)
    cum_rise = np.vstack([np.zeros_like(inv[:1]), np.cumsum(rise, axis=0)])  # up to k
    # At horizon t the last weight is 1/eta_t, not rho_t: replace the last rise.
    last_rise = np.vstack([np.zeros_like(inv[:1]), np.maximum(inv[1:] - rho[:-1], 0.0)])
    first = np.where(np.arange(T)[:, None] == 0, inv[:1], rho[:1])
    previous_rises = np.vstack([np.zeros_like(inv[:1]), cum_rise[:-1]])
    distance = D_inf**2 / 2 * (first + previous_rises + last_rise)
    step = np.cumsum(v**2 / (2 * eta), axis=0)
    v_prev = np.vstack([np.zeros_like(v[:1]), v[:-1]])
    displacement = np.cumsum(mu[:, None] * v_prev**2 * inv, axis=0)
    rise_inv = np.vstack([np.zeros_like(inv[:1]), inv[1:] - inv[:-1]])  # 1/eta_k - 1/eta_{k-1}
    precond = np.cumsum(D_inf * mu[:, None] * rise_inv * np.abs(v_prev), axis=0)
    return np.stack([t.sum(axis=1) for t in (distance, step, displacement, precond)], axis=1)


def data_dependent_bound(eta: np.ndarray, v: np.ndarray, mu: np.ndarray,
                         D_inf: float) -> np.ndarray:
    """The sum of :func:`data_terms`: a bound on R_t for every t <= T, computable from a run."""
    return np.asarray(data_terms(eta, v, mu, D_inf).sum(axis=1))


def run_statistics(g: np.ndarray, s_hat: np.ndarray, window: np.ndarray,
                   eps: float) -> dict[str, float]:
    """S_T, N and K_T of a run (arrays (T, d), (T, d), (T,)), the data symbols of
    REGRET_DATA_BOUND at the run's horizon."""
    root = np.sqrt(s_hat)
    return {"S_T": float(np.sum(root[-1] + eps)),
            "N": float(np.max(np.abs(g) / (root + eps))),
            "K": window_decrements(window)}


def informative_horizon(bound: Bound, values: dict[str, float], ratio: float = 0.5,
                        limit: float = 1e12) -> float | None:
    """The smallest horizon T (found by doubling then bisection) at which ``bound`` is at most
    ``ratio`` times its trivial comparator at ``values`` (all other symbols); None if none
    below ``limit``. Every regret bound here is O(sqrt(T)) against a trivial O(T)."""
    def vacuity(horizon: float) -> float:
        result = bound.vacuity(**{**values, "T": horizon})
        if result is None:
            raise ValueError(f"bound {bound.name!r} has no trivial comparator")
        return result

    low, high = 1.0, 2.0
    while vacuity(high) > ratio:
        low, high = high, high * 2
        if high > limit:
            return None
    while high - low > 1:
        mid = float(np.floor((low + high) / 2))
        low, high = (mid, high) if vacuity(mid) > ratio else (low, mid)
    return high


# --- what the bound does not cover ----------------------------------------------------------
WINDOW_GAP = {
    "name": "shrinking_window",
    "assumption": "window_decrements",
    "failing_step": "C8",
    "explanation": "Abel summation bounds sum_t rho_t (d_t - d_{t+1})/2 by D^2/2 times the "
                   "positive variation of the weights rho_t = (1 - mu_{t+1})/eta_t. When the "
                   "window shrinks, mu falls by gamma/delta and rho jumps up by "
                   "(gamma/delta)/eta_t ~ sqrt(t): K_T decrements cost (gamma K_T/delta) "
                   "D^2/(2 eta_T). The statement without the K_T term (weights nondecreasing, "
                   "as for AMSGrad's constant beta_1) is false.",
    "instance": "gamma = 0.9, delta = 10, 1/eta_t = sqrt(t), window alternating 10, 9, 10, 9, ... "
                "(mu_t alternating 0.9, 0.81), d_t = D^2 = 4 where rho_t rises and 0 where it "
                "falls, T = 1000: the telescoped sum exceeds D^2 (1 + gamma)/(2 eta_T); the "
                "check step 'gap_shrinking_window' reports by how much.",
    "check_step": "gap_shrinking_window",
}


# --- the written derivation -------------------------------------------------------------------
def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name)


_g, _e, _ep, _v, _vp = _sym("g_t"), _sym("e_t"), _sym("e_{t-1}"), _sym("v_t"), _sym("v_{t-1}")
_mu, _eta, _x, _xp = _sym(r"\mu_t"), _sym(r"\eta_t"), _sym("x_t"), _sym("x_{t-1}")

DERIVATION = Derivation(
    name="dwmgrad_constant_momentum",
    title="Regret of DWMGrad with constant momentum scale (no momentum decay)",
    proof="dwmgrad_constant_momentum",
    setting=(
        r"As for the decaying-momentum theorem, but $\mu_t=\gamma\omega_t/\delta\in"
        r"[\gamma/\delta,\gamma]$ for every $t$ (momentum\_decay $=1$). Per coordinate: "
        r"$I_t=1/\eta_t=\sqrt t(\sqrt{\hat s_t}+\varepsilon)/\alpha$ (nondecreasing), "
        r"$e_t=x_t-x^*$, $d_t=e_t^2\le D_\infty^2$, $\sigma=\sqrt{\hat s_T}+\varepsilon$, "
        r"$N=\max_{t,i}|g_{t,i}|/(\sqrt{\hat s_{t,i}}+\varepsilon)\le\sqrt\delta$, "
        r"$K_T=\sum_{t=2}^{T-1}(\omega_t-\omega_{t+1})_+$, $S_T=\sum_i\sigma_i$. Technique: "
        r"Alacaoglu, Malitsky, Mertikopoulos, Cevher (ICML 2020) telescope the momentum "
        r"term instead of bounding it per round."
    ),
    lines=(
        DerivationLine("Model. `DWMGrad(momentum_decay=1, lr_schedule='inv_sqrt', "
                       "max_second_moment=True)` followed by clamping computes the quantities "
                       "above (checked on recorded runs of the real optimizer).", None,
                       "model"),
        DerivationLine("C2. $\\hat s$ is nondecreasing, so $\\sqrt{\\hat s_t}\\le"
                       "\\sqrt{\\hat s_T}$:", sp.Le(1 / _eta, INV_STEP_BOUND), "C2"),
        DerivationLine("C3. Unrolling $v_t$ with $\\mu_j\\le\\gamma$ and $|\\eta_k g_k|\\le"
                       "\\alpha_k N$, then L4's Cauchy-Schwarz:",
                       sp.Le(sp.Abs(_v), VELOCITY_BOUND), "C3"),
        DerivationLine("C4. Substituting $\\eta_t g_t=v_t-\\mu_t v_{t-1}$ and "
                       "$e_t=e_{t-1}+(x_t-x_{t-1})$:",
                       sp.Eq(_g * _e, (_v * _e - _mu * _vp * _ep) / _eta
                             + _mu * _vp * (_xp - _x) / _eta), "C4"),
        DerivationLine("C5. $x_t=\\Pi(x_{t-1}-v_{t-1})$ with $x_{t-1}$ in the box moves by "
                       "$\\theta v_{t-1}$, $\\theta\\in[0,1]$:",
                       sp.Le(_mu * _vp * (_xp - _x) / _eta, _mu * _vp**2 / _eta), "C5"),
        DerivationLine("C6. Summation by parts ($v_0=0$, $\\mu_{T+1}:=0$): "
                       "$\\sum_t\\frac{v_te_t-\\mu_tv_{t-1}e_{t-1}}{\\eta_t}=\\sum_t v_te_t"
                       "[(1-\\mu_{t+1})I_t-\\mu_{t+1}(I_{t+1}-I_t)]$.", None, "C6"),
        DerivationLine("C7. Clamping is non-expansive: $v_te_t\\le(d_t-d_{t+1})/2+v_t^2/2$ "
                       "(weight $\\rho_t=(1-\\mu_{t+1})I_t\\ge0$); $|v_te_t|\\le|v_t|D_\\infty$ "
                       "for the weight $\\mu_{t+1}(I_{t+1}-I_t)\\ge0$.", None, "C7"),
        DerivationLine("C8. Abel summation: $\\sum_t\\rho_t(d_t-d_{t+1})/2\\le\\frac{D^2}{2}"
                       "[\\rho_1+\\sum_t(\\rho_t-\\rho_{t-1})_+]$, and "
                       "$(\\rho_t-\\rho_{t-1})_+\\le(I_t-I_{t-1})+(\\mu_t-\\mu_{t+1})_+I_T$ "
                       "(the last round adds $\\gamma I_T$), then C2 at $T$:",
                       sp.Le(_sym("A_T"), DISTANCE_TERM), "C8"),
        DerivationLine("C9. Step term by C3 and C2, then $\\sum_{t\\le T}t^{-1/2}\\le"
                       "2\\sqrt T-1$:", sp.Le(_v**2 / (2 * _eta), STEP_TERM_STEP), "C9"),
        DerivationLine("C10. Displacement term ($t\\ge2$) by $\\mu_t\\le\\gamma$, C3 at $t-1$, "
                       "C2 and $t/(t-1)\\le2$:",
                       sp.Le(_mu * _vp**2 / _eta, DISPLACEMENT_TERM_STEP), "C10"),
        DerivationLine("C11. Preconditioner term: Abel summation of $\\sum_{t<T}(I_{t+1}-I_t)"
                       "V_t$ with $V_t$ (C3) decreasing and $I_t\\le\\sqrt t\\sigma/\\alpha$, "
                       "$\\sqrt{t/(t-1)}-1\\le\\frac{1}{2(t-1)}$, $H_n\\le1+\\ln n$:",
                       sp.Le(_sym("P_T"), PRECONDITIONER_TERM), "C11"),
        DerivationLine("Theorem. Convexity (L7), C4 to C11 summed over $t$ and $i$; $N$ is "
                       "the largest over the coordinates:",
                       sp.Le(sp.Symbol("R_T"), REGRET_DATA_EXPR), "theorem"),
        DerivationLine("Worst case. $S_T\\le d(G_\\infty+\\varepsilon)$ and "
                       "$N\\le\\sqrt\\delta$ (L2):", sp.Le(sp.Symbol("R_T"), REGRET_EXPR),
                       "worst_case"),
        DerivationLine("Refinement. Before C2/C3 the bound is computable from a run "
                       "(`data_dependent_bound`) at every horizon; the theorem's trajectory "
                       "check compares both.", None, "theorem"),
        DerivationLine("Rate. With $K_T$ bounded, $R_T/\\sqrt T$ tends to a finite constant:",
                       sp.Eq(sp.Limit(REGRET_DATA_EXPR / SQRT_T, T, sp.oo), RATE_CONSTANT),
                       "rate"),
    ),
    bounds=(REGRET_DATA_BOUND.name, REGRET_BOUND.name, TUNED_RATE_BOUND.name),
    notes=("Not covered: a window that shrinks in a positive fraction of rounds ($K_T\\propto "
           "T$ makes the bound $O(T^{3/2})$); C8 without $K_T$ is false, see the check "
           "'gap_shrinking_window'."),
    latex_names=LATEX_NAMES,
)

DERIVATIONS: list[Derivation] = [DERIVATION]
