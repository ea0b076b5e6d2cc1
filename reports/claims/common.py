"""What the claim modules share: the seed documents and number formatting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.results import ResultSet
from reports.verdicts import ClaimSource

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


def deferred_at_quick(r: ResultSet, experiment: str) -> str:
    """The prefix of an inconclusive reason that quick scale cannot decide:
    "settled at full scale: " when ``experiment``'s result is quick scale, else ""."""
    return "settled at full scale: " if r.measurement(experiment).get("scale") == "quick" else ""
