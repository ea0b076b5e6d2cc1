"""The result files a report reads, loaded once and never recomputed.

Layout (see the results contract): ``DIR/measurements/<experiment>.json``,
``DIR/theory/bounds.json``, ``DIR/checks/checks.json``, ``DIR/tables/derivations.tex``,
``DIR/theory/derivations.md``. A missing or unreadable file is not an error here: it is
recorded with a reason, and every claim that needs it becomes ``inconclusive`` with that
reason. Nothing in this module runs an experiment, a derivation or a check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPERIMENT_NAMES: tuple[str, ...] = (
    "heavy_ball_rate",
    "lessard_cycle",
    "reddi",
    "dwmgrad_regret",
    "counterexample_search",
    "cost_scaling",
    "empirical",
)
"""The named experiments of the contract, in the order the report presents them."""


CONTRACT_ERRORS: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError, IndexError,
                                                AttributeError, ZeroDivisionError)
"""What reading a result file that does not follow the contract raises; a claim, figure or
table hit by one is reported inconclusive / not drawn with the error, never a crash."""

STAGES_FILE = "logs/stages.json"
"""Written by ``dwmgrad-verify all``: {stage: error message or ""}; read to explain gaps."""


class MissingResult(Exception):
    """A result a claim or a figure needs is absent; the message is the reason shown."""


@dataclass(frozen=True)
class Source:
    """One result file: its path, its parsed content (or ``None``) and why it is absent."""

    name: str
    path: Path
    content: Any = None
    reason: str = ""

    @property
    def present(self) -> bool:
        return self.content is not None


def _load_json(name: str, root: Path, relpath: str, hint: str) -> Source:
    """Parse ``root/relpath``; reasons name the path relative to the report directory."""
    path = root / relpath
    if not path.is_file():
        return Source(name, path, reason=f"{relpath} not found ({hint})")
    try:
        return Source(name, path, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Source(name, path, reason=f"{relpath} is unreadable: {exc}")


@dataclass(frozen=True)
class ResultSet:
    """Everything a report is built from, keyed by file; see :func:`load_results`."""

    root: Path
    measurements: Mapping[str, Source]
    bounds: Source
    checks: Source
    stage_errors: Mapping[str, str] = field(default_factory=dict)

    def measurement(self, name: str) -> dict[str, Any]:
        """The measurement dict of experiment ``name``; raises :class:`MissingResult`."""
        src = self.measurements.get(name)
        if src is None:
            src = _load_json(name, self.root, f"measurements/{name}.json", _hint(name))
        if not src.present:
            raise MissingResult(self._with_stage(src.reason, "experiments"))
        if not isinstance(src.content, dict):
            raise MissingResult(f"measurements/{name}.json does not hold a JSON object")
        return src.content

    def metric(self, name: str, *keys: str) -> Any:
        """``measurement(name)["metrics"][k1]...``; a missing key is a :class:`MissingResult`."""
        node: Any = self.measurement(name).get("metrics")
        where = f"measurements/{name}.json: metrics"
        if node is None:
            raise MissingResult(f"{where} absent")
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                raise MissingResult(f"{where}.{key} absent")
            node = node[key]
            where += f".{key}"
        return node

    def series(self, name: str) -> Mapping[str, Any]:
        node = self.measurement(name).get("series")
        if not isinstance(node, Mapping) or not node:
            raise MissingResult(f"measurements/{name}.json has no 'series'")
        return node

    def run_specs(self, name: str) -> list[dict[str, Any]]:
        """The specs of the runs behind measurement ``name`` (``runs/<name>/<key>.json``);
        unreadable or absent run files are skipped (the specs only label figures)."""
        specs = []
        for key in self.measurement(name).get("runs") or []:
            src = _load_json(name, self.root, f"runs/{name}/{key}.json", "")
            if src.present and isinstance(src.content, Mapping) and \
                    isinstance(src.content.get("spec"), Mapping):
                specs.append(dict(src.content["spec"]))
        return specs

    def bound_list(self) -> list[dict[str, Any]]:
        """The bounds of ``theory/bounds.json`` (a list, or the list under a ``bounds`` key)."""
        content = self._need(self.bounds, "theory")
        items = content.get("bounds") if isinstance(content, Mapping) else content
        if not isinstance(items, list):
            raise MissingResult("theory/bounds.json holds no list of bounds")
        return [b for b in items if isinstance(b, dict)]

    def theory_field(self, key: str) -> Any:
        """``theory/bounds.json[key]`` (e.g. ``paper_algorithm_gaps``); MissingResult if absent."""
        content = self._need(self.bounds, "theory")
        if not isinstance(content, Mapping) or key not in content:
            raise MissingResult(f"theory/bounds.json has no '{key}'")
        return content[key]

    def check_rows(self) -> list[dict[str, Any]]:
        """The step rows of ``checks/checks.json`` (a list, or under ``steps``/``rows``)."""
        content = self._need(self.checks, "checks")
        items = content
        if isinstance(content, Mapping):
            items = next((content[k] for k in ("steps", "rows", "results") if k in content), None)
        if not isinstance(items, list):
            raise MissingResult("checks/checks.json holds no list of proof steps")
        return [r for r in items if isinstance(r, dict)]

    def _need(self, src: Source, stage: str) -> Any:
        if not src.present:
            raise MissingResult(self._with_stage(src.reason, stage))
        return src.content

    def _with_stage(self, reason: str, stage: str) -> str:
        err = self.stage_errors.get(stage)
        return f"{reason}; the {stage} stage failed: {err}" if err else reason

    def inventory(self) -> list[dict[str, str]]:
        """One row per input file: name, relative path, status and reason or scale."""
        rows = []
        for src in (*self.measurements.values(), self.bounds, self.checks):
            row = {"name": src.name, "path": str(_relative(src.path, self.root)),
                   "status": "present" if src.present else "missing",
                   "detail": src.reason}
            if src.present and isinstance(src.content, Mapping):
                scale = src.content.get("scale")
                row["detail"] = f"scale {scale}" if scale else ""
            rows.append(row)
        return rows


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def _hint(name: str) -> str:
    return f"run `dwmgrad-verify run {name}` or `dwmgrad-verify all`"


def load_results(root: Path, experiments: Iterable[str] = EXPERIMENT_NAMES) -> ResultSet:
    """Read every result file under ``root``; absent files are recorded, not raised."""
    root = Path(root)
    measurements = {
        name: _load_json(name, root, f"measurements/{name}.json", _hint(name))
        for name in experiments
    }
    bounds = _load_json("theory", root, "theory/bounds.json",
                        "run `dwmgrad-verify theory --json` or `dwmgrad-verify all`")
    checks = _load_json("checks", root, "checks/checks.json",
                        "run `dwmgrad-verify check --json` or `dwmgrad-verify all`")
    stages = _load_json("stages", root, STAGES_FILE, "")
    stage_errors: dict[str, str] = {}
    if stages.present and isinstance(stages.content, Mapping):
        stage_errors = {str(k): str(v) for k, v in stages.content.items() if v}
    return ResultSet(root, measurements, bounds, checks, stage_errors)
