"""Proof steps of :mod:`theory.identities`: Demon's schedule, Aida's projections, ε floor."""

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
    registrar,
)
from proofs_check.falsify import Domain, Var
from theory import identities as ids

DEMON = "demon_schedule"
AIDA = "aida_projection"
FLOOR = "second_moment_floor"

STEPS: list[ProofStep] = []
step = registrar(STEPS)

_o, _y = sp.symbols("o y", positive=True)


#: Where the symbols range when sympy cannot decide a step and it is falsified numerically.
DOMAIN = Domain((
    Var(ids.beta_init, 0.0, 1.0, "gap"), Var(ids.t, 0.0, 1e6), Var(ids.T, 1e-3, 1e6),
    Var(ids.cos_theta, -1.0, 1.0, "linear"), Var(ids.u, -1e3, 1e3, "symlog"),
    Var(ids.w, -1e3, 1e3, "symlog"), Var(ids.j, 0, 50, "linear", integer=True),
    Var(ids.K, 0, 100, "linear", integer=True), Var(ids.eps, 1e-16, 1.0),
    Var(ids.beta1, 0.0, 1.0, "gap"), Var(ids.beta2, 0.0, 1.0, "gap"),
    Var(ids.alpha, 1e-6, 1e2), Var(ids.step_t, 1, 1e6, integer=True),
), constraints=(sp.Le(ids.t, ids.T),))


def _decide(head: Head, lhs: sp.Expr, rhs: sp.Expr, relation: Relation) -> StepResult:
    return check_inequality(*head, lhs, rhs, relation, DOMAIN)


# --- Demon ----------------------------------------------------------------------------------
@step(DEMON, "β_t/(1 − β_t) = (1 − t/T)·β_init/(1 − β_init)")
def odds_linear(head: Head) -> StepResult:
    return _decide(head, ids.DEMON_BETA / (1 - ids.DEMON_BETA), ids.DEMON_ODDS, "==")


@step(DEMON, "β_0 = β_init and β_T = 0")
def endpoints(head: Head) -> StepResult:
    start = ids.DEMON_BETA.subs(ids.t, 0) - ids.beta_init
    end = ids.DEMON_BETA.subs(ids.t, ids.T)
    return _decide(head, start**2 + end**2, sp.Integer(0), "==")


@step(DEMON, "dβ_t/dt = −β_init(1 − β_init)/(T((1 − β_init) + β_init(1 − t/T))²)")
def derivative(head: Head) -> StepResult:
    return _decide(head, sp.diff(ids.DEMON_BETA, ids.t), ids.DEMON_DERIVATIVE, "==")


@step(DEMON, "dβ_t/dt ≤ 0 for 0 < β_init < 1 and 0 ≤ t < T")
def decreasing(head: Head) -> StepResult:
    inside = {ids.beta_init: _o / (1 + _o), ids.t: ids.T * _y / (1 + _y)}
    return _decide(head, ids.DEMON_DERIVATIVE.subs(inside), sp.Integer(0), "<=")


@step(DEMON, "β_init = 0.9: β at t/T = 0, .25, .5, .75, 1 is 0.9, 0.870968, 0.818182, "
             "0.692308, 0 (6 decimals)")
def spec_values(head: Head) -> StepResult:
    gaps = [ids.DEMON_BETA.subs({ids.beta_init: sp.Rational(9, 10),
                                 ids.t: sp.Rational(str(x)) * ids.T}) - sp.Rational(str(v))
            for x, v in ids.DEMON_TABLE.items()]
    return _decide(head, sp.Max(*(abs(g) for g in gaps)), sp.Rational(1, 2 * 10**6),
                          "<=")


# --- Aida -----------------------------------------------------------------------------------
@step(AIDA, "as ξ → 0, (p, q) ↦ (p·pq⟨g,m⟩/(p²‖g‖² + ξ), q·pq⟨g,m⟩/(q²‖m‖² + ξ)) "
            "→ (q u, p w)")
def step_limit(head: Head) -> StepResult:
    p, q, gm = sp.symbols("p q gm", positive=True)
    gg, mm = gm / ids.u, gm / ids.w
    new_p, new_q = ids.projection_step(p, q, gg, mm, gm, ids.xi)
    limits = [sp.limit(new_p, ids.xi, 0) - q * ids.u, sp.limit(new_q, ids.xi, 0) - p * ids.w]
    return _decide(head, limits[0] ** 2 + limits[1] ** 2, sp.Integer(0), "==")


def _induction_residual(p: sp.Expr, q: sp.Expr, next_p: sp.Expr, next_q: sp.Expr
                        ) -> sp.Expr:
    """Squared gap between (q u, p w) and the claimed next closed form, with uw = c²."""
    gap = [q * ids.u - next_p, p * ids.w - next_q]
    return sum(sp.expand(g.subs(ids.cos_theta, sp.sqrt(ids.u * ids.w))) ** 2 for g in gap)


@step(AIDA, "K = 2j → 2j+1: (c^{2j}, c^{2j}) ↦ (c^{2j} u, c^{2j} w); base p_0 = q_0 = 1")
def even_closed_form(head: Head) -> StepResult:
    u_pos, w_pos = sp.symbols("u w", positive=True)  # c² = uw: the sign of ⟨g,m⟩ cancels
    residual = _induction_residual(ids.EVEN_P, ids.EVEN_P, ids.ODD_P, ids.ODD_Q).subs(
        {ids.u: u_pos, ids.w: w_pos})
    base = (ids.EVEN_P.subs(ids.j, 0) - 1) ** 2
    return _decide(head, residual + base, sp.Integer(0), "==")


@step(AIDA, "K = 2j+1 → 2j+2: (c^{2j} u, c^{2j} w) ↦ (c^{2j+2}, c^{2j+2})")
def odd_closed_form(head: Head) -> StepResult:
    u_pos, w_pos = sp.symbols("u w", positive=True)
    following = ids.EVEN_P.subs(ids.j, ids.j + 1)
    residual = _induction_residual(ids.ODD_P, ids.ODD_Q, following, following).subs(
        {ids.u: u_pos, ids.w: w_pos})
    return _decide(head, residual, sp.Integer(0), "==")


@step(AIDA, "the closed forms agree with the first projections computed literally (K = 0..6)")
def closed_forms_symbolic(head: Head) -> StepResult:
    gap = sp.Integer(0)
    for k in range(7):
        p, q = ids.projection_coefficients(k)
        claim = ((ids.EVEN_P, ids.EVEN_P) if k % 2 == 0 else (ids.ODD_P, ids.ODD_Q))
        for got, want in zip((p, q), claim, strict=True):
            want_k = want.subs(ids.j, k // 2).subs(ids.cos_theta**2, ids.u * ids.w)
            gap += sp.expand(sp.powsimp(got - want_k)) ** 2
    return _decide(head, gap, sp.Integer(0), "==")


@step(AIDA, "even K: b_K − a_K = c^K m − c^K g = c^K (m − g) (coordinate i)")
def even_residual(head: Head) -> StepResult:
    K_even = 2 * ids.j
    lhs = ids.EVEN_P * ids.m_i - ids.EVEN_P * ids.g_i
    return _decide(head, lhs, ids.RESIDUAL_EVEN.subs(ids.K, K_even), "==")


@step(AIDA, "odd K: c^{K−1}(w m − u g) = c^K(‖g‖ m/‖m‖ − ‖m‖ g/‖g‖), as ⟨g,m⟩ = c‖g‖‖m‖")
def odd_residual(head: Head) -> StepResult:
    inner = ids.cos_theta * ids.norm_g * ids.norm_m
    by_def = (ids.ODD_Q * ids.m_i - ids.ODD_P * ids.g_i).subs(
        {ids.u: inner / ids.norm_g**2, ids.w: inner / ids.norm_m**2})
    return _decide(head, by_def, ids.RESIDUAL_ODD.subs(ids.K, 2 * ids.j + 1), "==")


def _literal_projection(g: np.ndarray, m: np.ndarray, k: int, xi: float
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The spec's loop, rows = layers: k simultaneous projections, returns (a_k, b_k)."""
    a, b = g.copy(), m.copy()
    for _ in range(k):
        c = np.sum(a * b, axis=1, keepdims=True)
        a, b = (a * c / (np.sum(a * a, axis=1, keepdims=True) + xi),
                b * c / (np.sum(b * b, axis=1, keepdims=True) + xi))
    return a, b


_residual_even = sp.lambdify([ids.cos_theta, ids.K, ids.m_i, ids.g_i], ids.RESIDUAL_EVEN)
_residual_odd = sp.lambdify([ids.cos_theta, ids.K, ids.m_i, ids.g_i, ids.norm_g, ids.norm_m],
                            ids.RESIDUAL_ODD)


def closed_form_residual(g: np.ndarray, m: np.ndarray, k: int) -> np.ndarray:
    """r_K = b_K − a_K from the closed forms (rows = layers)."""
    ng = np.linalg.norm(g, axis=1, keepdims=True)
    nm = np.linalg.norm(m, axis=1, keepdims=True)
    cos = np.sum(g * m, axis=1, keepdims=True) / (ng * nm)
    if k % 2 == 0:
        return np.asarray(_residual_even(cos, k, m, g))
    return np.asarray(_residual_odd(cos, k, m, g, ng, nm))


def _layers(rng: np.random.Generator, n: int, dim: int = 8) -> dict[str, np.ndarray]:
    g = rng.standard_normal((n, dim)) * 10 ** rng.uniform(-3, 3, (n, 1))
    m = 0.9 * g * rng.uniform(0, 1, (n, 1)) + rng.standard_normal((n, dim)) * 10 ** rng.uniform(
        -3, 3, (n, 1))
    return {"g": g, "m": m, "K": rng.integers(0, 8, n)}


@step(AIDA, "closed forms = literal recursion at ξ = 0, random layers, K = 0..7 "
            "(relative error ≤ 1e-12; ξ = 1e-20 perturbs by O(ξ/‖a_K‖²))")
def closed_forms_numeric(head: Head) -> StepResult:
    def slack(g: np.ndarray, m: np.ndarray, K: np.ndarray) -> np.ndarray:
        out = np.empty(len(K))
        for k in range(8):
            rows = K == k
            a, b = _literal_projection(g[rows], m[rows], k, 0.0)
            ref = closed_form_residual(g[rows], m[rows], k)
            scale = np.linalg.norm(g[rows], axis=1) + np.linalg.norm(m[rows], axis=1)
            out[rows] = -np.linalg.norm((b - a) - ref, axis=1) / scale
        return out

    return check_numeric(*head, slack, _layers, tol=1e-12)


@step(AIDA, "dwmgrad.aida.projected_difference (float64, ξ = 0) gives the closed forms, "
            "K = 0..7")
def closed_forms_implementation(head: Head) -> StepResult:
    import torch

    from dwmgrad.aida import projected_difference

    def slack(g: np.ndarray, m: np.ndarray, K: np.ndarray) -> np.ndarray:
        out = np.empty(len(K))
        for k in range(8):
            rows = K == k
            r = projected_difference(torch.from_numpy(g[rows]), torch.from_numpy(m[rows]), k=k,
                                     xi=0.0, per_instance=True).numpy()
            scale = np.linalg.norm(g[rows], axis=1) + np.linalg.norm(m[rows], axis=1)
            ref = closed_form_residual(g[rows], m[rows], k)
            out[rows] = -np.linalg.norm(r - ref, axis=1) / scale
        return out

    return check_numeric(*head, slack, _layers, tol=1e-12)


# --- ε floor --------------------------------------------------------------------------------
@step(FLOOR, "β₂·ε(1 − β₂^{t−1})/(1 − β₂) + ε = ε(1 − β₂^t)/(1 − β₂) (induction; r_t² ≥ 0 "
             "dropped, F(0) = 0 ≤ s_0)")
def raw_floor_induction(head: Head) -> StepResult:
    lhs = ids.beta2 * ids.RAW_FLOOR.subs(ids.step_t, ids.step_t - 1) + ids.eps
    base = ids.RAW_FLOOR.subs(ids.step_t, 0)
    return _decide(head, lhs + base**2, ids.RAW_FLOOR, "==")


@step(FLOOR, "ŝ_t = s_t/(1 − β₂^t) ≥ ε(1 − β₂^t)/((1 − β₂)(1 − β₂^t)) = ε/(1 − β₂) for all t")
def corrected_floor(head: Head) -> StepResult:
    return _decide(head, ids.RAW_FLOOR / (1 - ids.beta2**ids.step_t),
                          ids.CORRECTED_FLOOR, "==")


@step(FLOOR, "random r_t (some zero), s_0 = 0: ε/(1 − β₂) ≤ ŝ_t at every t ≤ 300, equality "
             "when r ≡ 0")
def floor_numeric(head: Head) -> StepResult:
    floor = sp.lambdify([ids.eps, ids.beta2], ids.CORRECTED_FLOOR)

    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        r = rng.standard_normal((n, 300)) * 10 ** rng.uniform(-6, 1, (n, 1))
        r[rng.uniform(size=(n, 300)) < 0.3] = 0.0
        r[:10] = 0.0  # the floor is attained
        return {"r": r, "beta2": 1 - 10 ** rng.uniform(-4, -0.3, n),
                "eps": 10 ** rng.uniform(-16, -4, n)}

    def slack(r: np.ndarray, beta2: np.ndarray, eps: np.ndarray) -> np.ndarray:
        s = np.zeros(len(beta2))
        worst = np.full(len(beta2), np.inf)
        for t in range(1, r.shape[1] + 1):
            s = beta2 * s + (1 - beta2) * r[:, t - 1] ** 2 + eps
            s_hat = s / (1 - beta2**t)
            worst = np.minimum(worst, s_hat / floor(eps, beta2) - 1)
        return worst

    return check_numeric(*head, slack, sample, tol=1e-9)


@step(FLOOR, "ŝ_t ≥ ε/(1 − β₂) caps Aida's multiplier: (α/(1 − β₁^t))/√ŝ_t ≤ "
             "(α/(1 − β₁^t))/√(ε/(1 − β₂)) = (α/(1 − β₁^t))·√((1 − β₂)/ε), the spec's cap")
def aida_cap(head: Head) -> StepResult:
    at_floor = ids.alpha / (1 - ids.beta1**ids.step_t) / sp.sqrt(ids.CORRECTED_FLOOR)
    b2 = 1 - _y  # 0 < β₂ < 1
    gap = (ids.AIDA_CAP - at_floor).subs(ids.beta2, b2)
    return _decide(head, gap, sp.Integer(0), "==")


CAPS = {"Aida": ids.AIDA_CAP, "AdaBelief": ids.ADABELIEF_CAP}
"""The per-coordinate multiplier cap of each optimizer with ε in its second-moment state."""


@functools.lru_cache(maxsize=2)
def second_moment_records(seed: int = 0, steps: int = 60) -> dict[str, np.ndarray]:
    """Per step and coordinate of ``dwmgrad.Aida`` (K = 2) and ``dwmgrad.AdaBelief``, float64.

    A noisy quadratic whose first 3 gradient coordinates per row are always zero (so the floor
    is reached). Records ŝ_t = s_t/(1 − β₂^t) with its floor ε/(1 − β₂), and the realised
    multiplier |Δθ_i|/|m_i| with the optimizer's cap from :data:`CAPS`.
    """
    import torch

    import dwmgrad

    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    floor = float(ids.CORRECTED_FLOOR.subs({ids.eps: eps, ids.beta2: b2}))
    cols: dict[str, list[np.ndarray]] = {"s_hat": [], "floor": [], "multiplier": [], "cap": []}
    for name, cap_expr in CAPS.items():
        gen = torch.Generator().manual_seed(seed)
        x = torch.nn.Parameter(torch.randn(4, 16, generator=gen, dtype=torch.float64))
        mask = torch.ones(4, 16, dtype=torch.float64)
        mask[:, :3] = 0.0
        opt = dwmgrad.OPTIMIZERS[name].make([x], lr=lr, betas=(b1, b2), eps=eps)
        cap = sp.lambdify([ids.step_t], cap_expr.subs({ids.alpha: lr, ids.beta1: b1,
                                                       ids.beta2: b2, ids.eps: eps}))
        for t in range(1, steps + 1):
            noise = torch.randn(4, 16, generator=gen, dtype=torch.float64)
            x.grad = (x.detach() + noise) * mask
            before = x.detach().clone()
            opt.step()
            state = opt.state[x]
            moved = (x.detach() - before).abs().numpy().ravel()
            m = state["m"].abs().numpy().ravel()
            keep = m > 0
            cols["s_hat"].append(state["s"].numpy().ravel() / (1 - b2**t))
            cols["floor"].append(np.full(moved.size, floor))
            cols["multiplier"].append(np.where(keep, moved / np.where(keep, m, 1.0), 0.0))
            cols["cap"].append(np.full(moved.size, cap(t)))
    return {k: np.concatenate(v) for k, v in cols.items()}


@step(FLOOR, "on dwmgrad.Aida and dwmgrad.AdaBelief runs: ŝ_t ≥ ε/(1 − β₂) and "
             "|Δθ_i| ≤ cap·|m_i| at every step")
def second_moment_trajectory(head: Head) -> StepResult:
    def slack(s_hat: np.ndarray, floor: np.ndarray, multiplier: np.ndarray, cap: np.ndarray
              ) -> np.ndarray:
        return np.minimum(s_hat / floor - 1, 1 - multiplier / cap)

    return check_trajectory(*head, slack, second_moment_records(), tol=1e-9)
