"""Identities of the other seeds: Demon's schedule, Aida's projections, the ε floor.

* **Demon** (seed 002, Chen et al., arXiv 1910.04952):
  ``β_t = β₀(1 − t/T)/((1 − β₀) + β₀(1 − t/T))`` is the schedule whose odds decay linearly,
  ``β_t/(1 − β_t) = (1 − t/T)·β₀/(1 − β₀)``; ``β_0 = β₀``, ``β_T = 0``, and
  ``dβ_t/dt = −β₀(1 − β₀)/(T·((1 − β₀) + β₀(1 − t/T))²) < 0`` (Tight, derived here).
* **Aida** (seed 003, Zhang, Niwa, Kleijn, arXiv 2203.13273), ξ → 0: K simultaneous mutual
  projections ``a ← a⟨a,b⟩/‖a‖², b ← b⟨a,b⟩/‖b‖²`` from ``a = g, b = m`` keep
  ``a_K = p_K g``, ``b_K = q_K m`` with, writing ``c = cos∠(g, m)``,
  ``u = ⟨g,m⟩/‖g‖²``, ``w = ⟨g,m⟩/‖m‖²`` (so ``uw = c²``):

      K = 2j:     p_K = q_K = c^{2j},          r_K = b_K − a_K = c^K (m − g)
      K = 2j+1:   p_K = c^{2j} u, q_K = c^{2j} w, r_K = c^K (‖g‖ m/‖m‖ − ‖m‖ g/‖g‖)

  (K = 2 gives the spec's ``r = cos²θ (m − g)``; derived here, Tight).
* **ε floor** (Aida and AdaBelief add ε to the state every step):
  ``s_t = β₂ s_{t−1} + (1 − β₂) r_t² + ε`` with ``s_0 ≥ 0`` gives
  ``s_t ≥ ε(1 − β₂^t)/(1 − β₂)`` (Tight: attained when r ≡ 0 and s_0 = 0), so the
  bias-corrected ``ŝ_t = s_t/(1 − β₂^t) ≥ ε/(1 − β₂)`` for every t ≥ 1: the factor
  ``1 − β₂^t`` cancels exactly, and the spec's cap on Aida's per-coordinate step multiplier,
  ``(α/(1 − β₁^t))·√((1 − β₂)/ε)``, is exact (no t-dependent correction is needed).

The proof steps are in :mod:`proofs_check.identities`.
"""

from __future__ import annotations

import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine

# --- Demon --------------------------------------------------------------------------------
t = sp.Symbol("t", nonnegative=True)
T = sp.Symbol("T", positive=True)
beta_init = sp.Symbol("beta_init", positive=True)

REMAINING = 1 - t / T
DEMON_BETA = beta_init * REMAINING / ((1 - beta_init) + beta_init * REMAINING)
"""Demon's β_t (spec §3)."""
DEMON_ODDS = REMAINING * beta_init / (1 - beta_init)
DEMON_DERIVATIVE = -beta_init * (1 - beta_init) / (
    T * ((1 - beta_init) + beta_init * REMAINING) ** 2)
DEMON_TABLE = {0.0: 0.9, 0.25: 0.870968, 0.5: 0.818182, 0.75: 0.692308, 1.0: 0.0}
"""Spec §3: β_t for β_init = 0.9 at t/T = 0, .25, .5, .75, 1 (6 decimals)."""

# --- Aida -----------------------------------------------------------------------------------
cos_theta = sp.Symbol("c", real=True)
u = sp.Symbol("u", real=True)
w = sp.Symbol("w", real=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
K = sp.Symbol("K", integer=True, nonnegative=True)
g_i, m_i = sp.symbols("g_i m_i", real=True)
norm_g, norm_m = sp.symbols("norm_g norm_m", positive=True)
xi = sp.Symbol("xi", positive=True)


def projection_step(p: sp.Expr, q: sp.Expr, gg: sp.Expr, mm: sp.Expr, gm: sp.Expr,
                    reg: sp.Expr = 0) -> tuple[sp.Expr, sp.Expr]:
    """One simultaneous projection on the coefficients of ``a = p g``, ``b = q m``.

    ``gg = ‖g‖²``, ``mm = ‖m‖²``, ``gm = ⟨g, m⟩``, ``reg = ξ``:
    ``c = ⟨a, b⟩ = pq⟨g,m⟩``, ``a ← a c/(‖a‖² + ξ)``, ``b ← b c/(‖b‖² + ξ)``.
    """
    inner = p * q * gm
    return p * inner / (p**2 * gg + reg), q * inner / (q**2 * mm + reg)


def projection_coefficients(k: int) -> tuple[sp.Expr, sp.Expr]:
    """``(p_k, q_k)`` in ``u = ⟨g,m⟩/‖g‖²``, ``w = ⟨g,m⟩/‖m‖²`` after ``k`` steps (ξ = 0)."""
    gm = sp.Symbol("gm", real=True)
    p, q = sp.Integer(1), sp.Integer(1)
    for _ in range(k):
        p, q = projection_step(p, q, gm / u, gm / w, gm)
        p, q = sp.simplify(p), sp.simplify(q)
    return p, q


EVEN_P = cos_theta ** (2 * j)
"""p_K = q_K for K = 2j (in c² = uw)."""
ODD_P = cos_theta ** (2 * j) * u
ODD_Q = cos_theta ** (2 * j) * w
RESIDUAL_EVEN = cos_theta**K * (m_i - g_i)
"""Coordinate i of r_K = b_K − a_K for even K (ξ → 0)."""
RESIDUAL_ODD = cos_theta**K * (norm_g * m_i / norm_m - norm_m * g_i / norm_g)
"""Coordinate i of r_K for odd K (ξ → 0)."""

# --- ε floor --------------------------------------------------------------------------------
eps = sp.Symbol("epsilon", positive=True)
beta1 = sp.Symbol("beta1", positive=True)
beta2 = sp.Symbol("beta2", positive=True)
alpha = sp.Symbol("alpha", positive=True)
step_t = sp.Symbol("t", integer=True, positive=True)

RAW_FLOOR = eps * (1 - beta2**step_t) / (1 - beta2)
"""``ε(1 − β₂^t)/(1 − β₂)``: the smallest s_t from s_0 = 0 (all r = 0)."""
CORRECTED_FLOOR = eps / (1 - beta2)
"""``ε/(1 − β₂)``: the floor of ŝ_t = s_t/(1 − β₂^t), the same at every t (checked equal to
``RAW_FLOOR/(1 − β₂^t)`` in :mod:`proofs_check.identities`)."""
AIDA_CAP = alpha / (1 - beta1**step_t) * sp.sqrt((1 - beta2) / eps)
"""The spec's cap on Aida's per-coordinate multiplier ``(α/(1−β₁^t))/√ŝ_t`` (checked equal to
its value at the floor)."""
ADABELIEF_CAP = alpha / (1 - beta1**step_t) / (sp.sqrt(CORRECTED_FLOOR) + eps)
"""AdaBelief's ``(α/(1−β₁^t))/(√ŝ_t + ε)`` at the floor (its ε is also outside the root)."""

# --- assumptions and bounds ---------------------------------------------------------------
DEMON_RANGE = Assumption("demon_range", "0 < β_init < 1 and 0 ≤ t ≤ T",
                         sp.And(sp.Lt(beta_init, 1), sp.Le(t, T)))
XI_LIMIT = Assumption("xi_to_zero", "ξ → 0 (the code uses ξ = 1e-20); g, m ≠ 0 in the layer")
STATE_RECURSION = Assumption(
    "eps_in_state",
    "s_t = β₂ s_{t−1} + (1 − β₂) r_t² + ε with s_0 ≥ 0 (Aida, AdaBelief: ε added every step)",
    sp.And(sp.Gt(beta2, 0), sp.Lt(beta2, 1)),
)
BIAS_CORRECTION = Assumption("bias_correction", "ŝ_t = s_t/(1 − β₂^t), t ≥ 1")

_FLOOR_SYMBOLS = {eps: "ε added to the state each step", beta2: "second-moment decay β₂",
                  step_t: "step count t ≥ 1"}
_CAP_SYMBOLS = {alpha: "learning rate α", beta1: "first-moment decay β₁",
                beta2: "second-moment decay β₂", eps: "ε", step_t: "step count t ≥ 1"}
_LATEX = {beta_init: r"\beta_{\mathrm{init}}", cos_theta: r"(\cos\theta)", norm_g: r"\|g\|",
          norm_m: r"\|m\|", eps: r"\epsilon", beta1: r"\beta_1", beta2: r"\beta_2"}
SEED_002 = "seed 002 (Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952), §3 of the spec"
SEED_003 = "seed 003 (Zhang, Niwa, Kleijn, arXiv 2203.13273), authors' code; derived here"

BOUNDS: list[Bound] = [
    Bound("demon_schedule", r"\beta_t", DEMON_BETA,
          {beta_init: "initial momentum β_init", t: "step", T: "total steps"},
          (DEMON_RANGE,), "tight", SEED_002, latex_names=_LATEX),
    Bound("demon_odds", r"\frac{\beta_t}{1 - \beta_t}", DEMON_ODDS,
          {beta_init: "initial momentum β_init", t: "step", T: "total steps"},
          (DEMON_RANGE,), "tight", SEED_002, notes="the odds decay linearly to 0 at t = T",
          latex_names=_LATEX),
    Bound("aida_residual_even_k", r"(b_K - a_K)_i \ (K \text{ even})", RESIDUAL_EVEN,
          {cos_theta: "cos of the angle between g_t and m_t in the layer",
           K: "number of projections", m_i: "coordinate i of m_t", g_i: "coordinate i of g_t"},
          (XI_LIMIT,), "tight", SEED_003, notes="K = 2: cos²θ (m − g)", latex_names=_LATEX),
    Bound("aida_residual_odd_k", r"(b_K - a_K)_i \ (K \text{ odd})", RESIDUAL_ODD,
          {cos_theta: "cos of the angle between g_t and m_t in the layer",
           K: "number of projections", m_i: "coordinate i of m_t", g_i: "coordinate i of g_t",
           norm_g: "‖g_t‖ over the layer", norm_m: "‖m_t‖ over the layer"},
          (XI_LIMIT,), "tight", SEED_003, latex_names=_LATEX),
    Bound("second_moment_raw_floor", r"s_t", RAW_FLOOR, _FLOOR_SYMBOLS,
          (STATE_RECURSION,), "lower", SEED_003,
          notes="attained with s_0 = 0 and r ≡ 0", latex_names=_LATEX),
    Bound("second_moment_corrected_floor", r"\hat s_t", CORRECTED_FLOOR,
          {eps: "ε added to the state each step", beta2: "second-moment decay β₂"},
          (STATE_RECURSION, BIAS_CORRECTION), "lower", SEED_003,
          notes="the spec's ŝ_t ≥ ε/(1−β₂) is exact at every t", latex_names=_LATEX),
    Bound("aida_step_multiplier_cap", r"\frac{\alpha}{1-\beta_1^t}\,\hat s_{t,i}^{-1/2}",
          AIDA_CAP, _CAP_SYMBOLS, (STATE_RECURSION, BIAS_CORRECTION), "upper", SEED_003,
          notes="|θ_t − θ_{t−1}|_i ≤ cap·|m_{t,i}|; attained where r_i ≡ 0",
          latex_names=_LATEX),
    Bound("adabelief_step_multiplier_cap",
          r"\frac{\alpha}{1-\beta_1^t}\,(\hat s_{t,i}^{1/2} + \epsilon)^{-1}", ADABELIEF_CAP,
          _CAP_SYMBOLS, (STATE_RECURSION, BIAS_CORRECTION), "upper",
          "Zhuang et al. (2020), AdaBelief, authors' package semantics; derived here",
          latex_names=_LATEX),
]

_s_prev = sp.Symbol("s_{t-1}", nonnegative=True)
DERIVATIONS: list[Derivation] = [
    Derivation(
        name="demon_schedule", title="Demon's momentum schedule", proof="demon_schedule",
        setting="Demon decays the momentum so that its odds $\\beta_t/(1-\\beta_t)$ fall "
                "linearly to 0 over $T$ steps (spec §3).",
        lines=(
            DerivationLine("The schedule.", sp.Eq(sp.Symbol("beta_t"), DEMON_BETA)),
            DerivationLine("Its odds decay linearly.",
                           sp.Eq(sp.Symbol("beta_t") / (1 - sp.Symbol("beta_t")), DEMON_ODDS),
                           "odds_linear"),
            DerivationLine("Ends: β_0 = β_init and β_T = 0.", r"\beta_0 = \beta_{\mathrm{init}},"
                           r"\ \beta_T = 0", "endpoints"),
            DerivationLine("Derivative in t.",
                           r"\frac{d\beta_t}{dt} = " + sp.latex(DEMON_DERIVATIVE,
                                                              symbol_names=_LATEX),
                           "derivative"),
            DerivationLine("which is negative for 0 < β_init < 1, t < T: β_t decreases.",
                           sp.Lt(DEMON_DERIVATIVE, 0), "decreasing"),
            DerivationLine("Values at β_init = 0.9, t/T = 0, .25, .5, .75, 1.",
                           r"0.9,\ 0.870968,\ 0.818182,\ 0.692308,\ 0", "spec_values"),
        ),
        bounds=("demon_schedule", "demon_odds"), latex_names=_LATEX,
    ),
    Derivation(
        name="aida_projection", title="Aida's K mutual projections in closed form",
        proof="aida_projection",
        setting="In one layer, $a \\leftarrow g_t$, $b \\leftarrow m_t$, then K times "
                "simultaneously $c = \\langle a,b\\rangle$, $a \\leftarrow a c/(\\|a\\|^2+\\xi)$, "
                "$b \\leftarrow b c/(\\|b\\|^2+\\xi)$. Write $a_k = p_k g$, $b_k = q_k m$, "
                "$u = \\langle g,m\\rangle/\\|g\\|^2$, $w = \\langle g,m\\rangle/\\|m\\|^2$, "
                "$uw = \\cos^2\\theta$.",
        lines=(
            DerivationLine("As ξ → 0 one step maps the coefficients (p, q) to (q u, p w).",
                           r"p_{k+1} = q_k u,\quad q_{k+1} = p_k w", "step_limit"),
            DerivationLine("Even K = 2j: p = q = cos^{2j}θ.", sp.Eq(sp.Symbol("p_2j"), EVEN_P),
                           "even_closed_form"),
            DerivationLine("Odd K = 2j+1: p = cos^{2j}θ u, q = cos^{2j}θ w.",
                           sp.Eq(sp.Symbol("p_2j+1"), ODD_P), "odd_closed_form"),
            DerivationLine("(the closed forms against the first seven projections computed "
                           "symbolically)", None, "closed_forms_symbolic"),
            DerivationLine("Hence r_K = b_K − a_K for even K.",
                           sp.Eq(sp.Symbol("r_K,i"), RESIDUAL_EVEN), "even_residual"),
            DerivationLine("and for odd K.", sp.Eq(sp.Symbol("r_K,i"), RESIDUAL_ODD),
                           "odd_residual"),
            DerivationLine("The closed forms match the literal recursion (ξ = 1e-20) on random "
                           "layers for K = 0..7.", None, "closed_forms_numeric"),
            DerivationLine("... and dwmgrad.aida.projected_difference.", None,
                           "closed_forms_implementation"),
        ),
        bounds=("aida_residual_even_k", "aida_residual_odd_k"), latex_names=_LATEX,
    ),
    Derivation(
        name="second_moment_floor", title="The ε floor of the second moment (Aida, AdaBelief)",
        proof="second_moment_floor",
        setting="$s_t = \\beta_2 s_{t-1} + (1-\\beta_2) r_t^2 + \\epsilon$, $s_0 \\ge 0$, "
                "$\\hat s_t = s_t/(1-\\beta_2^t)$.",
        lines=(
            DerivationLine("Dropping (1 − β₂) r_t² ≥ 0 and inducting on s_{t−1} ≥ F(t−1):",
                           sp.Eq(beta2 * RAW_FLOOR.subs(step_t, step_t - 1) + eps, RAW_FLOOR),
                           "raw_floor_induction"),
            DerivationLine("so s_t ≥ ε(1 − β₂^t)/(1 − β₂), and the bias correction cancels "
                           "the t-dependence exactly.",
                           r"\hat s_t \ge \frac{\epsilon}{1 - \beta_2}", "corrected_floor"),
            DerivationLine("Random sequences r_t: ŝ_t never falls below ε/(1 − β₂), and equals "
                           "it when r ≡ 0.", None, "floor_numeric"),
            DerivationLine("Aida's step multiplier is therefore capped.",
                           r"\frac{\alpha}{1-\beta_1^t}\,\hat s_{t,i}^{-1/2} \le "
                           + sp.latex(AIDA_CAP, symbol_names=_LATEX), "aida_cap"),
            DerivationLine("AdaBelief keeps ε also outside the root, so its cap is "
                           "(α/(1 − β₁^t))/(√(ε/(1 − β₂)) + ε).",
                           sp.latex(ADABELIEF_CAP, symbol_names=_LATEX), None),
            DerivationLine("On dwmgrad.Aida and dwmgrad.AdaBelief runs ŝ_t ≥ ε/(1 − β₂) and "
                           "|Δθ_i| ≤ cap·|m_i| at every step.", None,
                           "second_moment_trajectory"),
        ),
        bounds=("second_moment_raw_floor", "second_moment_corrected_floor",
                "aida_step_multiplier_cap", "adabelief_step_multiplier_cap"),
        notes="Finding: the spec's cap (α/(1−β₁^t))·√((1−β₂)/ε) is exact; the 1 − β₂^t of the "
              "raw floor cancels against the bias correction.",
        latex_names=_LATEX,
    ),
]
