"""Proof steps of :mod:`theory.heavy_ball`: Polyak's optimum and the adaptive momentum bound.

Two proofs. ``heavy_ball_polyak``: the characteristic polynomial, the complex-root modulus,
Polyak's (α*, β*), the rate, the Jordan block at the ends of the spectrum, gradient descent,
and the lower bound that no (α, β) beats ρ*. ``adaptive_hb_quadratic``: seed 001's secant
rule keeps β_k ≤ β* on quadratics at α = α* when the secant is exact, and the weaker bound
that holds for the implemented (regularised) secant, also on runs of ``dwmgrad.AdaptiveHB``.

Numeric steps draw μ log-uniform in [1e-3, 1] and κ log-uniform in [1, 1e4].
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from proofs_check.core import (
    Head,
    ProofStep,
    Relation,
    StepResult,
    check_inequality,
    check_numeric,
    check_trajectory,
    combine,
    registrar,
)
from proofs_check.falsify import Domain, Var
from theory import heavy_ball as hb

STEPS: list[ProofStep] = []
step = registrar(STEPS)

POLYAK = "heavy_ball_polyak"
ADAPTIVE = "adaptive_hb_quadratic"
SECANT_REGULARISER = 1e-6
"""The ``+ 1e-6`` in the denominator of seed 001's secant (spec §2)."""

r, u, p, q = sp.symbols("r u p q", positive=True)
z1, z2 = sp.symbols("z1 z2", real=True)


#: Where the symbols range when sympy cannot decide a step and it is falsified numerically.
DOMAIN = Domain((
    Var(hb.mu, 1e-4, 1.0), Var(hb.L, 1e-4, 1e4), Var(hb.kappa, 1.0, 1e6),
    Var(hb.beta, 0.0, 1.0, "gap"), Var(hb.alpha, 1e-6, 1e2), Var(hb.lam, 1e-4, 1e4),
    Var(hb.k, 1, 1e4, integer=True), Var(r, 0.0, 1.0, "gap"), Var(u, 1e-6, 1e6),
), constraints=(sp.Ge(hb.L, hb.mu),))


def _decide(head: Head, lhs: sp.Expr, rhs: sp.Expr, relation: Relation) -> StepResult:
    return check_inequality(*head, lhs, rhs, relation, DOMAIN)


# --- numeric helpers -------------------------------------------------------------------------
def _spectrum(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    mu = 10 ** rng.uniform(-3, 0, n)
    return {"mu": mu, "L": mu * 10 ** rng.uniform(0, 4, n)}


def _radius(alpha: np.ndarray, beta: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Spectral radius of [[1+β−αλ, −β], [1, 0]] by LAPACK (independent of the derivation)."""
    mats = np.zeros((np.size(lam), 2, 2))
    mats[:, 0, 0] = 1 + beta - alpha * lam
    mats[:, 0, 1] = -beta
    mats[:, 1, 0] = 1
    return np.abs(np.linalg.eigvals(mats)).max(axis=1)


_alpha_star = sp.lambdify([hb.mu, hb.L], hb.ALPHA_STAR)
_beta_star = sp.lambdify([hb.mu, hb.L], hb.BETA_STAR)
_rho_kappa = sp.lambdify([hb.kappa], hb.RHO_STAR_KAPPA)
_regularised_bound = hb.bound("adaptive_hb_momentum_regularised_secant")


def _clip_rule(alpha: np.ndarray, h: np.ndarray, beta_max: np.ndarray | float) -> np.ndarray:
    """Seed 001's rule β = clip((1 − √(αh))², 0, β_max)."""
    return np.clip((1 - np.sqrt(alpha * h)) ** 2, 0, beta_max)


# --- proof: heavy_ball_polyak ----------------------------------------------------------------
@step(POLYAK, "det(zI − M) = z² − (1 + β − αλ) z + β")
def characteristic_polynomial(head: Head) -> StepResult:
    return _decide(head, hb.characteristic_polynomial(),
                          hb.z**2 - (1 + hb.beta - hb.alpha * hb.lam) * hb.z + hb.beta, "==")


@step(POLYAK, "discriminant < 0  =>  both eigenvalues of M have |z| = √β")
def complex_roots_modulus(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        beta = rng.uniform(1e-3, 0.999, n)
        s = np.sqrt(beta)  # discriminant < 0  <=>  (1 − √β)² < αλ < (1 + √β)²
        alpha_lam = rng.uniform((1 - s) ** 2, (1 + s) ** 2)
        return {"beta": beta, "alpha_lambda": alpha_lam}

    def slack(beta: np.ndarray, alpha_lambda: np.ndarray) -> np.ndarray:
        return -np.abs(_radius(alpha_lambda, beta, np.ones_like(beta)) - np.sqrt(beta))

    return check_numeric(*head, slack, sample, tol=1e-12)


@step(POLYAK, "disc(α*, β*, μ) = disc(α*, β*, L) = 0")
def endpoint_double_roots(head: Head) -> StepResult:
    ends = [hb.discriminant(hb.ALPHA_STAR, hb.BETA_STAR, e) for e in (hb.mu, hb.L)]
    return _decide(head, ends[0] ** 2 + ends[1] ** 2, sp.Integer(0), "==")


@step(POLYAK, "disc(α*, β*, λ) = α*² (λ − μ)(λ − L)")
def discriminant_factorisation(head: Head) -> StepResult:
    return _decide(head, hb.discriminant(hb.ALPHA_STAR, hb.BETA_STAR, hb.lam),
                          hb.ALPHA_STAR**2 * (hb.lam - hb.mu) * (hb.lam - hb.L), "==")


@step(POLYAK, "α*² (λ − μ)(λ − L) ≤ 0 for λ ∈ [μ, L] (complex roots, |z| = √β*)")
def discriminant_nonpositive_inside(head: Head) -> StepResult:
    inside = {hb.L: hb.mu + p + q, hb.lam: hb.mu + p}  # μ < λ = μ + p < L = μ + p + q
    disc = hb.ALPHA_STAR**2 * (hb.lam - hb.mu) * (hb.lam - hb.L)
    return _decide(head, disc.subs(inside), sp.Integer(0), "<=")


@step(POLYAK, "ρ(M(α*, β*, λ)) = (√κ − 1)/(√κ + 1) for every λ ∈ [μ, L]")
def tuned_radius_is_rho_star(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = _spectrum(rng, n)
        out["lam"] = out["mu"] + rng.uniform(0, 1, n) * (out["L"] - out["mu"])
        return out

    def slack(mu: np.ndarray, L: np.ndarray, lam: np.ndarray) -> np.ndarray:
        rho = _radius(_alpha_star(mu, L), _beta_star(mu, L), lam)
        return -np.abs(rho - _rho_kappa(L / mu))

    # a double root is computed to ~sqrt(machine eps): hence the tolerance
    return check_numeric(*head, slack, sample, tol=1e-6)


@step(POLYAK, "√β* = (√κ − 1)/(√κ + 1) with L = κμ")
def rate_in_kappa(head: Head) -> StepResult:
    return _decide(head, hb.RHO_STAR.subs(hb.L, hb.kappa * hb.mu), hb.RHO_STAR_KAPPA, "==")


@step(POLYAK, "N = M(α*, β*, λ) − (T/2) I at λ ∈ {μ, L}: N² = 0 while N₂₁ = 1 ≠ 0")
def jordan_block(head: Head) -> StepResult:
    sq = [sum(e**2 for e in hb.jordan_nilpotent(end)[0] ** 2) for end in (hb.mu, hb.L)]
    return _decide(head, sq[0] + sq[1], sp.Integer(0), "==")


@step(POLYAK, "the double root is +ρ* at λ = μ and −ρ* at λ = L")
def jordan_endpoint_roots(head: Head) -> StepResult:
    roots = [hb.jordan_nilpotent(end)[1] for end in (hb.mu, hb.L)]
    return _decide(head, (roots[0] - hb.RHO_STAR) ** 2 + (roots[1] + hb.RHO_STAR) ** 2,
                          sp.Integer(0), "==")


@step(POLYAK, "for any 2x2 N and M = ρI + N: M·(ρ^k I + kρ^{k−1}N) − (ρ^{k+1}I + (k+1)ρ^k N) "
              "= kρ^{k−1}N², which is 0 by jordan_block, so M^k = ρ^k I + kρ^{k−1}N by induction")
def jordan_power(head: Head) -> StepResult:
    rho = sp.Symbol("rho", positive=True)
    nil = sp.Matrix(2, 2, sp.symbols("n11 n12 n21 n22", real=True))
    residual = ((rho * sp.eye(2) + nil) * hb.matrix_power_closed_form(rho, nil)
                - hb.matrix_power_closed_form(rho, nil, hb.k + 1)
                - hb.k * rho ** (hb.k - 1) * nil**2)
    return _decide(head, sum(sp.expand(sp.powsimp(e)) ** 2 for e in residual),
                          sp.Integer(0), "==")


@step(POLYAK, "least squares of log(kρ*^k) over k = 200..400 at κ = 100 gives a per-step rate "
              "ρ*·exp(slope of log k) that rounds to 0.8210 (spec §2), while ρ* = 0.8182")
def jordan_fitted_rate(head: Head) -> StepResult:
    fitted = hb.bound("heavy_ball_jordan_fitted_rate").expr.subs(
        {hb.kappa: 100, hb.k0: 200, hb.k1: 400})
    gaps = [sp.Abs(sp.N(fitted, 30) - sp.Rational(8210, 10000)),
            sp.Abs(sp.N(hb.RHO_STAR_KAPPA.subs(hb.kappa, 100), 30) - sp.Rational(8182, 10000))]
    return _decide(head, sp.Max(*gaps), sp.Rational(5, 10**5), "<=")


@step(POLYAK, "α = 2/(L+μ): 1 − αμ = αL − 1 = (L − μ)/(L + μ) = (κ − 1)/(κ + 1)")
def gd_step_equalises(head: Head) -> StepResult:
    a = hb.GD_STEP
    rate = (hb.L - hb.mu) / (hb.L + hb.mu)
    return _decide(head, (1 - a * hb.mu - rate) ** 2 + (a * hb.L - 1 - rate) ** 2
                          + (rate.subs(hb.L, hb.kappa * hb.mu) - hb.GD_RATE_KAPPA) ** 2,
                          sp.Integer(0), "==")


@step(POLYAK, "L(1 − αμ) + μ(αL − 1) = L − μ, so max(|1−αμ|, |1−αL|) ≥ (L−μ)/(L+μ)")
def gd_no_better_step(head: Head) -> StepResult:
    return _decide(head, hb.L * (1 - hb.alpha * hb.mu) + hb.mu * (hb.alpha * hb.L - 1),
                          hb.L - hb.mu, "==")


@step(POLYAK, "(κ − 1)/(κ + 1) − (√κ − 1)/(√κ + 1) = 2√κ(√κ − 1)/((κ + 1)(√κ + 1)), "
              "> 0 for κ > 1: heavy ball's ρ* is below the GD rate")
def heavy_ball_beats_gd(head: Head) -> StepResult:
    root = sp.sqrt(hb.kappa)
    gap = 2 * root * (root - 1) / ((hb.kappa + 1) * (root + 1))
    return combine(*head, [
        _decide(head, hb.GD_RATE_KAPPA - hb.RHO_STAR_KAPPA, gap, "=="),
        _decide(head, sp.Integer(0), gap.subs(hb.kappa, (1 + u) ** 2), "<="),
    ])


@step(POLYAK, "real roots z₁, z₂ ≤ r: r + z₁z₂/r − (z₁ + z₂) = (r − z₁)(r − z₂)/r ≥ 0")
def roots_in_disk_real(head: Head) -> StepResult:
    return _decide(head, r + z1 * z2 / r - (z1 + z2), (r - z1) * (r - z2) / r, "==")


@step(POLYAK, "roots of z² − Tz + P in |z| ≤ r  =>  P ≤ r² and |T| ≤ r + P/r")
def roots_in_disk(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        return {"T": rng.uniform(-3, 3, n), "P": rng.uniform(-1.5, 1.5, n)}

    def slack(T: np.ndarray, P: np.ndarray) -> np.ndarray:
        radius = _radius(-T + 1 + P, P, np.ones_like(T))  # companion of z² − Tz + P
        return np.minimum(radius**2 - P, radius + P / radius - np.abs(T))

    return check_numeric(*head, slack, sample, tol=1e-9)


@step(POLYAK, "T(μ) ≤ r + β/r gives αμ ≥ 1 + β − r − β/r = (1 − r)(1 − β/r)")
def endpoint_combination(head: Head) -> StepResult:
    return _decide(head, 1 + hb.beta - r - hb.beta / r, (1 - r) * (1 - hb.beta / r), "==")


@step(POLYAK, "d/dβ [(r + β/r)/(1 − β/r)] = r(1 + r)/(r − β)² ≥ 0 for β < r, so β ≤ r² "
              "gives κ − 1 ≤ 2(r + β/r)/((1 − r)(1 − β/r)) ≤ 4r/(1 − r)²")
def ratio_increasing_in_beta(head: Head) -> StepResult:
    ratio = (r + hb.beta / r) / (1 - hb.beta / r)
    below_r = r - p  # β < r (β ≤ r² < r)
    return _decide(head, sp.Integer(0), sp.diff(ratio, hb.beta).subs(hb.beta, below_r),
                          "<=")


@step(POLYAK, "2 (r + β/r)/((1 − r)(1 − β/r)) at β = r² equals 4r/(1 − r)²")
def ratio_at_beta_r_squared(head: Head) -> StepResult:
    ratio = (r + hb.beta / r) / (1 - hb.beta / r)
    return _decide(head, 2 * ratio.subs(hb.beta, r**2) / (1 - r), 4 * r / (1 - r) ** 2,
                          "==")


@step(POLYAK, "d/dr [4r/(1 − r)²] ≥ 0 on (0, 1)")
def rate_function_increasing(head: Head) -> StepResult:
    in_unit = u / (1 + u)  # r ∈ (0, 1)
    return _decide(head, sp.Integer(0),
                          sp.diff(4 * r / (1 - r) ** 2, r).subs(r, in_unit), "<=")


@step(POLYAK, "4ρ*/(1 − ρ*)² = κ − 1, so κ − 1 ≤ 4r/(1 − r)² forces r ≥ ρ*")
def rate_function_at_rho_star(head: Head) -> StepResult:
    rho = hb.RHO_STAR_KAPPA
    return _decide(head, 4 * rho / (1 - rho) ** 2, hb.kappa - 1, "==")


@step(POLYAK, "max(ρ(M(α, β, μ)), ρ(M(α, β, L))) ≥ ρ* for every α > 0, β")
def no_tuning_beats_rho_star(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = _spectrum(rng, n)
        a_star = _alpha_star(out["mu"], out["L"])
        out["alpha"] = a_star * 10 ** rng.uniform(-1, 1, n)
        out["beta"] = rng.uniform(-0.5, 1.0, n)
        out["alpha"][:10], out["beta"][:10] = a_star[:10], _beta_star(out["mu"], out["L"])[:10]
        return out

    def slack(mu: np.ndarray, L: np.ndarray, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        worst = np.maximum(_radius(alpha, beta, mu), _radius(alpha, beta, L))
        return worst - _rho_kappa(L / mu)

    return check_numeric(*head, slack, sample, tol=1e-6)


# --- proof: adaptive_hb_quadratic ------------------------------------------------------------
def _random_quadratic(rng: np.random.Generator, mu: float, L: float, dim: int) -> np.ndarray:
    eig = np.concatenate([[mu, L], rng.uniform(mu, L, dim - 2)])
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (basis * eig) @ basis.T


@step(ADAPTIVE, "g_k − g_{k−1} = A d, μI ⪯ A ⪯ LI  =>  μ ≤ ‖A d‖/‖d‖ ≤ L")
def secant_in_spectrum(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        spec = _spectrum(rng, n)
        ratio = np.empty(n)
        for i in range(n):
            A = _random_quadratic(rng, spec["mu"][i], spec["L"][i], 4)
            d = rng.standard_normal(4) * 10 ** rng.uniform(-8, 2)
            if i < 20:  # along an eigenvector of μ or L: the bound is attained
                d = np.linalg.eigh(A)[1][:, -(i % 2)]
            ratio[i] = np.linalg.norm(A @ d) / np.linalg.norm(d)
        return {**spec, "secant": ratio}

    def slack(mu: np.ndarray, L: np.ndarray, secant: np.ndarray) -> np.ndarray:
        return np.minimum(secant - mu, L - secant) / L

    return check_numeric(*head, slack, sample, tol=1e-12)


@step(ADAPTIVE, "√(α*μ) = 1 − ρ* and √(α*L) = 1 + ρ*")
def sqrt_alpha_star_ends(head: Head) -> StepResult:
    return _decide(head, (sp.sqrt(hb.ALPHA_STAR * hb.mu) - (1 - hb.RHO_STAR)) ** 2
                          + (sp.sqrt(hb.ALPHA_STAR * hb.L) - (1 + hb.RHO_STAR)) ** 2,
                          sp.Integer(0), "==")


@step(ADAPTIVE, "ρ*² − (1 − x)² = (x − (1 − ρ*))((1 + ρ*) − x) ≥ 0 for "
              "x = √(α*h) ∈ [1 − ρ*, 1 + ρ*]")
def critical_damping_factorisation(head: Head) -> StepResult:
    x, rho = sp.symbols("x rho", positive=True)
    return _decide(head, rho**2 - (1 - x) ** 2, (x - (1 - rho)) * ((1 + rho) - x), "==")


@step(ADAPTIVE, "h ∈ [μ, L], α = α*  =>  clip((1 − √(α*h))², 0, β_max) ≤ β*")
def clipped_rule_below_beta_star(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = _spectrum(rng, n)
        out["h"] = out["mu"] + rng.uniform(0, 1, n) * (out["L"] - out["mu"])
        out["h"][:5], out["h"][5:10] = out["mu"][:5], out["L"][5:10]
        out["beta_max"] = rng.uniform(0.5, 1.0, n)
        return out

    def slack(mu: np.ndarray, L: np.ndarray, h: np.ndarray, beta_max: np.ndarray) -> np.ndarray:
        return _beta_star(mu, L) - _clip_rule(_alpha_star(mu, L), h, beta_max)

    return check_numeric(*head, slack, sample, tol=1e-12)


@step(ADAPTIVE, "h = ‖Ad‖/(‖d‖ + δ) ∈ [μ‖d‖/(‖d‖+δ), L]  =>  β_k ≤ min(β_max, "
              "(1 − (1 − ρ*)√(‖d‖/(‖d‖+δ)))²)")
def regularised_secant_bound(head: Head) -> StepResult:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = _spectrum(rng, n)
        # worst case for the lower end: ‖A d‖ = μ‖d‖; any secant in [μ, L] is sampled too
        out["exact_secant"] = out["mu"] + rng.uniform(0, 1, n) ** 3 * (out["L"] - out["mu"])
        out["d_norm"] = 10 ** rng.uniform(-10, 0, n)
        out["beta_max"] = rng.uniform(0.5, 1.0, n)
        return out

    def slack(mu: np.ndarray, L: np.ndarray, exact_secant: np.ndarray, d_norm: np.ndarray,
              beta_max: np.ndarray) -> np.ndarray:
        h = exact_secant * d_norm / (d_norm + SECANT_REGULARISER)
        bound = _regularised_bound.evaluate(mu=mu, L=L, beta_max=beta_max, d_norm=d_norm,
                                            delta=SECANT_REGULARISER)
        return bound - _clip_rule(_alpha_star(mu, L), h, beta_max)

    return check_numeric(*head, slack, sample, tol=1e-12)


@functools.lru_cache(maxsize=4)
def adaptive_hb_records(seed: int = 0, runs: int = 8, steps: int = 200, dim: int = 6
                        ) -> dict[str, np.ndarray]:
    """Per-step records of ``dwmgrad.AdaptiveHB`` at ``lr = α*`` on random quadratics.

    float64; for each run: random A with spectrum in [μ, L] (both ends attained) and random
    x_0. Recorded at every step k ≥ 2: the momentum β_k the optimizer used, the exact secant
    ‖g_k − g_{k−1}‖/‖x_k − x_{k−1}‖, ‖x_k − x_{k−1}‖, μ, L, β*.
    """
    import torch

    import dwmgrad

    rng = np.random.default_rng(seed)
    cols: dict[str, list[float]] = {k: [] for k in
                                    ("beta_k", "exact_secant", "d_norm", "mu", "L", "beta_star")}
    for _ in range(runs):
        mu_value = float(10 ** rng.uniform(-2, 0))
        L_value = mu_value * float(10 ** rng.uniform(0.5, 3))
        A = torch.from_numpy(_random_quadratic(rng, mu_value, L_value, dim))
        x = torch.nn.Parameter(torch.from_numpy(rng.standard_normal(dim)))
        opt = dwmgrad.AdaptiveHB([x], lr=float(_alpha_star(mu_value, L_value)))
        prev_x, prev_g = None, None
        for _k in range(steps):
            g = A @ x.detach()
            x.grad = g.clone()
            current = x.detach().clone()
            opt.step()
            if prev_x is not None and prev_g is not None:
                d = (current - prev_x).norm()
                if d > 0:
                    cols["beta_k"].append(float(opt.momentum_now))
                    cols["exact_secant"].append(float((g - prev_g).norm() / d))
                    cols["d_norm"].append(float(d))
                    cols["mu"].append(mu_value)
                    cols["L"].append(L_value)
                    cols["beta_star"].append(float(_beta_star(mu_value, L_value)))
            prev_x, prev_g = current, g
    return {k: np.asarray(v) for k, v in cols.items()}


@step(ADAPTIVE, "on AdaptiveHB runs: μ ≤ ‖g_k − g_{k−1}‖/‖x_k − x_{k−1}‖ ≤ L")
def trajectory_secant_in_spectrum(head: Head) -> StepResult:
    rec = adaptive_hb_records()

    def slack(mu: np.ndarray, L: np.ndarray, exact_secant: np.ndarray, **_: np.ndarray
              ) -> np.ndarray:
        return np.minimum(exact_secant - mu, L - exact_secant) / L

    return check_trajectory(*head, slack, rec, tol=1e-9)


@step(ADAPTIVE, "on AdaptiveHB runs at lr = α*: β_k ≤ min(0.99, "
              "(1 − (1 − ρ*)√(‖d‖/(‖d‖+δ)))²) at every step")
def trajectory_regularised_bound(head: Head) -> StepResult:
    rec = adaptive_hb_records()

    def slack(mu: np.ndarray, L: np.ndarray, d_norm: np.ndarray, beta_k: np.ndarray,
              **_: np.ndarray) -> np.ndarray:
        bound = _regularised_bound.evaluate(mu=mu, L=L, beta_max=0.99, d_norm=d_norm,
                                            delta=SECANT_REGULARISER)
        return bound - beta_k

    return check_trajectory(*head, slack, rec, tol=1e-9)
