"""What one report holds: :class:`ReportContents` (title, experiments, claims, figures,
tables). :func:`standard` is the toolkit's report (``dwmgrad-verify report``/``all``); the
audit of one optimizer (:mod:`reports.audit`) builds the same kind of report from its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reports.figures.canvas import FigureSpec
from reports.results import ResultSet
from reports.tables import TableSpec
from reports.verdicts import Claim


@dataclass(frozen=True)
class ReportContents:
    """``experiments``: measurement name -> section title, in report order; ``claims``: the
    claims to judge (a function of the results, so a report may hold one claim per bound
    found in them); ``derivations``: whether the report has the derivation appendix;
    ``rerun``: the command that writes every missing input (empty: each experiment's own)."""

    title: str
    experiments: Mapping[str, str]
    claims: Callable[[ResultSet], tuple[Claim, ...]]
    figures: tuple[FigureSpec, ...]
    tables: tuple[TableSpec, ...]
    derivations: bool = True
    rerun: str = ""


def standard() -> ReportContents:
    """The toolkit's own report: every registered claim, figure and table."""
    from reports.claims import claims
    from reports.compose import EXPERIMENT_TITLES
    from reports.figures import FIGURES
    from reports.results import EXPERIMENT_NAMES
    from reports.tables import TABLES

    return ReportContents("DWMGrad verification report",
                          {name: EXPERIMENT_TITLES.get(name, name) for name in EXPERIMENT_NAMES},
                          lambda results: claims(), FIGURES, TABLES)
