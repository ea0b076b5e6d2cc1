"""Heavy ball on quadratics: Polyak's optimal tuning derived from the 2x2 iteration matrix.

Setting (Polyak 1964; Lessard, Recht, Packard 2016, §3-4 for the control view): minimise
``f(x) = ½ xᵀAx − bᵀx`` with ``μI ⪯ A ⪯ LI``, ``κ = L/μ``, by heavy ball

    x_{k+1} = x_k − α ∇f(x_k) + β (x_k − x_{k−1}).

In an eigenbasis of ``A`` each coordinate's error ``(e_{k+1}, e_k)`` is multiplied by

    M(α, β, λ) = [[1 + β − αλ, −β], [1, 0]],   det(M − zI) = z² − (1 + β − αλ) z + β,

one matrix per eigenvalue ``λ ∈ [μ, L]``. Everything below is derived from that polynomial:

* complex-root regime (discriminant < 0): both roots have ``|z| = √β`` (their product is β);
* Polyak's tuning puts the endpoints ``λ = μ`` and ``λ = L`` exactly on the double-root
  boundary, which gives ``α* = 4/(√L + √μ)²``, ``β* = ((√L − √μ)/(√L + √μ))²`` and
  ``ρ* = √β* = (√κ − 1)/(√κ + 1)`` for every ``λ ∈ [μ, L]`` (Tight);
* no (α, β) does better: the worst radius over the two endpoints alone is ≥ ρ* (Tight);
* at the endpoints the double root makes ``M`` a Jordan block: ``M^k = ρ^k I + kρ^{k−1} N``
  with ``N² = 0``, so the error decays like ``k ρ*^k``; a rate fitted by least squares on
  ``log(k ρ^k)`` over steps 200..400 at κ = 100 is 0.8210, not 0.8182;
* stability edge: for 0 ≤ β < 1 a root reaches z = −1 when αλ = 2(1 + β) (the other
  boundary, z = +1, needs αλ = 0), so heavy ball converges on every λ ∈ [μ, L] iff
  ``αL < 2(1 + β)`` (:func:`stability_edge`; the lr sweep's reference line);
* gradient descent with ``α = 2/(L + μ)`` has rate ``(κ − 1)/(κ + 1)`` > ρ* for κ > 1;
* seed 001's adaptive rule ``β_k = clip((1 − √(α h_k))², 0, β_max)`` gives ``β_k ≤ β*`` at
  ``α = α*`` whenever ``h_k ∈ [μ, L]``, which the exact secant ``‖A d‖/‖d‖`` satisfies. The
  implemented secant ``‖A d‖/(‖d‖ + 1e-6)`` can fall below μ (finding: the regulariser
  *raises* β_k), so the bound that holds for the implemented rule is
  ``β_k ≤ min(β_max, (1 − (1 − √β*) √(‖d‖/(‖d‖ + δ)))²)``.

The proof steps that check each line live in :mod:`proofs_check.heavy_ball`.
"""

from __future__ import annotations

import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine

# --- symbols --------------------------------------------------------------------------------
alpha = sp.Symbol("alpha", positive=True)
beta = sp.Symbol("beta", real=True)
lam = sp.Symbol("lambda", positive=True)
mu = sp.Symbol("mu", positive=True)
L = sp.Symbol("L", positive=True)
kappa = sp.Symbol("kappa", positive=True)
z = sp.Symbol("z")
h = sp.Symbol("h", positive=True)
k = sp.Symbol("k", integer=True, positive=True)
k0 = sp.Symbol("k0", integer=True, positive=True)
k1 = sp.Symbol("k1", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)
beta_max = sp.Symbol("beta_max", positive=True)
d_norm = sp.Symbol("d_norm", positive=True)
delta = sp.Symbol("delta", positive=True)

REFERENCE = (
    "Polyak (1964), Some methods of speeding up the convergence of iteration methods, §2-3; "
    "context: Lessard, Recht, Packard (2016), SIAM J. Optim. 26(1), §3-4"
)


def iteration_matrix(a: sp.Expr = alpha, b: sp.Expr = beta, eig: sp.Expr = lam) -> sp.Matrix:
    """The map ``(e_k, e_{k-1}) -> (e_{k+1}, e_k)`` of heavy ball on one eigen-direction."""
    return sp.Matrix([[1 + b - a * eig, -b], [1, 0]])


def characteristic_polynomial(
    a: sp.Expr = alpha, b: sp.Expr = beta, eig: sp.Expr = lam
) -> sp.Expr:
    """``det(zI − M)``, computed from the matrix (not typed in)."""
    return sp.expand((z * sp.eye(2) - iteration_matrix(a, b, eig)).det())


def trace_coefficient(a: sp.Expr = alpha, b: sp.Expr = beta, eig: sp.Expr = lam) -> sp.Expr:
    """``T = 1 + β − αλ``, minus the ``z`` coefficient of the characteristic polynomial."""
    return -sp.Poly(characteristic_polynomial(a, b, eig), z).coeff_monomial(z)


def discriminant(a: sp.Expr = alpha, b: sp.Expr = beta, eig: sp.Expr = lam) -> sp.Expr:
    """Discriminant ``T² − 4β`` of the characteristic polynomial; < 0 means complex roots.

    ``B² − 4AC`` of its coefficients in z (read from the polynomial, not typed in), not
    ``sp.discriminant``: sympy's subresultant route ran for minutes on a mutated β* (BETA_STAR
    with an exponent flipped, the 3 timeouts of ``check --mutants``), this form in 0.05 s."""
    second, first, zeroth = sp.Poly(characteristic_polynomial(a, b, eig), z).all_coeffs()
    return sp.expand(first**2 - 4 * second * zeroth)


def stability_edge_expr() -> sp.Expr:
    """``αλ`` at which the characteristic polynomial has the root z = −1 (solved, not typed
    in): 2(1 + β)."""
    (edge,) = sp.solve(characteristic_polynomial().subs(z, -1), alpha)
    return sp.simplify(edge * lam)


def stability_edge(momentum: float) -> float:
    """The largest stable ``lr·L`` of heavy ball with momentum β on a quadratic with largest
    eigenvalue L: 2(1 + β) (:func:`stability_edge_expr` at β = ``momentum``)."""
    return float(stability_edge_expr().subs(beta, momentum))


def _polyak_tuning() -> tuple[sp.Expr, sp.Expr]:
    """``(α*, √β*)`` from ``disc(μ) = disc(L) = 0``, root at μ positive and at L negative.

    ``disc = 0`` means ``αλ = (1 ± √β)²``. Writing ``s = √β ∈ [0, 1)`` and ``a = √α``, the
    endpoint conditions ``a√μ = 1 − s`` and ``a√L = 1 + s`` are linear in ``(a, s)``.
    """
    a, s = sp.symbols("a s", positive=True)
    sol = sp.solve([a * sp.sqrt(mu) - (1 - s), a * sp.sqrt(L) - (1 + s)], [a, s], dict=True)
    (only,) = sol
    return sp.simplify(only[a] ** 2), sp.simplify(only[s])


ALPHA_STAR, RHO_STAR = _polyak_tuning()
"""α* and ρ* = √β* in (μ, L): ρ* is the spectral radius at (α*, β*) for every λ ∈ [μ, L]."""
BETA_STAR = RHO_STAR**2
RHO_STAR_KAPPA = (sp.sqrt(kappa) - 1) / (sp.sqrt(kappa) + 1)
"""ρ* in κ = L/μ (equal to :data:`RHO_STAR`, checked symbolically)."""

GD_RATE_KAPPA = (kappa - 1) / (kappa + 1)


def _gd_step() -> sp.Expr:
    """Minimise ``max(|1 − αμ|, |1 − αL|)``: equalise ``1 − αμ = αL − 1``."""
    (a,) = sp.solve(sp.Eq(1 - alpha * mu, alpha * L - 1), alpha)
    return sp.simplify(a)


GD_STEP = _gd_step()
"""2/(L + μ), solved (not typed in)."""


def jordan_nilpotent(end: sp.Expr = mu) -> tuple[sp.Matrix, sp.Expr]:
    """``(N, z₀)`` with ``z₀ = T/2`` the double root at ``end ∈ {μ, L}`` and ``N = M − z₀I``.

    At (α*, β*) the root is ``+ρ*`` at μ and ``−ρ*`` at L; ``N ≠ 0`` (its (2,1) entry is 1)
    and ``N² = 0``, so M is a Jordan block there (checked in :mod:`proofs_check.heavy_ball`).
    """
    root = trace_coefficient(ALPHA_STAR, BETA_STAR, end) / 2
    return iteration_matrix(ALPHA_STAR, BETA_STAR, end) - root * sp.eye(2), root


def matrix_power_closed_form(rho: sp.Expr, nil: sp.Matrix, power: sp.Expr = k) -> sp.Matrix:
    """``M^k = ρ^k I + k ρ^{k−1} N`` for ``M = ρI + N`` with ``N² = 0``."""
    return rho**power * sp.eye(2) + power * rho ** (power - 1) * nil


def fitted_log_slope_of_k(first: sp.Expr = k0, last: sp.Expr = k1) -> sp.Expr:
    """Least-squares slope of ``log k`` against ``k`` over ``k = first..last``.

    Fitting ``log(k ρ^k) = log k + k log ρ`` by a line over the window gives slope
    ``log ρ + (this)``, so the fitted per-step rate is ``ρ · exp(this)``.
    """
    mid = (first + last) / 2
    j = sp.Symbol("j", integer=True, positive=True)
    numerator = sp.Sum((j - mid) * sp.log(j), (j, first, last))
    denominator = sp.factor(sp.Sum((j - mid) ** 2, (j, first, last)).doit())
    return numerator / denominator


def secant_regularised_floor(rho_star: sp.Expr = RHO_STAR) -> sp.Expr:
    """``(1 − (1 − ρ*)√(‖d‖/(‖d‖ + δ)))²``: largest ``(1 − √(α* h))²`` for ``h ≥ μ‖d‖/(‖d‖+δ)``.

    ``√(α* μ) = 1 − ρ*``, so ``h ≥ μ r`` with ``r = ‖d‖/(‖d‖ + δ)`` gives
    ``√(α* h) ≥ (1 − ρ*)√r``; and ``h ≤ L`` gives ``√(α* h) ≤ 1 + ρ*``. Both ends keep
    ``|1 − √(α* h)| ≤ 1 − (1 − ρ*)√r``, which is ≥ ρ*.
    """
    return (1 - (1 - rho_star) * sp.sqrt(d_norm / (d_norm + delta))) ** 2


# --- assumptions ----------------------------------------------------------------------------
QUADRATIC = Assumption(
    "quadratic",
    "f(x) = ½xᵀAx − bᵀx with A symmetric and spectrum in [μ, L]",
    sp.And(sp.Gt(mu, 0), sp.Ge(L, mu)),
)
KAPPA_DEF = Assumption("condition_number", "κ = L/μ ≥ 1", sp.Ge(kappa, 1))
POLYAK_TUNING = Assumption("polyak_tuning", "α = α*(μ, L), β = β*(μ, L)")
SECANT_IN_SPECTRUM = Assumption(
    "secant_in_spectrum",
    "h_k ∈ [μ, L]; true for h_k = ‖g_k − g_{k−1}‖/‖x_k − x_{k−1}‖ on a quadratic",
    sp.And(sp.Ge(h, mu), sp.Le(h, L)),
)
REGULARISED_SECANT = Assumption(
    "regularised_secant",
    "h_k = ‖A d‖/(‖d‖ + δ) with d = x_k − x_{k−1} ≠ 0 (the implemented rule, δ = 1e-6)",
    sp.Gt(delta, 0),
)
GHADIMI_TUNING = Assumption(
    "ghadimi_tuning",
    "f L-smooth μ-strongly convex (not only quadratic); α ∈ (0, 1/L], β = √((1−αμ)(1−αL))",
    sp.And(sp.Gt(alpha, 0), sp.Le(alpha, 1 / L)),
)

_MU_L = {mu: "strong convexity (smallest eigenvalue of A)", L: "smoothness (largest eigenvalue)"}
_KAPPA = {kappa: "condition number L/μ"}

BOUNDS: list[Bound] = [
    Bound(
        name="heavy_ball_polyak_step",
        quantity=r"\alpha^*",
        expr=ALPHA_STAR,
        symbols=_MU_L,
        assumptions=(QUADRATIC,),
        kind="tight",
        reference=REFERENCE,
        notes="solved from disc(μ) = disc(L) = 0 (double roots at both ends of the spectrum)",
    ),
    Bound(
        name="heavy_ball_polyak_momentum",
        quantity=r"\beta^*",
        expr=BETA_STAR,
        symbols=_MU_L,
        assumptions=(QUADRATIC,),
        kind="tight",
        reference=REFERENCE,
    ),
    Bound(
        name="heavy_ball_optimal_rate",
        quantity=r"\min_{\alpha,\beta} \max_{\lambda \in [\mu, L]} \rho(M(\alpha,\beta,\lambda))",
        expr=RHO_STAR_KAPPA,
        symbols=_KAPPA,
        assumptions=(QUADRATIC, KAPPA_DEF),
        kind="tight",
        reference=REFERENCE,
        notes="attained at (α*, β*) for every λ ∈ [μ, L]; no tuning beats it even on {μ, L}",
    ),
    Bound(
        name="gradient_descent_rate",
        quantity=r"\max_{\lambda \in [\mu, L]} |1 - \tfrac{2\lambda}{L + \mu}|",
        expr=GD_RATE_KAPPA,
        symbols=_KAPPA,
        assumptions=(QUADRATIC, KAPPA_DEF),
        kind="tight",
        reference="Polyak (1987), Introduction to Optimization, §1.4 (step 2/(L+μ))",
    ),
    Bound(
        name="heavy_ball_jordan_fitted_rate",
        quantity=r"\exp(\text{LS slope of } \log(k \rho^{*k}),\ k = k_0..k_1)",
        expr=RHO_STAR_KAPPA * sp.exp(fitted_log_slope_of_k()),
        symbols={kappa: "condition number L/μ", k0: "first step of the fit window",
                 k1: "last step of the fit window"},
        assumptions=(QUADRATIC, KAPPA_DEF, POLYAK_TUNING),
        kind="tight",
        reference="derived here from the Jordan block at λ = μ, L (spec §2: 0.8210 at κ=100)",
        notes="the error at the spectrum's ends is (c₀ + c₁k)ρ*^k; the model takes c₀ = 0",
    ),
    Bound(
        name="adaptive_hb_momentum_exact_secant",
        quantity=r"\operatorname{clip}((1 - \sqrt{\alpha^* h_k})^2, 0, \beta_{\max})",
        expr=BETA_STAR,
        symbols=_MU_L,
        assumptions=(QUADRATIC, SECANT_IN_SPECTRUM),
        kind="upper",
        reference="seed 001 (Sun et al., arXiv 2110.09057) rule; bound derived here",
    ),
    Bound(
        name="adaptive_hb_momentum_regularised_secant",
        quantity=r"\operatorname{clip}((1 - \sqrt{\alpha^* h_k})^2, 0, \beta_{\max})",
        expr=sp.Min(beta_max, secant_regularised_floor()),
        symbols={**_MU_L, beta_max: "momentum cap β_max", d_norm: "‖x_k − x_{k−1}‖",
                 delta: "secant regulariser (1e-6)"},
        assumptions=(QUADRATIC, REGULARISED_SECANT),
        kind="upper",
        reference="derived here for the implemented (regularised) secant",
        notes="exceeds β* for every δ > 0 and tends to β_max as ‖d‖ → 0: the claim "
              "β_k ≤ β* needs the unregularised secant",
    ),
    Bound(
        name="heavy_ball_ghadimi_function_value",
        quantity=r"\frac{f(x_n) - f_\star}{f(x_0) - f_\star}",
        expr=(1 - alpha * mu) ** n,
        symbols={alpha: "step size", mu: "strong convexity", n: "number of iterations"},
        assumptions=(GHADIMI_TUNING,),
        kind="upper",
        reference="Ghadimi, Feyzmahdavian, Johansson (2015), ECC, Theorem 4; "
                  "PEPit example heavy_ball_momentum (worst case 0.753493 vs 0.9025 at "
                  "μ=0.1, L=1, α=1/2, n=2)",
    ),
]



def pepit_heavy_ball_worst_case(mu_value: float, L_value: float, alpha_value: float,
                                steps: int) -> tuple[float, float]:
    """Worst case of ``f(x_n) − f*`` given ``f(x_0) − f* ≤ 1`` for heavy ball, by PEPit.

    Ghadimi tuning ``β = √((1 − αμ)(1 − αL))``, ``x_{−1} = x_0``, over all L-smooth
    μ-strongly convex functions (PEPit's ``wc_heavy_ball_momentum`` written out). Returns
    ``(pepit_tau, theoretical_tau)`` with the theory from :data:`BOUNDS`
    (``heavy_ball_ghadimi_function_value``).
    """
    if not 0 < mu_value <= L_value:
        raise ValueError(f"need 0 < mu <= L, got mu={mu_value!r}, L={L_value!r}")
    if not 0 < alpha_value <= 1 / L_value:
        raise ValueError(f"Ghadimi tuning needs alpha in (0, 1/L], got alpha={alpha_value!r}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction

    momentum = ((1 - alpha_value * mu_value) * (1 - alpha_value * L_value)) ** 0.5
    problem = PEP()
    func = problem.declare_function(SmoothStronglyConvexFunction, mu=mu_value, L=L_value)
    xs = func.stationary_point()
    fs = func(xs)
    x0 = problem.set_initial_point()
    problem.set_initial_condition(func(x0) - fs <= 1)
    x_new, x_old = x0, x0
    for _ in range(steps):
        step = x_new - alpha_value * func.gradient(x_new) + momentum * (x_new - x_old)
        x_new, x_old = step, x_new
    problem.set_performance_metric(func(x_new) - fs)
    tau = float(problem.solve(verbose=0))
    theory = bound("heavy_ball_ghadimi_function_value").evaluate(
        alpha=alpha_value, mu=mu_value, n=steps)
    return tau, theory


_r = sp.Symbol("r", positive=True)
_LATEX = {lam: r"\lambda", beta_max: r"\beta_{\max}", d_norm: r"\|d\|", kappa: r"\kappa"}

DERIVATIONS: list[Derivation] = [
    Derivation(
        name="heavy_ball_polyak",
        title="Heavy ball on quadratics: Polyak's optimal step and momentum",
        proof="heavy_ball_polyak",
        setting=(
            "$f(x) = \\tfrac12 x^\\top A x - b^\\top x$ with spectrum of $A$ in $[\\mu, L]$, "
            "$\\kappa = L/\\mu$. Heavy ball $x_{k+1} = x_k - \\alpha\\nabla f(x_k) + "
            "\\beta(x_k - x_{k-1})$ acts on each eigen-direction by the matrix $M$ below."
        ),
        lines=(
            DerivationLine("Iteration matrix of one eigen-direction.",
                           "M = " + sp.latex(iteration_matrix())),
            DerivationLine("Its characteristic polynomial.",
                           r"\det(zI - M) = z^2 - (1 + \beta - \alpha\lambda) z + \beta",
                           "characteristic_polynomial"),
            DerivationLine("If the discriminant is negative, the roots are conjugate and "
                           "their product is β, so both have modulus √β.",
                           r"|z_1| = |z_2| = \sqrt{\beta}", "complex_roots_modulus"),
            DerivationLine("Put both ends of the spectrum on the double-root boundary "
                           "(αμ = (1 − √β)², αL = (1 + √β)²) and solve.",
                           sp.Eq(sp.Symbol("alpha^*"), ALPHA_STAR), "endpoint_double_roots"),
            DerivationLine("The momentum that results.", sp.Eq(sp.Symbol("beta^*"), BETA_STAR),
                           "endpoint_double_roots"),
            DerivationLine("At (α*, β*) the discriminant factorises and is ≤ 0 on [μ, L].",
                           r"(1 + \beta^* - \alpha^*\lambda)^2 - 4\beta^* = "
                           r"{\alpha^*}^2 (\lambda - \mu)(\lambda - L)",
                           "discriminant_factorisation"),
            DerivationLine("Hence complex (or double) roots for every λ ∈ [μ, L].",
                           r"{\alpha^*}^2 (\lambda - \mu)(\lambda - L) \le 0",
                           "discriminant_nonpositive_inside"),
            DerivationLine("So the spectral radius is √β* for every λ in the spectrum.",
                           sp.Eq(sp.Symbol("rho"), RHO_STAR, evaluate=False),
                           "tuned_radius_is_rho_star"),
            DerivationLine("In terms of κ.", sp.Eq(sp.Symbol("rho^*"), RHO_STAR_KAPPA),
                           "rate_in_kappa"),
            DerivationLine("Optimality. If all roots at λ ∈ {μ, L} lie in |z| ≤ r, the "
                           "coefficients of z² − Tz + β satisfy β ≤ r² and |T| ≤ r + β/r "
                           "(real roots: the identity below; complex: AM-GM).",
                           sp.Eq(_r + sp.Symbol("z_1") * sp.Symbol("z_2") / _r
                                 - sp.Symbol("z_1") - sp.Symbol("z_2"),
                                 (_r - sp.Symbol("z_1")) * (_r - sp.Symbol("z_2")) / _r),
                           "roots_in_disk_real"),
            DerivationLine("(the same, checked on random quadratics)", None, "roots_in_disk"),
            DerivationLine("T(μ) = 1 + β − αμ ≤ r + β/r gives a lower bound on αμ.",
                           sp.Ge(alpha * mu, (1 - _r) * (1 - beta / _r)),
                           "endpoint_combination"),
            DerivationLine("Adding −T(L) ≤ r + β/r gives α(L − μ) ≤ 2(r + β/r); dividing, "
                           "and using that the ratio increases in β up to β = r²:",
                           sp.Le(kappa - 1, 4 * _r / (1 - _r) ** 2), "ratio_increasing_in_beta"),
            DerivationLine("(value of the ratio at β = r²)", None, "ratio_at_beta_r_squared"),
            DerivationLine("4r/(1 − r)² increases on (0, 1) and equals κ − 1 at r = ρ*, "
                           "so r ≥ ρ*: no (α, β) beats ρ*, even on the two points {μ, L}.",
                           r"\frac{4\rho^*}{(1 - \rho^*)^2} = \kappa - 1",
                           "rate_function_at_rho_star"),
            DerivationLine("(monotonicity of 4r/(1 − r)²)", None, "rate_function_increasing"),
            DerivationLine("(the conclusion, checked on random tunings)", None,
                           "no_tuning_beats_rho_star"),
            DerivationLine("Jordan block. At λ = μ (and L) the double root z₀ = ±ρ* gives "
                           "N = M − z₀I ≠ 0 with N² = 0.", r"N^2 = 0,\ N_{21} = 1",
                           "jordan_block"),
            DerivationLine("(the double roots are +ρ* at μ and −ρ* at L)", None,
                           "jordan_endpoint_roots"),
            DerivationLine("Hence M^k = ρ^k I + kρ^{k−1}N: the error decays like kρ*^k, and a "
                           "rate fitted on log(kρ*^k) over k = k₀..k₁ is ρ*·exp(slope of "
                           "log k), 0.8210 at κ = 100 over 200..400 (ρ* = 0.8182).",
                           r"M^k = \rho^k I + k \rho^{k-1} N",
                           "jordan_power"),
            DerivationLine("(the fitted rate at κ = 100 over steps 200..400)", None,
                           "jordan_fitted_rate"),
            DerivationLine("Gradient descent: α = 2/(L + μ) equalises the two ends.",
                           r"1 - \tfrac{2\mu}{L + \mu} = \tfrac{2L}{L + \mu} - 1 = "
                           r"\tfrac{L - \mu}{L + \mu} = \tfrac{\kappa - 1}{\kappa + 1}",
                           "gd_step_equalises"),
            DerivationLine("and no step does better, since L(1 − αμ) + μ(αL − 1) = L − μ.",
                           sp.Eq(L * (1 - alpha * mu) + mu * (alpha * L - 1), L - mu),
                           "gd_no_better_step"),
            DerivationLine("Heavy ball is faster for κ > 1.",
                           sp.Lt(RHO_STAR_KAPPA, GD_RATE_KAPPA), "heavy_ball_beats_gd"),
        ),
        bounds=("heavy_ball_polyak_step", "heavy_ball_polyak_momentum",
                "heavy_ball_optimal_rate", "gradient_descent_rate",
                "heavy_ball_jordan_fitted_rate"),
        latex_names=_LATEX,
    ),
    Derivation(
        name="adaptive_hb_quadratic",
        title="Seed 001's adaptive momentum on quadratics: β_k ≤ β* at α = α*",
        proof="adaptive_hb_quadratic",
        setting=(
            "Same quadratic; $\\beta_k = \\mathrm{clip}((1-\\sqrt{\\alpha h_k})^2, 0, "
            "\\beta_{\\max})$ with the secant $h_k = \\|g_k - g_{k-1}\\|/(\\|d\\| + "
            "\\delta)$, $d = x_k - x_{k-1}$, $\\delta = 10^{-6}$ (spec §2, a reconstruction)."
        ),
        lines=(
            DerivationLine("On a quadratic g_k − g_{k−1} = A d, so the exact secant "
                           "(δ = 0) lies in the spectrum.",
                           sp.And(sp.Le(mu, h), sp.Le(h, L)), "secant_in_spectrum"),
            DerivationLine("At α = α*, the ends of the spectrum map to 1 ∓ ρ*.",
                           r"\sqrt{\alpha^*\mu} = 1 - \rho^*, \quad \sqrt{\alpha^* L} = 1 + \rho^*",
                           "sqrt_alpha_star_ends"),
            DerivationLine("For x = √(α*h) ∈ [1 − ρ*, 1 + ρ*] both factors are ≥ 0.",
                           r"{\rho^*}^2 - (1 - x)^2 = (x - (1 - \rho^*))((1 + \rho^*) - x)",
                           "critical_damping_factorisation"),
            DerivationLine("Clipping to [0, β_max] only lowers a nonnegative value: β_k ≤ β*.",
                           sp.Le(sp.Symbol("beta_k"), BETA_STAR),
                           "clipped_rule_below_beta_star"),
            DerivationLine("With δ > 0 the secant is only ≥ μ‖d‖/(‖d‖ + δ), which lowers h "
                           "and raises β_k: the bound that holds for the implemented rule is",
                           sp.Le(sp.Symbol("beta_k"), sp.Min(beta_max, secant_regularised_floor())),
                           "regularised_secant_bound"),
            DerivationLine("On dwmgrad.AdaptiveHB runs at lr = α*, the exact secant stays in "
                           "[μ, L] at every step ...", None, "trajectory_secant_in_spectrum"),
            DerivationLine("... and β_k respects the regularised bound at every step (it "
                           "exceeds β* once ‖d‖ is ~1e-6 or smaller).", None,
                           "trajectory_regularised_bound"),
        ),
        bounds=("adaptive_hb_momentum_exact_secant", "adaptive_hb_momentum_regularised_secant"),
        notes=("Finding: the spec's 'h_k ∈ [μ, L] implies β_k ≤ β*' is right, but the implemented "
               "secant has the +1e-6 regulariser, which lowers h_k below μ once ‖d‖ is small "
               "and drives β_k towards β_max = 0.99 as the iterates converge."),
        latex_names=_LATEX,
    ),
]


def bound(name: str) -> Bound:
    """The bound of this module called ``name``."""
    for b in BOUNDS:
        if b.name == name:
            return b
    raise KeyError(f"no heavy-ball bound named {name!r}; have {[b.name for b in BOUNDS]}")
