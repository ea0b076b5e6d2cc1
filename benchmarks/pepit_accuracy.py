"""Is PEPit's heavy-ball worst case over quadratics usable here? Its value against the exact one.

Polyak-tuned heavy ball (``theory.heavy_ball`` ALPHA_STAR, BETA_STAR at μ = 1, L = κ), started
with x_{-1} = x_0 and ‖x_0 - x*‖ <= 1, over every L-smooth μ-strongly convex quadratic: the
worst ‖x_N - x*‖² is max over λ in [μ, L] of p_N(λ)², with p_{k+1} = (1 + β - αλ) p_k - β p_{k-1},
p_0 = p_{-1} = 1 (one eigen-direction; the worst quadratic puts x_0 on it). The maximum over a
grid of λ (200,001 points, endpoints included) is a *lower* estimate of that exact worst case,
witnessed by f(x) = λx²/2; PEPit's dual value (``PEP.solve`` through cvxpy, with SCS, cvxpy's
default here, and with CLARABEL) claims to be an *upper* bound. Printed per (κ, N, solver): both,
their ratio and PEPit's wall time ("failed" when the solver gives up). A ratio below 1 means
PEPit's "upper bound" is below a worst case that a quadratic attains.

Run: ``python -m benchmarks.pepit_accuracy`` (needs the ``pepit`` package of the test extra).
"""

from __future__ import annotations

import time

import numpy as np

from experiments.named.heavy_ball_rate import polyak_tuning

CASES = ((10.0, 4), (10.0, 8), (100.0, 4), (100.0, 8), (1000.0, 4))
SOLVERS = ("SCS", "CLARABEL")


def exact_worst_case(kappa: float, steps: int, points: int = 200_001) -> float:
    """max over a λ grid of p_N(λ)² (a lower estimate of the exact worst case)."""
    alpha, beta, _ = polyak_tuning(1.0, kappa)
    lam = np.linspace(1.0, kappa, points)
    p_prev, p = np.ones_like(lam), np.ones_like(lam)
    for _ in range(steps):
        p, p_prev = (1 + beta - alpha * lam) * p - beta * p_prev, p
    return float(np.max(p**2))


def pepit_worst_case(kappa: float, steps: int, solver: str) -> float:
    """PEPit's dual value of the same problem over SmoothStronglyConvexQuadraticFunction."""
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexQuadraticFunction

    alpha, beta, _ = polyak_tuning(1.0, kappa)
    problem = PEP()
    func = problem.declare_function(SmoothStronglyConvexQuadraticFunction, mu=1.0, L=kappa)
    x_star = func.stationary_point()
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - x_star) ** 2 <= 1)
    x_new, x_old = x0, x0
    for _ in range(steps):
        x_new, x_old = x_new - alpha * func.gradient(x_new) + beta * (x_new - x_old), x_new
    problem.set_performance_metric((x_new - x_star) ** 2)
    return float(problem.solve(verbose=0, solver=solver))


def main() -> None:
    from cvxpy.error import SolverError

    print(f"{'kappa':>7} {'N':>3} {'solver':>9} {'exact (grid)':>14} {'PEPit dual':>12} "
          f"{'PEPit/exact':>12} {'PEPit s':>8}")
    for kappa, steps in CASES:
        exact = exact_worst_case(kappa, steps)
        for solver in SOLVERS:
            start = time.perf_counter()
            try:
                tau = pepit_worst_case(kappa, steps, solver)
            except SolverError:
                print(f"{kappa:>7g} {steps:>3} {solver:>9} {exact:>14.6g} {'failed':>12}")
                continue
            seconds = time.perf_counter() - start
            print(f"{kappa:>7g} {steps:>3} {solver:>9} {exact:>14.6g} {tau:>12.6g} "
                  f"{tau / exact:>12.4f} {seconds:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
