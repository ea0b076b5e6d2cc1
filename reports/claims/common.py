"""What the claim modules share: the seed documents and number formatting."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from reports.rules import EMPIRICAL_FILE, entry
from reports.verdicts import ClaimSource, Evidence, Verdict

SEED_DWMGRAD = "seeds/000_c498e3ceab1c8128.txt (Wang, Li, Zeng: DWMGrad, arXiv 2510.25042)"
SEED_AHB = "seeds/001_4d2d9f652b570652.txt (Sun et al.: adaptive heavy ball, arXiv 2110.09057)"
SEED_DEMON = "seeds/002_afff1032e3dc2cec.txt (Chen et al.: Demon, arXiv 1910.04952)"
SEED_AIDA = "seeds/003_a95d0e06363c2a78.txt (Zhang, Niwa, Kleijn: Aida, arXiv 2203.13273)"


def seed(doc: str, says: str) -> ClaimSource:
    """The source of a claim a seed document makes."""
    return ClaimSource("seed", doc, says)


def fmt_map(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {fmt(v)}" for k, v in d.items())


def fmt(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def robustness(metric: str, table: Mapping[str, Any], context: Mapping[str, Any],
               challenger: str, baseline: str, key: str, higher_is_better: bool) -> Verdict:
    """Compare one robustness score ``key`` of two optimizers' sweeps (``table``: label ->
    typed sweep of ``empirical.metrics.<metric>.optimizers``; ``context``: the sweep's
    settings, shown as evidence). A ``None`` score is the worst one: an infinite spread, or
    no setting at which the optimizer converges."""
    where = f"metrics.{metric}.optimizers"
    ch = entry(table, challenger, EMPIRICAL_FILE, where)
    base = entry(table, baseline, EMPIRICAL_FILE, where)
    worst = -math.inf if higher_is_better else math.inf
    a, b = (worst if getattr(x, key) is None else float(getattr(x, key)) for x in (ch, base))
    better = a > b if higher_is_better else a < b
    source = f"measurements/empirical.json: metrics.{metric}"
    evidence: tuple[Evidence, ...] = (
        Evidence(f"{key}: {challenger} vs {baseline}", f"{a:.4g} vs {b:.4g}", source),
        *(Evidence(name, fmt_map(asdict(sweep)), source) for name, sweep in table.items()),
        *(Evidence(name, fmt(value), source) for name, value in context.items()))
    if a == b:
        return Verdict("inconclusive", f"equal {key} ({a:.4g})", evidence)
    return Verdict("holds" if better else "violated",
                   f"{challenger} {'is' if better else 'is not'} more robust than "
                   f"{baseline}: {key} {a:.4g} vs {b:.4g}", evidence)
