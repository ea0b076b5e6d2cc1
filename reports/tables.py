"""Headline tables: the numbers each experiment and the proof checker contribute.

Each function reads the result files and returns a :class:`~reports.document.Table` (the
report shows it, ``tables/<name>.tex`` holds it as booktabs LaTeX), or raises
:class:`~reports.results.MissingResult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from experiments.measurements.bound_tightness import BoundTightnessMetrics
from experiments.measurements.cost_scaling import CostScalingMetrics
from experiments.measurements.counterexample_search import CounterexampleSearchMetrics
from experiments.measurements.dwmgrad_regret import DwmgradRegretMetrics
from experiments.measurements.empirical import EmpiricalMetrics, LrEdge, RosenbrockLoss, TunedLr
from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics
from experiments.measurements.invariance import InvarianceMetrics
from experiments.measurements.lessard_cycle import LessardCycleMetrics
from experiments.measurements.reddi import ReddiMetrics
from experiments.named.reddi import CONSTRUCTIONS
from experiments.named.tuning import MAX_EXTENSIONS
from reports.document import Math, Table
from reports.results import ResultSet
from reports.rules import EMPIRICAL_TASKS, interval_text


def num(v: Any, digits: int = 4) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int | float):
        return f"{v:.{digits}g}"
    return str(v)


def ci(d: Mapping[str, Any], value_key: str = "slope") -> str:
    if not isinstance(d, Mapping) or value_key not in d:
        return "-"
    if d[value_key] is None:
        return "diverged" if d.get("diverged_seeds") else "-"
    return interval_text(d[value_key], d.get("ci_low"), d.get("ci_high"), d.get("n_samples"),
                         ".3g")


def heavy_ball_table(r: ResultSet) -> Table:
    rows = sorted(r.record(HeavyBallRateMetrics).rows, key=lambda row: row.kappa)
    return Table([Math(r"\kappa"), [Math(r"\rho^*"), " (theory)"], "rate, Jordan fit",
                  "rate, plain fit", "GD theory", "GD measured"],
                 [[num(x.kappa), num(x.rho_star, 5), num(x.rate_fit_jordan, 5),
                   num(x.rate_measured, 5), num(x.gd_rate_theory, 5),
                   num(x.gd_rate_measured, 5)] for x in rows],
                 "Heavy ball with Polyak's tuning and gradient descent on quadratics: per-step "
                 "rates, theory vs fitted.", "tab:heavy-ball-rate")


def lessard_table(r: ResultSet) -> Table:
    m = r.record(LessardCycleMetrics)
    rows = [["cycle", str(m.cycle_detected),
             ", ".join(num(x) for x in m.cycle_points),
             ", ".join(num(x) for x in m.expected_cycle)]]
    rows += [[f"x0 = {num(s.x0)}", "converges" if s.converged else "does not converge",
              num(s.final_x), ""] for s in m.starts]
    return Table(["run", "outcome", "measured", "published"], rows,
                 "Heavy ball (alpha = 1/9, beta = 4/9) on Lessard et al.'s function.",
                 "tab:lessard")


def reddi_table(r: ResultSet) -> Table:
    metrics = r.record(ReddiMetrics)
    rows = [[construction, name, num(e.final_x), num(e.regret_over_T)]
            for construction in CONSTRUCTIONS
            for name, e in sorted(metrics.table(construction).items())]
    return Table(["construction", "optimizer", ["final ", Math("x"), " (", Math("x^* = -1"), ")"],
                  Math("R_T / T")], rows,
                 "Reddi et al.'s constructions: final iterate and average regret.", "tab:reddi")


def reddi_outcomes_table(r: ResultSet) -> Table:
    outcomes = r.record(ReddiMetrics).outcomes
    rows = [[label, condition, f"{s.values[0]:g} .. {s.values[-1]:g}", str(len(s.values)),
             str(s.at_plus_one), str(s.at_minus_one), str(s.elsewhere)]
            for label, by_condition in outcomes.shares.items()
            for condition, s in by_condition.items()]
    return Table(["optimizer", "condition", "values", "rows", ["at ", Math("+1")],
                  ["at ", Math("x^* = -1")], "elsewhere"], rows,
                  f"Reddi et al.'s Theorem 1 game: where each optimizer ends (within "
                  f"{outcomes.x_atol:g}, T = {outcomes.T}) when only the start or a constant loss "
                  "offset changes (exact counts of deterministic runs).", "tab:reddi-outcomes")


def regret_table(r: ResultSet) -> Table:
    record = r.record(DwmgradRegretMetrics)
    rows = []
    for variant, per_problem in sorted(record.exponents.items()):
        for problem, exponent in sorted(per_problem.items()):
            mine = [x for x in record.rows if x.variant == variant and x.problem == problem]
            ratios = [x.ratio for x in mine if x.ratio is not None]
            horizons = [x.T for x in mine]
            rows.append([variant, problem, ci(asdict(exponent.whole)),
                         num(max(ratios), 3) if ratios else "no bound",
                         f"{min(horizons)}-{max(horizons)}" if horizons else "-"])
    return Table(["variant", "problem", ["exponent ", Math(r"a\ (R_T \sim T^a)")],
                  ["max ", Math(r"R_T/\text{bound}")], [Math("T"), " range"]],
                 rows, "DWMGrad in online convex optimization: fitted regret exponents "
                 "(bootstrap CI over seeds) and the largest ratio to the derived bound.",
                 "tab:dwmgrad-regret")


def invariance_table(r: ResultSet) -> Table:
    summary = r.record(InvarianceMetrics)
    transforms = list(next(iter(summary.table.values()), {}))
    rows = [[optimizer, *(row.get(t, "-") for t in transforms)]
            for optimizer, row in summary.table.items()]
    return Table(["optimizer", *transforms], rows,
                 f"Invariance audit on the online suite (T = {summary.horizon}; worst over the "
                 "games): 'exact' = iterates and R_T/T unchanged to 1e-10 of D_inf and G_inf "
                 "D_inf, 'up to eps' = to 1e-5, else 'sensitive'.", "tab:invariance")


def pepit_table(r: ResultSet) -> Table:
    """Every PEPit worst case of ``heavy_ball_rate``: accepted, or rejected with its reasons."""
    rows = [[f"{p.kappa:g}", p.method, p.function_class.replace("_", " "), str(p.steps),
             num(p.worst_case, 4) if p.worst_case is not None else "-", num(p.exact_quadratic, 4),
             num(p.worst_case / p.exact_quadratic, 4) if p.worst_case is not None else "-",
             p.solver, "accepted" if p.accepted else "rejected: " + "; ".join(p.problems)]
            for p in r.record(HeavyBallRateMetrics).pepit]
    return Table(["kappa", "method", "function class", "N", "PEPit worst ||x_N - x*||^2",
                  "exact over quadratics", "PEPit / exact", "solver", "verdict"], rows,
                 "PEPit's worst case (||x_0 - x*|| <= 1, x_{-1} = x_0) at the tuning of the "
                 "rate figure, beside the exact worst case over quadratics "
                 "(max_lambda p_N(lambda)^2). A solve is accepted only when its solver status, "
                 "duality gap, dual certificate and feasibility are accurate and it agrees "
                 "with the exact value over quadratics (is not below it over the larger class); "
                 "rejected solves are listed with the reason.", "tab:pepit")


def tightness_table(r: ResultSet) -> Table:
    """Per registered regret bound and source (problem suite, adversarial games,
    counterexample search), the largest measured/bound ratio; "yes" in the last column marks
    the bound's largest over all sources (the measurement's tables, read from the file:
    never re-run)."""
    m = r.record(BoundTightnessMetrics)
    largest = {(row.bound, row.source, row.game, row.T) for row in m.table}
    rows = [[row.bound, row.source, num(row.ratio, 3), row.game, row.setting, str(row.T),
             num(row.bound_over_trivial, 3), str(row.exceeds_one), str(row.instances),
             "yes" if (row.bound, row.source, row.game, row.T) in largest else ""]
            for row in m.by_source]
    return Table(["bound", "source", "max measured/bound", "game or sequence", "setting", "T",
                  "bound/trivial", "any ratio > 1", "instances", "largest of the bound"], rows,
                 "Tightness of the DWMGrad regret bounds: the largest measured regret / bound "
                 "over the problem suite, the adversarial games and the sequences the "
                 "counterexample search replayed (named by their replay files), with the game, "
                 "setting and horizon attaining it.", "tab:bound-tightness")


def counterexample_table(r: ResultSet) -> Table:
    m = r.record(CounterexampleSearchMetrics)
    rows = [[name, str(e.found), str(e.evaluations),
             ", ".join(f"T={t}: {num(v, 3)}" for t, v in e.avg_regret_by_T.items()),
             e.conditions or "-", e.replay or "-"]
            for name, e in sorted(m.targets.items())]
    return Table(["optimizer", "counterexample found", "evaluations", Math("R_T/T"),
                  "conditions", "replay"], rows,
                 f"Counterexample search (Adam's known counterexample rediscovered: "
                 f"{m.adam_rediscovered}).", "tab:counterexamples")


def cost_table(r: ResultSet) -> Table:
    m = r.record(CostScalingMetrics).optimizers
    rows = [[name, "no fit" if e.time_exponent_d is None else ci(asdict(e.time_exponent_d)),
             ci(asdict(e.time_exponent_n)),
             num(e.state_bytes_per_param_measured), num(e.state_bytes_per_param_model)]
            for name, e in sorted(m.items())]
    return Table(["optimizer", "time exponent in d (beyond the cache, overhead subtracted)",
                  "time exponent in n",
                  "state B/param (measured)", "state B/param (model)"], rows,
                 "Cost scaling: fitted exponents (bootstrap CI) and state memory vs the cost "
                 "model.", "tab:cost")


def empirical_table(r: ResultSet) -> Table:
    record = r.record(EmpiricalMetrics)
    tasks = {t: record.table(t) for t in EMPIRICAL_TASKS}
    names = sorted({n for table in tasks.values() for n in table})
    rows = [[n] + [ci(asdict(table[n]) if n in table else {}, "final_loss_median")
                   for table in tasks.values()] for n in names]
    return Table(["optimizer"] + [f"{t}: final loss [CI]" for t in tasks], rows,
                 "Final training loss at small scale (median over seeds, bootstrap CI).",
                 "tab:empirical")


def faster_table(r: ResultSet) -> Table:
    m = r.record(EmpiricalMetrics).faster_convergence
    problems = list(m)
    names = sorted({n for p in problems for n in m[p].steps_to_threshold})
    rows = [[n] + [("never" if m[p].steps_to_threshold.get(n) is None
                    else num(m[p].steps_to_threshold[n])) for p in problems] for n in names]
    return Table(["optimizer"] + [f"{p}: steps" for p in problems], rows,
                 "Steps to reach each problem's threshold on f - f* (median over seeds).",
                 "tab:faster")


def _tuned_cells(t: TunedLr | None, lr: float = math.nan) -> list[str]:
    if t is None:
        return ["not tuned (no claim compares it)", num(lr, 3), "-"]
    scores = ", ".join(f"{num(lr, 3)}: {'diverged' if v is None else num(v, 3)}"
                       for lr, v in zip(t.grid, t.scores, strict=True))
    return [scores, num(t.chosen_lr, 3) + (" (grid edge)" if t.at_grid_edge else ""),
            ", ".join(map(str, t.tuning_seeds))]


def tuning_table(r: ResultSet) -> Table:
    record = r.record(EmpiricalMetrics)
    rows = []
    for problem in record.faster_convergence:
        task, _, start = problem.partition("_")
        for name, loss in sorted(record.table(task).items()):
            chosen = loss.by_start[start] if start and isinstance(loss, RosenbrockLoss) else loss
            rows.append([problem, name, *_tuned_cells(chosen.tuned, chosen.lr)])
    demon = record.demon_momentum_robustness
    rows += [[f"momentum sweep (tuned at beta {num(s.tuned_at_beta)})", name,
              *_tuned_cells(s.tuned)] for name, s in sorted(demon.optimizers.items())]
    return Table(["problem", "optimizer", "lr: mean log10 final value over the tuning seeds",
                  "chosen lr", "tuning seeds"], rows,
                 "Learning rates tuned on seeds disjoint from the evaluation seeds: the grid, "
                 "each lr's score (lower is better; diverged: a tuning seed diverged) and the "
                 "chosen lr. A grid whose choice is at its edge is extended past it, one grid "
                 "step at a time, by at most "
                 + " / ".join(f"{n} lrs at {scale}" for scale, n in MAX_EXTENSIONS.items())
                 + "; 'grid edge' marks a choice still at the edge after that (the best lr may "
                 "lie outside the grid).", "tab:tuning")


def ahb_controls_table(r: ResultSet) -> Table:
    record = r.record(EmpiricalMetrics)
    controls = record.ahb_controls
    rows = [[f"{name}, minibatch (128)", num(record.mlp[name].lr, 3),
             ci(asdict(record.mlp[name]), "final_loss_median"),
             num(record.mlp[name].steps_to_threshold_median)]
            for name in ("AdaptiveHB", "HeavyBall", "SGD") if name in record.mlp]
    rows += [[f"{name}, full batch", num(loss.lr, 3),
              ci(asdict(loss), "final_loss_median"), num(loss.steps_to_threshold_median)]
             for name, loss in sorted(controls.full_batch.items())]
    return Table(["MLP run", "lr (tuned on minibatches)", "final loss [CI]",
                  "steps to threshold (median)"], rows,
                 f"Adaptive heavy ball's controls: median beta_k {num(controls.momentum_median, 3)}"
                 f" on minibatches, {num(controls.full_batch_momentum_median, 3)} on full "
                 "batches.", "tab:ahb-controls")


def _sweep_table(xs: tuple[float, ...], x_name: str,
                 curves: Mapping[str, tuple[tuple[float | None, ...], tuple[int | None, ...]]],
                 caption: str, label: str, extra: Mapping[str, Mapping[str, str]] | None = None
                 ) -> Table:
    """One row per optimizer: its final value per setting ("diverged at step k" where it
    diverged), then the ``extra`` columns (column -> optimizer -> text)."""
    columns = dict(extra or {})
    rows = [[name] + [f"diverged at step {k}" if k is not None else num(v, 3)
                      for v, k in zip(ys, steps, strict=True)]
            + [columns[c].get(name, "-") for c in columns]
            for name, (ys, steps) in sorted(curves.items())]
    return Table([f"optimizer \\ {x_name}"] + [num(x) for x in xs] + list(columns), rows,
                 caption, label)


def demon_table(r: ResultSet) -> Table:
    sweep = r.record(EmpiricalMetrics).demon_momentum_robustness
    return _sweep_table(sweep.betas, "betas",
                        {n: (e.final_loss_by_beta, e.diverged_at_step_by_beta)
                         for n, e in sweep.optimizers.items()},
                        "Final MLP loss over the momentum setting (Demon: beta_init).",
                        "tab:demon")


def ahb_table(r: ResultSet) -> Table:
    sweep = r.record(EmpiricalMetrics).ahb_lr_robustness
    def bracket(edge: LrEdge) -> str:
        return (("-" if edge.low is None else num(edge.low)) + " .. " +
                ("above the grid" if edge.high is None else num(edge.high)))

    return _sweep_table(sweep.lr_over_L, "lr_over_L",
                        {n: (e.final_gap_by_lr, e.diverged_at_step_by_lr)
                         for n, e in sweep.optimizers.items()},
                        "Final f - f* on a quadratic over the learning rate (times L), and the "
                        "largest stable and largest converging lr L, bracketed by bisection "
                        f"(passes at the first, not at the second; tolerance {sweep.tolerance:g}"
                        ").", "tab:ahb",
                        {"stable edge": {n: bracket(e.stable_edge)
                                         for n, e in sweep.optimizers.items()},
                         "converging edge": {n: bracket(e.converging_edge)
                                             for n, e in sweep.optimizers.items()}})


def stepsize_table(r: ResultSet) -> Table:
    m = r.record(EmpiricalMetrics).stepsize_range.optimizers
    rows = [[n, ci(asdict(e), "log10_spread_median")] for n, e in sorted(m.items())]
    return Table(["optimizer", "log10 spread of step sizes [CI]"], rows,
                 "Spread of per-coordinate step sizes (decades).", "tab:stepsizes")


def checks_table(r: ResultSet) -> Table:
    rows = [[str(x.get("proof")), str(x.get("step")), str(x.get("statement")),
             str(x.get("method")), str(x.get("status")), num(x.get("worst_slack"), 3),
             num(x.get("instances"))] for x in r.check_rows()]
    return Table(["proof", "step", "statement", "method", "status", "worst slack", "instances"],
                 rows, "Every proof step and how it was checked.", "tab:checks")


def bounds_table(r: ResultSet) -> Table:
    rows = [[str(b.get("name")), str(b.get("kind")),
             Math(str(b["latex"])) if b.get("latex") else str(b.get("expression")),
             "; ".join(str(a.get("name", a)) if isinstance(a, Mapping) else str(a)
                       for a in b.get("assumptions", [])),
             str(b.get("reference"))] for b in r.bound_list()]
    return Table(["bound", "kind", "statement", "assumptions", "reference"], rows,
                 "Bounds derived or quoted by the theory package.", "tab:bounds")


@dataclass(frozen=True)
class TableSpec:
    name: str
    section: str
    make: Callable[[ResultSet], Table]


TABLES: tuple[TableSpec, ...] = (
    TableSpec("bounds", "theory", bounds_table),
    TableSpec("checks", "checks", checks_table),
    TableSpec("heavy_ball_rate", "heavy_ball_rate", heavy_ball_table),
    TableSpec("pepit_worst_case", "heavy_ball_rate", pepit_table),
    TableSpec("lessard_cycle", "lessard_cycle", lessard_table),
    TableSpec("reddi", "reddi", reddi_table),
    TableSpec("reddi_outcomes", "reddi", reddi_outcomes_table),
    TableSpec("dwmgrad_regret", "dwmgrad_regret", regret_table),
    TableSpec("bound_tightness", "bound_tightness", tightness_table),
    TableSpec("counterexample_search", "counterexample_search", counterexample_table),
    TableSpec("invariance", "invariance", invariance_table),
    TableSpec("cost_scaling", "cost_scaling", cost_table),
    TableSpec("empirical", "empirical", empirical_table),
    TableSpec("faster_convergence", "empirical", faster_table),
    TableSpec("demon_momentum_robustness", "empirical", demon_table),
    TableSpec("ahb_lr_robustness", "empirical", ahb_table),
    TableSpec("stepsize_range", "empirical", stepsize_table),
    TableSpec("lr_tuning", "empirical", tuning_table),
    TableSpec("ahb_controls", "empirical", ahb_controls_table),
)
