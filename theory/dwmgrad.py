r"""Regret of DWMGrad in online convex optimization: a potential-function bound derived here.

Setting (all derived here; the paper's theorem text was not available, see
``shared/docs/algorithms.md`` §1). Convex losses :math:`f_t` on the box
:math:`X = [lo, hi]^d` of side :math:`D_\infty`, gradients :math:`|g_{t,i}| \le G_\infty` at
the iterates, regret :math:`R_T = \sum_{t\le T} f_t(x_t) - \min_{x\in X}\sum_{t\le T} f_t(x)`.

Analysed algorithm (per coordinate; :math:`t = 1, 2, \dots`)::

    alpha_t = alpha / sqrt(t)                          # lr_schedule="inv_sqrt"
    omega_t in [1, delta]                              # ANY window rule
    s_t     = s_{t-1} (omega_t - 1)/omega_t + g_t^2/omega_t,   s_0 = 0
    s^_t    = max(s^_{t-1}, s_t)                       # max_second_moment=True
    eta_t   = alpha_t / (sqrt(s^_t) + eps)
    mu_t    = gamma (omega_t/delta) lambda^(t-1)       # momentum_decay=lambda < 1
    v_t     = mu_t v_{t-1} + eta_t g_t,   v_0 = 0
    x_{t+1} = clamp(x_t - v_t, lo, hi)                 # projection: the CALLER's job

:data:`ANALYSED_OPTIONS` are the ``dwmgrad.DWMGrad`` keyword arguments that make the optimizer
exactly this algorithm; the projection is not an optimizer option: the caller clamps the
parameters after every ``step`` (``p.clamp_(lo, hi)`` under ``torch.no_grad()``).

Theorem (Upper bound, derived here; every step is checked by
``proofs_check.dwmgrad_regret``)::

    R_T <= d (G + eps) [ D^2 sqrt(T)/(2 alpha) + alpha delta (2 sqrt(T) - 1)/(2 (1-gamma lambda)^3)
                         + sqrt(2) gamma lambda D sqrt(delta)
                           / ((1-gamma lambda)^(3/2) (1-lambda)) ]

so :math:`R_T = O(d\sqrt T)` and :math:`R_T/T \to 0`, for every window sequence in
:math:`[1,\delta]` (the loss-driven window needs no further condition). Constants: L4 bounds
the momentum products by :math:`\prod_{j=k+1}^t \mu_j \le (\gamma\lambda)^{t-k}` (every
factor has :math:`j \ge 2`, so :math:`\lambda^{j-1} \le \lambda`): the step and momentum terms
shrink as :math:`\lambda` falls (at :math:`\lambda \to 0` the method is RMSprop-like with a
max second moment and the step term loses its momentum factor). Cauchy-Schwarz gives
:math:`(1-\gamma\lambda)^{-3/2}` (the cruder :math:`\sum_j r^j (1+j) = (1-r)^{-2}` would
propagate to :math:`(1-r)^{-4}` in L10); the L9 sum is :math:`\lambda/(1-\lambda)`; L10
keeps :math:`2\sqrt T - 1`; and the conditions :math:`\varepsilon > 0`, :math:`x_1 \in X` and
:math:`1 \le \omega_0 \le \delta` are stated as assumptions.

What the published algorithm breaks is :data:`PAPER_ALGORITHM_GAPS`: each entry names the
assumption, the proof step that fails and a concrete instance, which
``proofs_check.dwmgrad_regret`` runs on the real optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine

# --- symbols (sign assumptions let sympy decide the steps) -------------------------------
T = sp.Symbol("T", positive=True, integer=True)
t = sp.Symbol("t", positive=True, integer=True)
d = sp.Symbol("d", positive=True, integer=True)
D_inf = sp.Symbol("D_inf", positive=True)
G_inf = sp.Symbol("G_inf", positive=True)
alpha = sp.Symbol("alpha", positive=True)
gamma = sp.Symbol("gamma", positive=True)
epsilon = sp.Symbol("epsilon", positive=True)
delta = sp.Symbol("delta", positive=True)
lam = sp.Symbol("lambda", positive=True)

LATEX_NAMES: dict[sp.Symbol, str] = {D_inf: r"D_\infty", G_inf: r"G_\infty",
                                     epsilon: r"\varepsilon"}

SYMBOLS: dict[sp.Symbol, str] = {
    T: "horizon (number of online rounds)",
    d: "dimension (number of coordinates)",
    D_inf: "side of the box domain: |x_i - y_i| <= D_inf for x, y in X",
    G_inf: "bound on every gradient coordinate at the iterates: |g_{t,i}| <= G_inf",
    alpha: "base step (lr); the step at round t is alpha/sqrt(t)",
    gamma: "momentum (paper's gamma), 0 <= gamma < 1",
    epsilon: "eps added to sqrt of the second moment, eps > 0",
    delta: "max_window (paper's delta) >= 1",
    lam: "momentum_decay lambda, 0 <= lambda < 1",
}

# --- per-lemma bounds (each is checked as a proof step; the theorem is their sum) --------
SQRT_T, SQRT_t = sp.sqrt(T), sp.sqrt(t)
#: L2: the normalised step of one coordinate, |eta_t g_t| <= alpha_t sqrt(delta).
STEP_BOUND = alpha * sp.sqrt(delta) / SQRT_t
#: L3: the inverse step, 1/eta_t <= (G + eps) sqrt(t)/alpha.
INV_STEP_BOUND = (G_inf + epsilon) * SQRT_t / alpha
#: The ratio that bounds every momentum factor from the second round on:
#: mu_j = gamma (omega_j/delta) lambda^(j-1) <= gamma lambda for j >= 2.
MOMENTUM_RATIO = gamma * lam
#: L4: the velocity, |v_t| <= alpha sqrt(delta) / ((1-gamma lambda)^(3/2) sqrt(t)).
VELOCITY_BOUND = alpha * sp.sqrt(delta) / ((1 - MOMENTUM_RATIO) ** sp.Rational(3, 2) * SQRT_t)
#: L8: the telescoped distance term of one coordinate, D^2/(2 eta_T) <= this.
DISTANCE_TERM = D_inf**2 * (G_inf + epsilon) * SQRT_T / (2 * alpha)
#: L9: one round's momentum term of one coordinate (t >= 2), and its sum over t <= T.
MOMENTUM_TERM_STEP = (sp.sqrt(2) * gamma * lam ** (t - 1) * D_inf * sp.sqrt(delta)
                      * (G_inf + epsilon) / (1 - MOMENTUM_RATIO) ** sp.Rational(3, 2))
MOMENTUM_TERM = (sp.sqrt(2) * gamma * lam * D_inf * sp.sqrt(delta) * (G_inf + epsilon)
                 / ((1 - MOMENTUM_RATIO) ** sp.Rational(3, 2) * (1 - lam)))
#: L10: one round's step term v_t^2/(2 eta_t) of one coordinate, and its sum over t <= T.
STEP_TERM_STEP = alpha * delta * (G_inf + epsilon) / (2 * (1 - MOMENTUM_RATIO) ** 3 * SQRT_t)
STEP_TERM = (alpha * delta * (G_inf + epsilon) * (2 * SQRT_T - 1)
             / (2 * (1 - MOMENTUM_RATIO) ** 3))

#: The theorem's right side, written in its own (factored) form; proofs_check verifies that
#: it equals d * (DISTANCE_TERM + STEP_TERM + MOMENTUM_TERM).
REGRET_EXPR = d * (G_inf + epsilon) * (
    D_inf**2 * SQRT_T / (2 * alpha)
    + alpha * delta * (2 * SQRT_T - 1) / (2 * (1 - MOMENTUM_RATIO) ** 3)
    + sp.sqrt(2) * gamma * lam * D_inf * sp.sqrt(delta)
    / ((1 - MOMENTUM_RATIO) ** sp.Rational(3, 2) * (1 - lam))
)

#: The trivial comparator of a regret bound on the box: every method whose iterates stay in
#: X has f_t(x_t) - f_t(x*) <= <g_t, x_t - x*> <= sum_i G_inf D_inf per round.
TRIVIAL_REGRET = T * d * G_inf * D_inf

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("convex", "every f_t is convex and differentiable on X (subgradients suffice)"),
    Assumption("box", "X = [lo, hi]^d with hi - lo = D_inf; x_1 in X; after each step the "
               "caller projects by clamping each coordinate to [lo, hi]", sp.Gt(D_inf, 0)),
    Assumption("bounded_gradients", "|g_{t,i}| <= G_inf at every iterate x_t",
               sp.Gt(G_inf, 0)),
    Assumption("inv_sqrt_step", "alpha_t = alpha/sqrt(t) (lr_schedule='inv_sqrt')",
               sp.Gt(alpha, 0)),
    Assumption("momentum_decay", "mu_t = gamma (omega_t/delta) lambda^(t-1) with "
               "0 <= gamma < 1 and 0 <= lambda < 1 (momentum_decay=lambda)",
               sp.And(sp.Lt(gamma, 1), sp.Lt(lam, 1))),
    Assumption("monotone_second_moment", "the denominator uses s^_t = max(s^_{t-1}, s_t) "
               "(max_second_moment=True), s_0 = s^_0 = 0"),
    Assumption("window_range", "omega_t in [1, delta] for every t: true for every window rule "
               "when 1 <= init_window <= max_window", sp.Ge(delta, 1)),
    Assumption("eps_positive", "eps > 0 (so eta_t is finite when s^_t = 0)",
               sp.Gt(epsilon, 0)),
)

REGRET_BOUND = Bound(
    name="dwmgrad_regret",
    quantity="R_T",
    expr=REGRET_EXPR,
    symbols=SYMBOLS,
    assumptions=ASSUMPTIONS,
    kind="upper",
    reference="derived here (potential-function argument, theory/dwmgrad.py; "
              "checked step by step in proofs_check/dwmgrad_regret.py)",
    notes="Holds for every window sequence in [1, delta], hence for all three window rules. "
          "R_T = O(d sqrt(T)); the constant is not tuned to be tight.",
    latex_names=LATEX_NAMES,
    trivial=TRIVIAL_REGRET,
    trivial_note="T d G_inf D_inf: the regret of any method that stays in the box",
)

#: The step that minimises the sqrt(T) coefficient D^2/(2 alpha) + alpha delta/(1-gamma lambda)^3,
#: solved with u = 1 - gamma lambda > 0 so that sympy keeps the power unexpanded.
_u = sp.Symbol("u", positive=True)
_COEFFICIENT_U = D_inf**2 / (2 * alpha) + alpha * delta / _u**3
_ALPHA_U = sp.solve(sp.diff(_COEFFICIENT_U, alpha), alpha)[0]
TUNED_ALPHA = _ALPHA_U.subs(_u, 1 - MOMENTUM_RATIO)
TUNED_RATE_BOUND = Bound(
    name="dwmgrad_regret_rate_tuned",
    quantity=r"\limsup_{T\to\infty} R_T/\sqrt{T}",
    expr=(d * (G_inf + epsilon) * sp.simplify(_COEFFICIENT_U.subs(alpha, _ALPHA_U))).subs(
        _u, 1 - MOMENTUM_RATIO),
    symbols={d: SYMBOLS[d], D_inf: SYMBOLS[D_inf], G_inf: SYMBOLS[G_inf],
             epsilon: SYMBOLS[epsilon], delta: SYMBOLS[delta], gamma: SYMBOLS[gamma],
             lam: SYMBOLS[lam]},
    assumptions=ASSUMPTIONS,
    kind="upper",
    reference="derived here: the limit of REGRET_BOUND / sqrt(T) at the minimising step "
              "alpha* = TUNED_ALPHA",
    notes="The sqrt(T) coefficient of REGRET_BOUND at its best alpha.",
    latex_names=LATEX_NAMES,
    trivial_note="none: R_T/sqrt(T) is unbounded for a method with linear regret",
)

BOUNDS: list[Bound] = [REGRET_BOUND, TUNED_RATE_BOUND]

#: The claimed rate as sympy limits: name -> (limit expression, what it must evaluate to).
RATE_LIMITS: dict[str, tuple[sp.Expr, str]] = {
    "bound/sqrt(T)": (sp.Limit(REGRET_EXPR / SQRT_T, T, sp.oo),
                      "finite positive constant RATE_CONSTANT"),
    "bound/T": (sp.Limit(REGRET_EXPR / T, T, sp.oo), "0 (sublinear regret)"),
}
RATE_CONSTANT = d * (G_inf + epsilon) * (D_inf**2 / (2 * alpha)
                                         + alpha * delta / (1 - MOMENTUM_RATIO) ** 3)

# --- the analysed optimizer --------------------------------------------------------------
#: The momentum decay lambda used by ANALYSED_OPTIONS (any value in [0, 1) is covered).
ANALYSED_MOMENTUM_DECAY = 0.99
#: ``dwmgrad.DWMGrad`` keyword arguments that make it exactly the analysed algorithm. The
#: window rule is free (every rule keeps omega_t in [1, delta]); the projection onto the box
#: is the caller's (clamp after each step), not an optimizer option.
ANALYSED_OPTIONS: dict[str, object] = {
    "lr_schedule": "inv_sqrt",
    "momentum_decay": ANALYSED_MOMENTUM_DECAY,
    "max_second_moment": True,
}

_NUMERIC_ARGS = [T, d, D_inf, G_inf, alpha, gamma, epsilon, delta, lam]


def per_round(expr: sp.Expr) -> Callable[..., np.ndarray]:
    """Numeric twin of a per-lemma bound, arguments ``(t, alpha, gamma, eps, delta, lam, G, D)``.

    Used by the trajectory checks so that the bound a run is compared with is the sympy
    expression of the lemma, not a copy.
    """
    return sp.lambdify([t, alpha, gamma, epsilon, delta, lam, G_inf, D_inf], expr, "numpy")


def _check_positive(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"Invalid {name}: {value!r}; expected a finite number > 0")


def regret_bound(T: int, d: int, D_inf: float, G_inf: float, *, lr: float = 1e-3,
                 momentum: float = 0.9, eps: float = 1e-8, max_window: float = 10.0,
                 momentum_decay: float = ANALYSED_MOMENTUM_DECAY) -> float:
    """:data:`REGRET_BOUND` evaluated through its ``lambdify`` twin (no hand-copied formula).

    ``T`` rounds on ``d`` coordinates, box side ``D_inf``, gradient bound ``G_inf``; the
    hyperparameters are DWMGrad's (``lr`` = alpha of alpha/sqrt(t)). Upper bound on R_T for
    ``DWMGrad(**ANALYSED_OPTIONS, momentum_decay=momentum_decay)`` with clamping.
    """
    if int(T) != T or T < 1:
        raise ValueError(f"Invalid T: {T!r}; expected an integer >= 1")
    if int(d) != d or d < 1:
        raise ValueError(f"Invalid d: {d!r}; expected an integer >= 1")
    for name, value in (("D_inf", D_inf), ("G_inf", G_inf), ("lr", lr), ("eps", eps)):
        _check_positive(name, value)
    if not 0 <= momentum < 1:
        raise ValueError(f"Invalid momentum: {momentum!r}; expected 0 <= momentum < 1")
    if not 0 <= momentum_decay < 1:
        raise ValueError(f"Invalid momentum_decay: {momentum_decay!r}; expected a value in "
                         "[0, 1) (the bound needs decaying momentum)")
    if not max_window >= 1:
        raise ValueError(f"Invalid max_window: {max_window!r}; expected >= 1")
    values = {"T": T, "d": d, "D_inf": D_inf, "G_inf": G_inf, "alpha": lr, "gamma": momentum,
              "epsilon": eps, "delta": max_window, "lambda": momentum_decay}
    return REGRET_BOUND.evaluate(**values)


def data_dependent_bound(eta: np.ndarray, v: np.ndarray, mu: np.ndarray,
                         D_inf: float) -> np.ndarray:
    r"""The refinement read off a run: the bound on :math:`R_t` for every ``t <= T``.

    ``eta``, ``v``: arrays (T, d) of eta_t and v_t; ``mu``: (T,) of mu_t. Before L3/L4/L9/L10
    replace the run's quantities by worst cases, the proof gives (L6 to L8)

    .. math:: R_t \le \sum_i \Big[\frac{D_\infty^2}{2\eta_{t,i}}
        + \sum_{k\le t} \frac{\mu_k |v_{k-1,i}| D_\infty}{\eta_{k,i}}
        + \sum_{k\le t} \frac{v_{k,i}^2}{2\eta_{k,i}}\Big].
    """
    v_prev = np.vstack([np.zeros_like(v[:1]), v[:-1]])
    momentum = np.cumsum(mu[:, None] * np.abs(v_prev) * D_inf / eta, axis=0)
    step = np.cumsum(v**2 / (2 * eta), axis=0)
    return np.sum(D_inf**2 / (2 * eta) + momentum + step, axis=1)


# --- what the published algorithm breaks ---------------------------------------------------
@dataclass(frozen=True)
class AssumptionGap:
    """One assumption the paper's algorithm breaks, the step that fails, and an instance.

    ``published`` are the DWMGrad options (on top of :data:`ANALYSED_OPTIONS`) that restore the
    published behaviour; the instance is a gradient sequence (linear losses f_t(x) = g_t x on
    the box, or on the real line when ``projected`` is False) run by ``proofs_check`` step
    ``check_step`` on the real optimizer.
    """

    name: str
    assumption: str
    published: dict[str, object]
    failing_step: str
    explanation: str
    instance: str
    check_step: str
    gradients: Callable[[int], np.ndarray] = field(repr=False)
    projected: bool = True

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "assumption": self.assumption, "published": self.published,
                "failing_step": self.failing_step, "explanation": self.explanation,
                "instance": self.instance, "check_step": self.check_step}


def _spike_then_small(T: int) -> np.ndarray:
    g = np.full(T, 0.01)
    g[0] = 1.0
    return g


def _alternating(T: int) -> np.ndarray:
    return np.where(np.arange(1, T + 1) % 2 == 1, 1.0, -1.0)


def _constant(T: int) -> np.ndarray:
    return np.ones(T)


PAPER_ALGORITHM_GAPS: list[AssumptionGap] = [
    AssumptionGap(
        name="shrinking_second_moment",
        assumption="monotone_second_moment",
        published={"max_second_moment": False},
        failing_step="L3 (hence L8)",
        explanation="The telescoping of L8 needs 1/eta_t = (sqrt(s_t)+eps) sqrt(t)/alpha to be "
                    "nondecreasing. s_t is a window average of g^2: after a large gradient "
                    "followed by small ones it shrinks by (omega-1)/omega per round, faster than "
                    "sqrt(t) grows, so 1/eta_t decreases and the telescoped sum is no longer "
                    "bounded by D^2/(2 eta_T).",
        instance="d = 1, f_t(x) = g_t x on [-1, 1] with g_1 = 1, g_t = 0.01 for t >= 2, "
                 "window rule 'loss' from init_window = max_window = 10 (the losses are <= 0, "
                 "so the window shrinks to 1 and s_t falls to about g_t^2): 1/eta_t decreases; "
                 "the check step reports where and by how much.",
        check_step="gap:shrinking_second_moment",
        gradients=_spike_then_small,
    ),
    AssumptionGap(
        name="constant_step",
        assumption="inv_sqrt_step",
        published={"lr_schedule": "constant"},
        failing_step="L10",
        explanation="With alpha_t = alpha the step term v_t^2/(2 eta_t) does not decay: each "
                    "round adds a constant, so its sum, and the bound, grow like T.",
        instance="d = 1, g_t = +1, -1, +1, ... on [-1, 1]: sum_t v_t^2/(2 eta_t) grows "
                 "linearly in T: the check requires a log-log slope >= 0.8 between T = 500 and "
                 "T = 2000 (a sqrt(T) quantity has 0.5) and reports the measured one.",
        check_step="gap:constant_step",
        gradients=_alternating,
    ),
    AssumptionGap(
        name="non_decaying_momentum",
        assumption="momentum_decay",
        published={"momentum_decay": 1.0},
        failing_step="L9",
        explanation="With mu_t -> gamma (omega_t/delta) the momentum term mu_t |v_{t-1}| D/eta_t "
                    "stays of order gamma D G/(1-gamma): v_{t-1} and eta_t shrink at the same "
                    "rate, so its sum grows like T. This argument then gives no sublinear "
                    "bound: a limit of the argument, not of the algorithm. "
                    "theory.dwmgrad_constant_momentum telescopes the momentum term instead "
                    "(Alacaoglu et al., ICML 2020) and proves O(sqrt(T)) regret with "
                    "momentum_decay = 1 whenever the window shrinks finitely often.",
        instance="d = 1, g_t = +1, -1, +1, ... on [-1, 1]: sum_t mu_t |v_{t-1}|/eta_t grows "
                 "linearly in T: the check requires a log-log slope >= 0.8 between T = 500 and "
                 "T = 2000 (a sqrt(T) quantity has 0.5) and reports the measured one.",
        check_step="gap:non_decaying_momentum",
        gradients=_alternating,
    ),
    AssumptionGap(
        name="no_projection",
        assumption="box",
        published={},
        failing_step="L8 (and the comparator)",
        explanation="Without projection the iterates leave every bounded set, so no D_inf "
                    "bounds |x_t - x*| in L8, and for linear losses min_x sum_t f_t(x) = -inf "
                    "over R^d: the regret is infinite for every algorithm.",
        instance="d = 1, f_t(x) = x on the real line (g_t = 1), analysed options: s^_t <= 1 "
                 "and v_t >= eta_t g_t, so x_1 - x_{t+1} >= alpha (2 sqrt(t+1) - 2)/(1+eps) "
                 "for every t, which exceeds every D_inf.",
        check_step="gap:no_projection",
        gradients=_constant,
        projected=False,
    ),
]

WINDOW_NOTE = ("The loss-driven window is not a gap: the proof uses the window only through "
               "1 <= omega_t <= delta (L1, L2, and mu_t <= gamma lambda^(t-1)), which every window "
               "rule keeps when 1 <= init_window <= max_window; the trajectory checks run the "
               "'loss', 'loss_decrease' and 'loss_increase' rules.")


# --- the written derivation (the appendix is generated from it) -----------------------------
def _sym(name: str, **assumptions: bool) -> sp.Symbol:
    return sp.Symbol(name, **assumptions)


_s_t, _s_prev, _g, _w = _sym("s_t"), _sym("s_{t-1}"), _sym("g_t"), _sym(r"\omega_t")
_sh, _eta, _v, _vp = _sym(r"\hat{s}_t"), _sym(r"\eta_t"), _sym("v_t"), _sym("v_{t-1}")
_x, _xn, _xs, _mu = _sym("x_t"), _sym("x_{t+1}"), _sym("x^*"), _sym(r"\mu_t")

DERIVATION = Derivation(
    name="dwmgrad_regret",
    title="Regret of DWMGrad with a decaying step, decaying momentum and a monotone second moment",
    proof="dwmgrad_regret",
    setting=(
        r"Convex $f_t$ on the box $X=[lo,hi]^d$ of side $D_\infty$, $|g_{t,i}|\le G_\infty$, "
        r"$R_T=\sum_{t\le T}f_t(x_t)-\min_{x\in X}\sum_{t\le T}f_t(x)$. Per coordinate: "
        r"$\alpha_t=\alpha/\sqrt t$, $\omega_t\in[1,\delta]$ (any window rule), "
        r"$s_t=s_{t-1}\frac{\omega_t-1}{\omega_t}+\frac{g_t^2}{\omega_t}$, "
        r"$\hat s_t=\max(\hat s_{t-1},s_t)$, $\eta_t=\alpha_t/(\sqrt{\hat s_t}+\varepsilon)$, "
        r"$\mu_t=\gamma\frac{\omega_t}{\delta}\lambda^{t-1}$, "
        r"$v_t=\mu_t v_{t-1}+\eta_t g_t$, $x_{t+1}=\Pi_X(x_t-v_t)$ (clamping), "
        r"$s_0=\hat s_0=v_0=0$, $x_1\in X$, $\varepsilon>0$, $0\le\gamma,\lambda<1$."
    ),
    lines=(
        DerivationLine("Model. `DWMGrad(**ANALYSED_OPTIONS)` followed by clamping computes "
                       "exactly the quantities above (checked on recorded runs of the real "
                       "optimizer, every window rule).", None, "model"),
        DerivationLine("L1. The window average is a convex combination of $s_{t-1}$ and "
                       "$g_t^2$, so by induction $0\\le s_t\\le G_\\infty^2$ and "
                       "$\\hat s_t\\le G_\\infty^2$.",
                       sp.Le(_s_t, G_inf**2), "L1"),
        DerivationLine("L2. Since $s_{t-1}\\ge0$ and $\\omega_t\\le\\delta$: "
                       "$\\hat s_t\\ge s_t\\ge g_t^2/\\omega_t\\ge g_t^2/\\delta$, so the "
                       "normalised step is bounded (the window bounds it; $\\varepsilon$ only "
                       "helps).", sp.Le(sp.Abs(_eta * _g), STEP_BOUND), "L2"),
        DerivationLine("L3. $\\hat s_t$ is nondecreasing and $\\alpha_t$ decreasing, so "
                       "$1/\\eta_t$ is nondecreasing, and by L1 it is bounded.",
                       sp.Le(1 / _eta, INV_STEP_BOUND), "L3"),
        DerivationLine("L4. Unrolling $v_t=\\sum_{k\\le t}(\\prod_{j=k+1}^t\\mu_j)\\eta_k g_k$ "
                       "with $\\mu_j\\le\\gamma\\lambda^{j-1}\\le\\gamma\\lambda=r$ ($j\\ge2$) "
                       "and L2, then $t/k\\le 1+t-k$ and "
                       "Cauchy-Schwarz, $\\sum_{j\\ge0}r^j\\sqrt{1+j}\\le"
                       "\\sqrt{\\sum_j r^j\\sum_j r^j(1+j)}=(1-r)^{-3/2}$:",
                       sp.Le(sp.Abs(_v), VELOCITY_BOUND), "L4"),
        DerivationLine("L5. Clamping to an interval containing $x^*$ is non-expansive "
                       "coordinatewise.",
                       sp.Le((_xn - _xs) ** 2, (_x - _v - _xs) ** 2), "L5"),
        DerivationLine("L6. Expanding the square and substituting "
                       "$v_t=\\eta_t g_t+\\mu_t v_{t-1}$ (divide by $2\\eta_t>0$):",
                       sp.Le(_g * (_x - _xs), ((_x - _xs) ** 2 - (_xn - _xs) ** 2) / (2 * _eta)
                             - _mu * _vp * (_x - _xs) / _eta + _v**2 / (2 * _eta)), "L6"),
        DerivationLine("L7. Convexity: $f_t(x_t)-f_t(x^*)\\le\\langle g_t,x_t-x^*\\rangle$, "
                       "so $R_T\\le\\sum_t\\sum_i g_{t,i}(x_{t,i}-x^*_i)$.", None, "L7"),
        DerivationLine("L8. Abel summation with $1/\\eta_t$ nondecreasing (L3) and "
                       "$(x_t-x^*)^2\\in[0,D_\\infty^2]$: "
                       "$\\sum_{t\\le T}\\frac{(x_t-x^*)^2-(x_{t+1}-x^*)^2}{2\\eta_t}\\le"
                       "\\frac{D_\\infty^2}{2\\eta_T}$, and by L3:",
                       sp.Le(D_inf**2 / (2 * _sym(r"\eta_T")), DISTANCE_TERM), "L8"),
        DerivationLine("L9. Momentum term, $t\\ge2$ ($v_0=0$): by $\\mu_t\\le\\gamma"
                       "\\lambda^{t-1}$, L4 at $t-1$, L3, $|x_t-x^*|\\le D_\\infty$ and "
                       "$t/(t-1)\\le2$; then "
                       "$\\sum_{t=2}^T\\lambda^{t-1}\\le\\lambda/(1-\\lambda)$:",
                       sp.Le(sp.Abs(_mu * _vp * (_x - _xs) / _eta), MOMENTUM_TERM_STEP), "L9"),
        DerivationLine("L10. Step term by L4 and L3, then $\\sum_{t\\le T}t^{-1/2}\\le "
                       "2\\sqrt T-1$ (from $1/\\sqrt t\\le 2(\\sqrt t-\\sqrt{t-1})$):",
                       sp.Le(_v**2 / (2 * _eta), STEP_TERM_STEP), "L10"),
        DerivationLine("Theorem. Summing L6 over $t$ and $i$ and using L7 to L10, the bound "
                       "is $d$ times the sum of the three terms:",
                       sp.Le(sp.Symbol("R_T"), REGRET_EXPR), "theorem"),
        DerivationLine("Refinement. Stopping before L3, L4, L9 and L10 replace the run's "
                       "quantities by worst cases gives a bound computable from a run "
                       "(`data_dependent_bound`), at every horizon $t$:",
                       r"R_t \le \sum_i \Big[\frac{D_\infty^2}{2\eta_{t,i}} + \sum_{k\le t}"
                       r"\frac{\mu_k |v_{k-1,i}| D_\infty}{\eta_{k,i}} + \sum_{k\le t}"
                       r"\frac{v_{k,i}^2}{2\eta_{k,i}}\Big]", "refinement"),
        DerivationLine("Rate. $R_T/\\sqrt T$ tends to a finite positive constant and "
                       "$R_T/T\\to0$:",
                       sp.Eq(sp.Limit(REGRET_EXPR / SQRT_T, T, sp.oo), RATE_CONSTANT), "rate"),
    ),
    bounds=(REGRET_BOUND.name, TUNED_RATE_BOUND.name),
    notes=WINDOW_NOTE,
    latex_names=LATEX_NAMES,
)

DERIVATIONS: list[Derivation] = [DERIVATION]
