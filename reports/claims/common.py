"""What the claim modules share: the seed documents and number formatting."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from reports.results import InvalidData, ResultSet
from reports.rules import EMPIRICAL_FILE, entry, number
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


def robustness(r: ResultSet, metric: str, challenger: str, baseline: str,
               higher_is_better: tuple[str, ...], lower_is_better: tuple[str, ...]) -> Verdict:
    """Compare one robustness score of two optimizers in ``empirical.metrics.<metric>``."""
    table = r.metric("empirical", metric)
    where = f"metrics.{metric}"
    ch = entry(table, challenger, EMPIRICAL_FILE, where)
    base = entry(table, baseline, EMPIRICAL_FILE, where)
    for key in higher_is_better + lower_is_better:
        if key in ch and key in base:
            a, b = score(ch[key], key), score(base[key], key)
            better = a > b if key in higher_is_better else a < b
            evidence: tuple[Evidence, ...] = (
                Evidence(f"{key}: {challenger} vs {baseline}", f"{a:.4g} vs {b:.4g}",
                         f"measurements/empirical.json: metrics.{metric}"),)
            evidence += tuple(Evidence(f"{name}", fmt_map(v) if isinstance(v, Mapping) else
                                       fmt(v), f"measurements/empirical.json: metrics.{metric}")
                              for name, v in table.items())
            if a == b:
                return Verdict("inconclusive", f"equal {key} ({a:.4g})", evidence)
            return Verdict("holds" if better else "violated",
                           f"{challenger} {'is' if better else 'is not'} more robust than "
                           f"{baseline}: {key} {a:.4g} vs {b:.4g}", evidence)
    raise InvalidData("measurements/empirical.json", f"metrics.{metric}: no common score "
                      f"among {list(higher_is_better + lower_is_better)}")


def score(value: Any, key: str) -> float:
    """A robustness score; ``None`` stands for an infinite spread (a diverged setting)."""
    return math.inf if value is None else number(value, key)

