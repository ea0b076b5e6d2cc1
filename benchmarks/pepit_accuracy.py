"""Is PEPit's heavy-ball worst case over quadratics usable here? Its value against the exact one.

Polyak-tuned heavy ball (``theory.heavy_ball`` ALPHA_STAR, BETA_STAR at μ = 1, L = κ), started
with x_{-1} = x_0 and ‖x_0 - x*‖ <= 1, over every L-smooth μ-strongly convex quadratic: the
worst ‖x_N - x*‖² is max over λ in [μ, L] of p_N(λ)² (``theory.pepit_worst_case.
quadratic_worst_case``, attained by f(x) = λx²/2). Printed per (κ, N): that exact value, then
PEPit's value and PEPit/exact for

* ``pepit``: PEPit's own ``SmoothStronglyConvexQuadraticFunction`` posed at μ = 1, L = κ, with
  SCS (cvxpy's default here) and with CLARABEL: what the last session measured;
* ``fixed``: the same problem at μ = 1/κ, L = 1 over the class with a symmetric LMI
  (:func:`theory.pepit_worst_case.reference`: CLARABEL, then SCS at eps 1e-8),

each with the verdict of :func:`theory.pepit_worst_case.accuracy_problems` ("accepted" or the
reasons it is rejected) and the solve's wall time. A ratio below 1 with status "optimal" is
PEPit's "upper bound" below a worst case that a quadratic attains.

Run: ``python -m benchmarks.pepit_accuracy``.
"""

from __future__ import annotations

from experiments.named.heavy_ball_rate import polyak_tuning
from theory import pepit_worst_case as pw

CASES = ((10.0, 4), (10.0, 8), (10.0, 12), (100.0, 4), (100.0, 8), (1000.0, 4), (1000.0, 8))
SOLVERS = ("SCS", "CLARABEL")


def _verdict(problems: list[str] | tuple[str, ...]) -> str:
    return "accepted" if not problems else "rejected: " + "; ".join(problems)


def main() -> None:
    print(f"{'kappa':>7} {'N':>3} {'formulation':>16} {'exact':>12} {'PEPit':>12} "
          f"{'PEPit/exact':>11} {'s':>6}  verdict")
    for kappa, steps in CASES:
        alpha, beta, _ = polyak_tuning(1.0, kappa)
        exact = pw.quadratic_worst_case(alpha, beta, 1.0, kappa, steps)
        for solver in SOLVERS:
            solve = pw.worst_case(alpha, beta, 1.0, kappa, steps, normalise=False,
                                  formulation="pepit", solver=solver)
            value = solve.diagnostics.dual if solve.diagnostics is not None else float("nan")
            print(f"{kappa:>7g} {steps:>3} {'pepit ' + solver:>16} {exact:>12.6g} "
                  f"{value:>12.6g} {value / exact:>11.4f} {solve.seconds:>6.2f}  "
                  f"{_verdict(solve.problems)}", flush=True)
        ref = pw.reference(alpha, beta, 1.0, kappa, steps, "quadratic")
        value = ref.worst_case if ref.worst_case is not None else float("nan")
        print(f"{kappa:>7g} {steps:>3} {'fixed ' + ref.solver:>16} {exact:>12.6g} "
              f"{value:>12.6g} {value / exact:>11.4f} {'':>6}  {_verdict(ref.problems)}",
              flush=True)


if __name__ == "__main__":
    main()
