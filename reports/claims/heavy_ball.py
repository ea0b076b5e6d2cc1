"""Heavy-ball claims: Polyak's rate and its derivation, acceleration over GD, Lessard et
al.'s cycle, and the adaptive heavy ball of seed 001.
"""

from __future__ import annotations

import math

from experiments.measurements.empirical import EmpiricalMetrics, LrEdge
from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics, RateRow
from experiments.measurements.lessard_cycle import LessardCycleMetrics
from experiments.named import heavy_ball_rate as hbr
from reports.claims.common import SEED_AHB, fmt, seed
from reports.comparison import (
    SOURCE,
    Decided,
    check_paired,
    family,
    paired_difference,
    steps,
    universal_better,
)
from reports.results import InvalidData, ResultSet
from reports.rules import EMPIRICAL_FILE, entry, steps_verdict
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict, bound_ids, proof_ids
from theory.heavy_ball import stability_edge

RATE_RTOL = 0.01
"""Relative tolerance of GD's measured linear rate against (kappa-1)/(kappa+1)."""
LOG_RATE_TOL = 0.05
"""Two-sided tolerance of a fitted rate against rho*: |log rho_hat / log rho* - 1| (issue 11)."""
HB_FILE = "measurements/heavy_ball_rate.json"
CYCLE_ATOL = 1e-3
"""Absolute tolerance on Lessard et al.'s cycle points (published to four decimals)."""


def _hb_rows(r: ResultSet) -> list[RateRow]:
    rows = r.record(HeavyBallRateMetrics).rows
    if not rows:
        raise InvalidData("measurements/heavy_ball_rate.json", "metrics.rows is empty")
    return sorted(rows, key=lambda row: row.kappa)


def _unfitted(rows: list[RateRow], *fields: str) -> Verdict | None:
    """Inconclusive when a rate the rule needs could not be fitted (not a finite number)."""
    missing = [f"kappa={row.kappa:g}" for row in rows
               if any(getattr(row, f) is None for f in fields)]
    if not missing:
        return None
    return Verdict("inconclusive", f"no finite fitted rate at {', '.join(missing)}",
                   (Evidence("fields", ", ".join(fields), "measurements/heavy_ball_rate.json"),))


def polyak_rate(r: ResultSet) -> Verdict:
    """Two-sided: every seed's Jordan-form tail fit has |log rho_hat / log rho* - 1| <=
    ``LOG_RATE_TOL`` at every kappa of the measured scale (a missing kappa is invalid data).
    A fit window that starts in the transient or reaches the float64 floor decides nothing
    (inconclusive)."""
    rows = _hb_rows(r)
    scale = r.measurement("heavy_ball_rate").get("scale")
    if scale not in hbr.KAPPAS:
        raise InvalidData(HB_FILE, f"scale is {scale!r}, expected one of {sorted(hbr.KAPPAS)}")
    present = {row.kappa for row in rows}
    absent = [k for k in hbr.KAPPAS[scale] if k not in present]
    if absent:
        raise InvalidData(HB_FILE, f"metrics.rows has no row for kappa = "
                          f"{', '.join(f'{k:g}' for k in absent)} (scale {scale} measures "
                          f"{', '.join(f'{k:g}' for k in hbr.KAPPAS[scale])})")
    evidence, off, undecided, devs = [], [], [], []
    for row in rows:
        kappa, rho = row.kappa, row.rho_star
        first, last = row.window
        floor = row.window_error_min
        if any(x is None for x in row.rate_fit_jordan_seeds):
            undecided.append(f"kappa={kappa:g}: a seed's fit is not a finite number")
            continue
        fits = [x for x in row.rate_fit_jordan_seeds if x is not None]
        if not fits:
            raise InvalidData(HB_FILE, f"kappa = {kappa:g}: rate_fit_jordan_seeds is empty")
        dev = [log_rate_deviation(fit, rho) for fit in fits]
        worst = max(dev, key=abs)
        devs.append(worst)
        evidence.append(Evidence(
            f"kappa = {kappa:g}: rho* vs Jordan tail fit on k in [{first}, {last}] "
            f"({len(fits)} seeds)", f"{rho:.5f} vs {min(fits):.5f}..{max(fits):.5f} "
            f"(log ratio - 1 up to {worst:+.2%}; plain fit {fmt(row.rate_measured)})",
            HB_FILE))
        if first < hbr.transient_end(kappa):
            undecided.append(f"kappa={kappa:g}: the fit starts at k = {first}, in the "
                             f"transient (k < {hbr.transient_end(kappa)})")
        elif floor < hbr.FLOAT64_FLOOR:
            undecided.append(f"kappa={kappa:g}: the fit window reaches the float64 floor "
                             f"(error {floor:.2g} < {hbr.FLOAT64_FLOOR:.2g})")
        elif abs(worst) > LOG_RATE_TOL:
            off.append(f"kappa={kappa:g} ({'faster' if worst > 0 else 'slower'} than rho*, "
                       f"log ratio - 1 = {worst:+.2%})")
    if off:
        return Verdict("violated", f"fitted rate differs from rho* beyond {LOG_RATE_TOL:.0%} "
                       f"in log at {', '.join(off)}", tuple(evidence))
    if undecided:
        return Verdict("inconclusive", "; ".join(undecided), tuple(evidence))
    return Verdict("holds", f"every seed's tail fit matches rho* within "
                   f"{max(map(abs, devs)):.2%} in log at every kappa (tolerance "
                   f"{LOG_RATE_TOL:.0%})", tuple(evidence))


def log_rate_deviation(fitted: float, rho_star: float) -> float:
    """log(fitted)/log(rho*) - 1: > 0 when the fit converges faster than rho*."""
    if fitted <= 0:
        return math.inf
    return math.log(fitted) / math.log(rho_star) - 1


def heavy_ball_acceleration(r: ResultSet) -> Verdict:
    rows = _hb_rows(r)
    unfitted = _unfitted(rows, "rate_fit_jordan", "gd_rate_measured")
    if unfitted is not None:
        return unfitted
    evidence, not_faster, gd_off = [], [], []
    for row in rows:
        hb, gd = _finite(row.rate_fit_jordan), _finite(row.gd_rate_measured)
        gd_th = row.gd_rate_theory
        evidence.append(Evidence(f"kappa = {row.kappa:g}: steps per decade HB vs GD",
                                 f"{_decade(hb):.3g} vs {_decade(gd):.3g} (GD theory "
                                 f"{_decade(gd_th):.3g})", "measurements/heavy_ball_rate.json"))
        if row.kappa > 1 and hb >= gd:
            not_faster.append(f"kappa={row.kappa:g}")
        if gd > gd_th * (1 + RATE_RTOL):
            gd_off.append(f"kappa={row.kappa:g}")
    if not_faster or gd_off:
        why = [f"heavy ball is not faster than GD at {', '.join(not_faster)}"] if not_faster else []
        why += [f"GD slower than (kappa-1)/(kappa+1) at {', '.join(gd_off)}"] if gd_off else []
        return Verdict("violated", "; ".join(why), tuple(evidence))
    return Verdict("holds", "heavy ball needs fewer steps per decade than GD at every kappa > 1, "
                   "and GD attains (kappa-1)/(kappa+1)", tuple(evidence))


def _finite(value: float | None) -> float:
    """A rate :func:`_unfitted` has checked."""
    if value is None:
        raise TypeError("a rate checked by _unfitted is None")
    return value


def _decade(rate: float) -> float:
    """Steps to reduce the error tenfold at linear rate ``rate``."""
    return math.inf if rate >= 1 else math.log(0.1) / math.log(rate) if rate > 0 else 0.0


def lessard_cycle(r: ResultSet) -> Verdict:
    m = r.record(LessardCycleMetrics)
    points, expected = sorted(m.cycle_points), sorted(m.expected_cycle)
    if len(points) != len(expected):
        return Verdict("violated", f"no cycle detected ({len(points)} cycle points measured, "
                       f"{len(expected)} published)",
                       (Evidence("cycle detected", m.cycle_detected,
                                 "measurements/lessard_cycle.json"),))
    err = max(abs(a - b) for a, b in zip(points, expected, strict=True))
    evidence = [Evidence("cycle detected", m.cycle_detected,
                         "measurements/lessard_cycle.json"),
                Evidence("cycle points (measured vs published)",
                         f"{[round(p, 4) for p in points]} vs {expected}",
                         "measurements/lessard_cycle.json"),
                Evidence("largest deviation", err, "measurements/lessard_cycle.json")]
    wrong = []
    for start in m.starts:
        evidence.append(Evidence(f"start x0 = {start.x0:g}", "converges" if start.converged else
                                 f"does not converge (ends at {fmt(start.final_x)})",
                                 "measurements/lessard_cycle.json"))
        published = _lessard_published(start.x0)
        if published is not None and start.converged != published:
            wrong.append(f"x0={start.x0:g}")
    if not m.cycle_detected or err > CYCLE_ATOL or wrong:
        why = ["no cycle detected"] if not m.cycle_detected else []
        why += [f"cycle points off by {err:.2g}"] if err > CYCLE_ATOL else []
        why += [f"unexpected behaviour from {', '.join(wrong)}"] if wrong else []
        return Verdict("violated", "; ".join(why), tuple(evidence))
    return Verdict("holds", f"heavy ball settles into the published 3-cycle (within {err:.1e}); "
                   "the converging starts converge", tuple(evidence))


def _lessard_published(x0: float) -> bool | None:
    """Published behaviour from x0 = x1: cycles on [3.07, 3.46], converges at 3.0 and 3.5."""
    if 3.07 <= x0 <= 3.46:
        return False
    if x0 in (3.0, 3.5):
        return True
    return None


ADAPTIVE_HB_PROOFS = ("adaptive_hb_quadratic",)
HEAVY_BALL_PROOFS = ("heavy_ball_polyak",)


def adaptive_hb_beta(r: ResultSet) -> Verdict:
    return steps_verdict(r, ADAPTIVE_HB_PROOFS, "the adaptive heavy-ball momentum bound")


def heavy_ball_derivation(r: ResultSet) -> Verdict:
    return steps_verdict(r, HEAVY_BALL_PROOFS, "the heavy-ball optimal tuning")




def _bracket(edge: LrEdge) -> tuple[float, float]:
    """The bisected edge as [low, high]: -inf when no lr converges, +inf above the grid."""
    return (-math.inf if edge.low is None else edge.low,
            math.inf if edge.high is None else edge.high)


def edge_text(edge: LrEdge) -> str:
    low, high = _bracket(edge)
    if edge.low is None:
        return f"below the grid (fails at lr L = {high:.4g})"
    if edge.high is None:
        return f"above the grid (passes at its largest lr L = {low:.4g})"
    return f"in [{low:.4g}, {high:.4g}] ({len(edge.probe_lr_over_L)} bisection steps)"


def ahb_lr_robustness(r: ResultSet) -> Verdict:
    """Decided on the bisected stability edges (the largest lr·L at which no seed diverges
    within T and each ends below its start), never on the coarse grid: holds when AdaptiveHB's
    bracket lies above heavy ball's, violated when below, inconclusive when they overlap
    (equal within the bisection's tolerance). Heavy ball's theoretical edge 2(1+β) is the
    reference beside them; the largest lr converging to the stated level is reported too (a
    stricter criterion)."""
    sweep = r.record(EmpiricalMetrics).ahb_lr_robustness
    where = "metrics.ahb_lr_robustness.optimizers"
    ahb_sweep = entry(sweep.optimizers, "AdaptiveHB", EMPIRICAL_FILE, where)
    hb_sweep = entry(sweep.optimizers, "HeavyBall", EMPIRICAL_FILE, where)
    ahb, hb = ahb_sweep.stable_edge, hb_sweep.stable_edge
    theory_edge = stability_edge(sweep.heavy_ball_momentum)
    source = f"{EMPIRICAL_FILE}: metrics.ahb_lr_robustness"
    hb_low, hb_high = _bracket(hb)
    converging = (f"largest lr L converging to {sweep.converged_below:g} (f(x_0) - f*): "
                  f"AdaptiveHB {edge_text(ahb_sweep.converging_edge)}, heavy ball "
                  f"{edge_text(hb_sweep.converging_edge)}")
    evidence = (
        Evidence("largest stable lr L, AdaptiveHB (bisection)", edge_text(ahb), source),
        Evidence("largest stable lr L, heavy ball (bisection)", edge_text(hb), source),
        Evidence(f"heavy ball's stability edge 2(1 + beta), beta = {sweep.heavy_ball_momentum:g}"
                 " (theory)", f"{theory_edge:.4g} ("
                 f"{'inside' if hb_low <= theory_edge <= hb_high else 'outside'} its bisected "
                 "bracket)", "theory.heavy_ball.stability_edge"),
        Evidence("largest converging lr L, AdaptiveHB (bisection; context)",
                 edge_text(ahb_sweep.converging_edge), source),
        Evidence("largest converging lr L, heavy ball (bisection; context)",
                 edge_text(hb_sweep.converging_edge), source),
        Evidence("criteria", f"stable: no seed diverges by T = {sweep.horizon} (diverged at "
                 f"step k: f - f* first above {sweep.blowup:g} times its start, or not finite, "
                 f"at step k) and each ends below its start; converging: every seed ends with "
                 f"f - f* <= {sweep.converged_below:g} (f(x_0) - f*); bisection until "
                 f"high - low <= {sweep.tolerance:g} high", source),
        Evidence("coarse grid lr L (context; not decisive)", fmt(list(sweep.lr_over_L)), source),
        *(Evidence(f"{name}: largest converging grid lr L", fmt(s.largest_converging_lr_over_L),
                   source) for name, s in sweep.optimizers.items()),
        Evidence("problem", sweep.problem, source))
    ahb_low, ahb_high = _bracket(ahb)
    if ahb_low > hb_high:
        return Verdict("holds", f"AdaptiveHB is stable at larger learning rates: its edge "
                       f"{edge_text(ahb)} lies above heavy ball's {edge_text(hb)} ({converging})",
                       evidence)
    if ahb_high < hb_low:
        return Verdict("violated", f"AdaptiveHB is not more robust to large learning rates: "
                       f"its stability edge {edge_text(ahb)} lies below heavy ball's "
                       f"{edge_text(hb)} ({converging})", evidence)
    return Verdict("inconclusive", f"the bisected stability edges overlap (equal within the "
                   f"tolerance {sweep.tolerance:g}): AdaptiveHB {edge_text(ahb)}, heavy ball "
                   f"{edge_text(hb)} ({converging})", evidence)


COLLAPSED_MOMENTUM = 0.5
"""A median beta_k below this is "collapsed": the method runs close to plain SGD."""


def _control_rows(r: ResultSet) -> tuple[Decided, float | None, float | None]:
    """Steps to the MLP threshold, one option changed at a time: AdaptiveHB vs heavy ball with
    full-batch gradients (the secant reads one batch twice), and AdaptiveHB vs tuned SGD on
    minibatches (the standard method without momentum); and AdaptiveHB's median beta_k on
    minibatches and on full batches."""
    record = r.record(EmpiricalMetrics)
    controls = record.ahb_controls
    full = {n: entry(controls.full_batch, n, EMPIRICAL_FILE, "metrics.ahb_controls.full_batch")
            for n in ("AdaptiveHB", "HeavyBall")}
    mlp = {n: entry(record.mlp, n, EMPIRICAL_FILE, "metrics.mlp")
           for n in ("AdaptiveHB", "SGD")}
    rows = []
    for what, a, b in (("mlp, full-batch gradients: steps to threshold, AdaptiveHB vs "
                        "HeavyBall", full["AdaptiveHB"], full["HeavyBall"]),
                       ("mlp: steps to threshold, AdaptiveHB vs SGD (no momentum)",
                        mlp["AdaptiveHB"], mlp["SGD"])):
        check_paired(EMPIRICAL_FILE, what, a, b)
        rows.append(paired_difference(what, steps(a), steps(b)))
    return Decided.of(rows), controls.momentum_median, controls.full_batch_momentum_median


def ahb_faster(r: ResultSet) -> Verdict:
    """The comparison rule on steps to threshold (each at its tuned lr), with the controls of
    :func:`_control_rows`: a violation on the MLP is blamed on the minibatch secant when
    AdaptiveHB's beta_k collapses there (median below :data:`COLLAPSED_MOMENTUM`) and with
    full-batch gradients it is not decidedly slower than heavy ball; partly, when it is still
    slower there but by fewer steps; otherwise the controls do not explain it."""
    claim = family(r, "AdaptiveHB", ["HeavyBall"], steps, "steps to threshold")
    verdict = universal_better(claim, "AdaptiveHB reaches the threshold first", SOURCE)
    controls, beta_mini, beta_full = _control_rows(r)
    source = f"{EMPIRICAL_FILE}: metrics.ahb_controls, metrics.mlp"
    evidence = verdict.evidence + controls.evidence(source) + (
        Evidence("AdaptiveHB median beta_k on the MLP: minibatch / full batch",
                 f"{fmt(beta_mini)} / {fmt(beta_full)}", source),)
    if verdict.status != "violated":
        return Verdict(verdict.status, verdict.reason, evidence, verdict.counterexamples)
    mlp = [row for row in claim.rows if row.where.startswith("mlp:")
           and row.where in claim.named("worse")]
    collapsed = beta_mini is not None and beta_mini < COLLAPSED_MOMENTUM
    full, sgd = controls.rows
    said = (f"median beta_k {fmt(beta_mini)} on minibatches, {fmt(beta_full)} with full-batch "
            f"gradients; with full-batch gradients (one option changed) AdaptiveHB is "
            f"{controls.outcome(0)} vs heavy ball ({fmt(full.estimate)} steps); vs tuned SGD "
            f"without momentum: {controls.outcome(1)} ({fmt(sgd.estimate)} steps)")
    if not (mlp and collapsed):
        blame = f"not explained by the controls ({said})"
    elif controls.outcome(0) != "worse":
        blame = f"on the MLP blamed on the secant curvature of minibatch gradients ({said})"
    elif full.estimate < mlp[0].estimate:
        blame = (f"on the MLP partly blamed on the secant curvature of minibatch gradients: "
                 f"the gap shrinks from {fmt(mlp[0].estimate)} to {fmt(full.estimate)} steps "
                 f"with full-batch gradients, not to zero ({said})")
    else:
        blame = f"not explained by the controls ({said})"
    return Verdict("violated", f"{verdict.reason}; {blame}", evidence, verdict.counterexamples)


CLAIMS: tuple[Claim, ...] = (
    Claim("polyak-rate", "Polyak-tuned heavy ball converges at rho* = (sqrt k - 1)/(sqrt k + 1)",
          ClaimSource("literature", "Polyak 1964, the starting point of " + SEED_AHB,
                      "the optimal choice of the heavy ball momentum for quadratic optimization"),
          "On quadratics with spectrum in [mu, L], heavy ball with alpha*, beta* has linear rate "
          "rho*: every seed's rate, fitted on the tail after the transient and above the float64 "
          "floor allowing the k*rho^k Jordan term, has |log rate / log rho* - 1| <= 5% at every "
          "kappa.",
          bound_ids("heavy_ball_polyak_step", "heavy_ball_polyak_momentum",
                    "heavy_ball_optimal_rate"), ("heavy_ball_rate",),
          ("heavy_ball_rates", "heavy_ball_error_curves"), polyak_rate),
    Claim("heavy-ball-derivation", "Polyak's tuning is derived and every step verified",
          ClaimSource("derived", "theory.heavy_ball", "alpha*, beta*, rho* from the 2x2 iteration "
                      "matrix, the GD rate, the Jordan block at the interval ends"),
          "Every proof step of the heavy-ball derivation is verified.",
          proof_ids(*HEAVY_BALL_PROOFS), (), (), heavy_ball_derivation),
    Claim("heavy-ball-acceleration", "Heavy ball accelerates gradient descent",
          seed(SEED_AHB, "Heavy ball momentum is crucial in accelerating (stochastic) "
                "gradient-based optimization algorithms"),
          "At every condition number kappa > 1, tuned heavy ball needs fewer steps per decade of "
          "error than gradient descent with step 2/(L+mu), which attains (kappa-1)/(kappa+1).",
          bound_ids("heavy_ball_optimal_rate", "gradient_descent_rate"), ("heavy_ball_rate",),
          ("heavy_ball_rates",), heavy_ball_acceleration),
    Claim("lessard-cycle", "Heavy ball fails on Lessard et al.'s function",
          ClaimSource("literature", "Lessard, Recht, Packard, SIAM J. Optim. 2016, section 4.6",
                      "heavy ball with alpha = 1/9, beta = 4/9 from x0 in [3.07, 3.46] settles "
                      "into the 3-cycle {0.6465, -1.8024, 2.1159}"),
          "Heavy ball with Polyak's tuning does not converge on this smooth strongly convex "
          "function: it cycles through the published three points; starts at 3.0 and 3.5 "
          "converge.", (), ("lessard_cycle",), ("lessard_cycle",), lessard_cycle),
    Claim("adaptive-hb-beta",
          "The adaptive momentum stays below beta* on quadratics when the secant is exact",
          ClaimSource("derived", "theory.heavy_ball, the rule of " + SEED_AHB,
                      "at alpha = alpha*, h_k in [mu, L] implies beta_k <= beta*"),
          "Every proof step of the adaptive heavy-ball momentum bounds is verified: beta_k <= "
          "beta* at alpha = alpha* when h_k is the exact secant (in [mu, L]); the implemented "
          "secant ||g_k - g_{k-1}|| / (||d|| + 1e-6) obeys only the weaker derived bound "
          "min(beta_max, (1 - (1 - rho*) sqrt(||d||/(||d|| + 1e-6)))^2), which exceeds beta* "
          "once ||d|| is small (a finding: on AdaptiveHB runs at lr = alpha* beta_k reaches "
          "beta_max = 0.99; tests/theory/test_heavy_ball.py reports the naive beta_k <= beta* "
          "check violated with its counterexample).",
          proof_ids(*ADAPTIVE_HB_PROOFS), (), (), adaptive_hb_beta),
    Claim("ahb-lr-robustness", "Adaptive heavy ball is more robust to large learning rates",
          seed(SEED_AHB, "SGD and Adam with the newly designed adaptive momentum are more robust "
                "to large learning rates"),
          "On a quadratic, the largest learning rate at which SGD with the adaptive momentum is "
          "stable (no seed diverges and each ends below its start), refined by bisection to 1%, "
          "is larger than heavy ball's with a fixed momentum (whose theoretical edge is lr L = "
          "2(1 + beta)); brackets that overlap are equal within the tolerance: inconclusive. The "
          "largest learning rate that converges to 1e-8 of the start is reported beside it.",
          (), ("empirical",), ("ahb_lr_robustness",), ahb_lr_robustness),
    Claim("ahb-faster", "Adaptive heavy ball converges faster than fixed-momentum SGD",
          seed(SEED_AHB, "SGD and Adam with the newly designed adaptive momentum ... converge "
                "faster ... than the baselines"),
          "On every small-scale problem, each at its own lr tuned on separate seeds, SGD with "
          "the adaptive momentum reaches the threshold on f - f* in fewer steps than heavy "
          "ball by the comparison rule (paired seed bootstrap, Holm-corrected); a violation "
          "carries its controls (full-batch gradients, tuned SGD, the measured beta_k).",
          (), ("empirical",), ("empirical_final_loss",), ahb_faster),
)
