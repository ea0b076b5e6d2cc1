"""The claim: every seed's final f - f* is within the plateau bound."""

from __future__ import annotations

from dwmgrad_example_plugin.bound import PLATEAU
from dwmgrad_example_plugin.measurement import PlateauMetrics
from reports.claims import register_claim
from reports.results import ResultSet
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict, bound_ids


def plateau_rule(results: ResultSet) -> Verdict:
    m = results.record(PlateauMetrics)
    bound = PLATEAU.evaluate(d=m.d, L=m.L, lr=m.lr)
    worst = max(m.final_gap)
    evidence = (Evidence("largest final f - f*", worst), Evidence("bound d L lr^2 / 2", bound))
    if worst <= bound:
        return Verdict("holds", f"largest final gap {worst:.3g} <= {bound:.3g}", evidence)
    return Verdict("violated", f"largest final gap {worst:.3g} > {bound:.3g}", evidence)


register_claim(Claim(
    id="sign-descent-plateau",
    title="Sign descent settles within d L lr^2 / 2 of f* (test plugin)",
    source=ClaimSource("derived", "tests/data/plugin_site", "the plateau bound"),
    statement="After ||x_0||_inf / lr steps, sign descent keeps f(x_T) - f* <= d L lr^2 / 2.",
    theory=bound_ids("sign_descent_plateau"),
    experiments=("example_sign_descent",),
    figures=(),
    rule=plateau_rule,
))
