"""PEPit's worst case of heavy ball and gradient descent, accepted only when it is accurate.

The question (issue 10): where does a measured rate sit between ρ* and the worst case a
performance-estimation problem (PEP; Drori & Teboulle 2014, Taylor, Hendrickx & Glineur 2017)
certifies for the same (α, β) over the function class? PEPit (Goujaud et al., PyPI ``pepit``)
writes the PEP as an SDP and returns the dual value, an upper bound *if the solve is
accurate*. Measured here (``benchmarks/pepit_accuracy.py`` at κ = 10, N = 8, with PEPit's own
``SmoothStronglyConvexQuadraticFunction`` and μ = 1, L = κ): SCS returned 0.136 of a worst case
that the quadratic λx²/2 attains, CLARABEL 0.968 and failed at larger κ, each with status
"optimal". Two causes, both fixed by :class:`SymmetricQuadratic` and :func:`worst_case`:

* **scale**: with L = κ the Gram entries of gradients reach κ² and the solvers' absolute
  tolerances swamp a worst case near 5·10⁻³. The ratio ‖x_N − x*‖²/‖x_0 − x*‖² is invariant
  under f → f/L, so the problem is posed at μ = 1/κ, L = 1 (and α·κ for the step);
* **an asymmetric LMI**: PEPit's quadratic class states (L+μ) g_i·(x_j − x*) − g_i·g_j −
  μL (x_i − x*)·(x_j − x*) ⪰ 0 with entries that are symmetric only modulo its symmetry
  constraints, so the dual certificate PEPit reconstructs does not add up (its own check
  reported errors from 1 to 10⁶ even on accurate solves). :class:`SymmetricQuadratic` writes
  the entries symmetrised (equal on the feasible set) and leaves out the stationary point's
  row, which is identically zero.

Every solve is then judged by :func:`accuracy_problems` on PEPit's primal and dual
(:class:`Diagnostics`, the quantities of ``PEP.check_feasibility`` computed, not printed):
solver status, relative duality gap, the error left when the dual multipliers recombine the
constraints into "objective ≤ τ" (the proof), and primal and dual infeasibility. A solve with
any problem is **rejected** and named with it; over quadratics an accepted value is also
compared with the exact worst case :func:`quadratic_worst_case` (heavy ball's error on an
eigen-direction is a polynomial p_N(λ) of the curvature, so the worst case over quadratics
with spectrum in [μ, L] is max over λ of p_N(λ)², attained by f = λx²/2).
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize_scalar

FunctionClass = Literal["quadratic", "smooth_strongly_convex"]
FUNCTION_CLASSES: tuple[FunctionClass, ...] = ("quadratic", "smooth_strongly_convex")
#: Acceptance thresholds of :func:`accuracy_problems` (relative to max(1, |τ|) where a scale
#: is needed; the Gram matrix is normalised by ‖x_0 − x*‖ ≤ 1).
GAP_TOL = 1e-4
PROOF_TOL = 1e-4
FEASIBILITY_TOL = 1e-6
#: An accepted PEPit value over quadratics must be within this of the exact worst case.
EXACT_TOL = 1e-3
SOLVER = "CLARABEL"
#: Tried in turn by :func:`reference` until one solve is accepted: the interior-point solver,
#: then SCS with tolerances 1e-8 (SCS's defaults under-reported 7x at κ = 10, N = 12 with a
#: dual certificate that did not add up; CLARABEL says "optimal_inaccurate" at N >= 8 there).
SOLVER_SETTINGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("CLARABEL", {}),
    ("SCS", {"eps_abs": 1e-8, "eps_rel": 1e-8, "max_iters": 50_000}),
)


def quadratic_worst_case(alpha: float, beta: float, mu: float, L: float, steps: int,
                         points: int = 20_001) -> float:
    """max over λ in [μ, L] of p_N(λ)², p_{k+1} = (1 + β − αλ) p_k − β p_{k−1}, p_0 = p_{−1} = 1:
    the worst ‖x_N − x*‖² over quadratics with that spectrum and ‖x_0 − x*‖ ≤ 1, x_{−1} = x_0
    (a grid, refined around its best point by a bounded scalar search)."""
    check_arguments(alpha, beta, mu, L, steps)

    def squared(lam: np.ndarray) -> np.ndarray:
        p_prev, p = np.ones_like(lam), np.ones_like(lam)
        for _ in range(steps):
            p, p_prev = (1 + beta - alpha * lam) * p - beta * p_prev, p
        return np.asarray(p**2)

    grid = np.linspace(mu, L, points)
    values = squared(grid)
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, points - 1)]
    refined = minimize_scalar(lambda z: -float(squared(np.array([z]))[0]), bounds=(lo, hi),
                              method="bounded", options={"xatol": 1e-14 * L})
    return float(max(values[i], -refined.fun))


@dataclass(frozen=True)
class Diagnostics:
    """What a PEPit solve reports about its own accuracy (``PEP.check_feasibility``)."""

    status: str
    primal: float
    dual: float
    gap: float                  # |dual − primal| / max(1, |primal|)
    proof_error: float          # Σ |coefficients left| of objective − Σ multipliers·constraints
    primal_violation: float     # worst of: −λ_min(Gram), −λ_min(LMIs), constraint violations
    dual_violation: float       # worst of: −λ_min(residual), −λ_min(LMI duals), −min(ineq duals)


def accuracy_problems(d: Diagnostics) -> list[str]:
    """Why a solve cannot be trusted (empty: accurate). Each names the quantity and value."""
    scale = max(1.0, abs(d.dual))
    problems = []
    if d.status != "optimal":
        problems.append(f"solver status {d.status!r}")
    if not all(np.isfinite([d.primal, d.dual, d.gap, d.proof_error, d.primal_violation,
                            d.dual_violation])):
        problems.append("a non-finite value")
        return problems
    if d.gap > GAP_TOL:
        problems.append(f"duality gap {d.gap:.2g} > {GAP_TOL:g}")
    if d.proof_error > PROOF_TOL * scale:
        problems.append(f"dual certificate does not add up: error {d.proof_error:.2g} > "
                        f"{PROOF_TOL:g} x {scale:.3g}")
    if d.primal_violation > FEASIBILITY_TOL * scale:
        problems.append(f"primal infeasible by {d.primal_violation:.2g}")
    if d.dual_violation > FEASIBILITY_TOL * scale:
        problems.append(f"dual infeasible by {d.dual_violation:.2g}")
    return problems


def _symmetric_quadratic_class() -> type:
    from PEPit import Expression, PSDMatrix
    from PEPit.functions import SmoothStronglyConvexQuadraticFunction

    class SymmetricQuadratic(SmoothStronglyConvexQuadraticFunction):  # type: ignore[misc]
        """PEPit's smooth strongly convex quadratic class (Bousselmi, Hendrickx, Glineur 2023,
        Theorem 3.9) with the LMI written symmetrically and without the stationary point's
        zero row (module docstring)."""

        def add_class_constraints(self) -> None:
            points = self.list_of_points
            self.add_constraints_from_one_list_of_points(
                list_of_points=points, constraint_name="value",
                set_class_constraint_i=self.set_value_constraint_i)
            self.add_constraints_from_two_lists_of_points(
                list_of_points_1=points, list_of_points_2=points, constraint_name="symmetry",
                set_class_constraint_i_j=self.set_symmetry_constraint_i_j, symmetry=True)
            xs = self.list_of_stationary_points[0][0]
            moving = [p for p in points if p[0] is not xs]
            lmi = np.empty((len(moving), len(moving)), dtype=Expression)
            for i, (xi, gi, _) in enumerate(moving):
                for j, (xj, gj, _) in enumerate(moving):
                    lmi[i, j] = ((self.L + self.mu) * 0.5 * (gi * (xj - xs) + gj * (xi - xs))
                                 - gi * gj - self.mu * self.L * (xi - xs) * (xj - xs))
            self.list_of_class_psd.append(PSDMatrix(matrix_of_expressions=lmi))

    return SymmetricQuadratic


def _diagnostics(problem: Any, status: str) -> Diagnostics:
    """PEP.check_feasibility's quantities, returned instead of printed."""
    from PEPit.point import Point
    from PEPit.tools.dict_operations import prune_dict, symmetrize_dict

    primal = float(problem.objective.eval())
    constraints = problem._list_of_prepared_constraints
    lmis = problem._list_of_psd_sent_to_wrapper
    violations = [-float(np.min(np.linalg.eigh(problem.G_value)[0]))]
    violations += [-float(np.min(np.linalg.eigh(m.eval())[0])) for m in lmis]
    violations += [float(c.eval()) if c.equality_or_inequality == "inequality"
                   else abs(float(c.eval())) for c in constraints]
    dual_violations = [-float(np.min(np.linalg.eigh(problem.residual)[0]))]
    dual_violations += [-float(np.min(np.linalg.eigh(m.eval_dual())[0])) for m in lmis]
    dual_violations += [-float(c.eval_dual()) for c in constraints
                        if c.equality_or_inequality == "inequality"]
    points = Point.list_of_leaf_points
    combination = -np.dot(points, np.dot(problem.residual, points))
    for m in lmis:
        combination -= np.sum(m.eval_dual() * m.matrix_of_expressions)
    for c in constraints:
        combination += c.eval_dual() * c.expression
    remainder = prune_dict(symmetrize_dict((problem.objective - combination).decomposition_dict))
    dual = float(remainder.get(1, 0.0))
    proof_error = float(sum(abs(v) for k, v in remainder.items() if k != 1))
    return Diagnostics(status, primal, dual, abs(dual - primal) / max(1.0, abs(primal)),
                       proof_error, max(0.0, *violations), max(0.0, *dual_violations))


@dataclass(frozen=True)
class Solve:
    """One PEP: heavy ball (α, β) for N steps on μ-strongly convex L-smooth functions of
    ``function_class``, worst ‖x_N − x*‖² given ‖x_0 − x*‖ ≤ 1 and x_{−1} = x_0."""

    alpha: float
    beta: float
    mu: float
    L: float
    steps: int
    function_class: FunctionClass
    diagnostics: Diagnostics | None     # None: the solver failed
    seconds: float
    failure: str = ""

    @property
    def problems(self) -> list[str]:
        if self.diagnostics is None:
            return [f"solver failed: {self.failure}"]
        return accuracy_problems(self.diagnostics)

    @property
    def accepted(self) -> bool:
        return not self.problems


def worst_case(alpha: float, beta: float, mu: float, L: float, steps: int,
               function_class: FunctionClass = "quadratic", *, normalise: bool = True,
               formulation: Literal["symmetric", "pepit"] = "symmetric",
               solver: str = SOLVER, **solver_options: Any) -> Solve:
    """PEPit's worst case of heavy ball x_{k+1} = x_k − α∇f(x_k) + β(x_k − x_{k−1}) (β = 0:
    gradient descent). ``normalise`` poses it at (μ/L, 1, αL) (the same ratio; module
    docstring); ``formulation="pepit"`` uses PEPit's own quadratic class (to show the
    inaccuracy). ``solver_options`` go to cvxpy's solve."""
    from cvxpy.error import SolverError
    from PEPit import PEP
    from PEPit.functions import (
        SmoothStronglyConvexFunction,
        SmoothStronglyConvexQuadraticFunction,
    )

    if function_class not in FUNCTION_CLASSES:
        raise ValueError(f"function_class {function_class!r}; expected one of "
                         f"{list(FUNCTION_CLASSES)}")
    check_arguments(alpha, beta, mu, L, steps)
    scale = L if normalise else 1.0
    cls: Any = (SmoothStronglyConvexFunction if function_class == "smooth_strongly_convex"
                else _symmetric_quadratic_class() if formulation == "symmetric"
                else SmoothStronglyConvexQuadraticFunction)
    problem = PEP()
    func = problem.declare_function(cls, mu=mu / scale, L=L / scale)
    x_star = func.stationary_point()
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - x_star) ** 2 <= 1)
    x_new, x_old = x0, x0
    for _ in range(steps):
        x_new, x_old = (x_new - alpha * scale * func.gradient(x_new) + beta * (x_new - x_old),
                        x_new)
    problem.set_performance_metric((x_new - x_star) ** 2)
    started = time.perf_counter()
    try:   # PEPit prints a duality-gap warning even at verbose=0: judged below instead
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(verbose=0, solver=solver, **solver_options)
    except (SolverError, ValueError, AssertionError) as exc:
        return Solve(alpha, beta, mu, L, steps, function_class, None,
                     time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200])
    status = str(problem.wrapper.prob.status)
    diagnostics = _diagnostics(problem, status)
    return Solve(alpha, beta, mu, L, steps, function_class, diagnostics,
                 time.perf_counter() - started)


def check_arguments(alpha: float, beta: float, mu: float, L: float, steps: int) -> None:
    """Refuse a bad (α, β, μ, L, N) with one line naming it."""
    if not (0 < mu <= L and alpha > 0 and 0 <= beta < 1 and steps >= 1):
        raise ValueError(f"need 0 < mu <= L, alpha > 0, 0 <= beta < 1, steps >= 1; got "
                         f"mu={mu!r}, L={L!r}, alpha={alpha!r}, beta={beta!r}, steps={steps!r}")


@dataclass(frozen=True)
class Reference:
    """PEPit's worst case of one (α, β, N, class), beside the exact worst case over
    quadratics: ``accepted`` when a solve passed :func:`accuracy_problems` and agrees with the
    exact value (within :data:`EXACT_TOL`; over the larger smooth strongly convex class: not
    below it, since every such quadratic is in the class); else ``problems`` names why."""

    function_class: FunctionClass
    steps: int
    worst_case: float | None
    exact_quadratic: float
    solver: str
    problems: tuple[str, ...]
    diagnostics: Diagnostics | None

    @property
    def accepted(self) -> bool:
        return not self.problems


def exact_problem(value: float, exact: float, function_class: FunctionClass) -> str | None:
    """Why an accurate-looking PEPit value contradicts the exact worst case over quadratics
    (None: it does not)."""
    ratio = value / exact
    if function_class == "quadratic" and abs(ratio - 1) > EXACT_TOL:
        return f"PEPit/exact over quadratics {ratio:.4g}, not within {EXACT_TOL:g} of 1"
    if function_class == "smooth_strongly_convex" and ratio < 1 - EXACT_TOL:
        return (f"PEPit/exact {ratio:.4g}: below a worst case a quadratic of the class "
                "attains")
    return None


def reference(alpha: float, beta: float, mu: float, L: float, steps: int,
              function_class: FunctionClass,
              settings: tuple[tuple[str, dict[str, Any]], ...] = SOLVER_SETTINGS) -> Reference:
    """The first accepted solve of :data:`SOLVER_SETTINGS` (or the last rejected one, every
    attempt's problems named)."""
    exact = quadratic_worst_case(alpha, beta, mu, L, steps)
    problems: list[str] = []
    solve: Solve | None = None
    for solver, options in settings:
        solve = worst_case(alpha, beta, mu, L, steps, function_class, solver=solver, **options)
        found = list(solve.problems)
        if solve.diagnostics is not None and not found:
            contradiction = exact_problem(solve.diagnostics.dual, exact, function_class)
            found = [contradiction] if contradiction else []
        if not found and solve.diagnostics is not None:
            return Reference(function_class, steps, solve.diagnostics.dual, exact, solver, (),
                             solve.diagnostics)
        problems += [f"{solver}: {p}" for p in found]
    assert solve is not None, "no solver settings"
    value = solve.diagnostics.dual if solve.diagnostics is not None else None
    return Reference(function_class, steps, value, exact, settings[-1][0], tuple(problems),
                     solve.diagnostics)
