"""The result files a report reads, loaded once and never recomputed.

Layout (see the results contract): ``DIR/measurements/<experiment>.json``,
``DIR/theory/bounds.json``, ``DIR/checks/checks.json``, ``DIR/tables/derivations.tex``,
``DIR/theory/derivations.md``. A missing file is not an error here: it is recorded with the
command that produces it, and every claim that needs it is ``not run`` with that command
(:class:`MissingResult`). A corrupt file (not JSON, not an object, or holding NaN/Infinity) is
recorded as invalid, and every claim that reads it is ``invalid data`` naming the file
(:class:`InvalidData`). Nothing in this module runs an experiment, a derivation or a check.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from experiments.measurements import InvalidData, MeasurementRecord

R = TypeVar("R", bound=MeasurementRecord)

EXPERIMENT_NAMES: tuple[str, ...] = (
    "heavy_ball_rate",
    "lessard_cycle",
    "reddi",
    "dwmgrad_regret",
    "bound_tightness",
    "counterexample_search",
    "invariance",
    "cost_scaling",
    "empirical",
)
"""The named experiments of the contract, in the order the report presents them."""


CONTRACT_ERRORS: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError, IndexError,
                                                AttributeError, ZeroDivisionError)
"""What reading an untyped part of a result file that does not follow the contract raises
(a figure's ``series``): a figure or table hit by one is not drawn, with the error. Claims
never catch them: every claim reads typed records, and any exception other than
:class:`MissingResult` / :class:`InvalidData` in a rule is a bug that propagates."""

BOUNDS_FILE = "theory/bounds.json"
CHECKS_FILE = "checks/checks.json"
STAGES_FILE = "logs/stages.json"
"""Written by ``dwmgrad-verify all``: {stage: error message or ""}; read to explain gaps."""


class MissingResult(Exception):
    """A result a claim or a figure needs is absent: the experiment or stage that writes it
    has not run (a claim hit by it is ``not run``); the message gives the command."""


@dataclass(frozen=True)
class Source:
    """One result file: its path, its parsed content (or ``None``), why it is absent
    (``reason``) and, for a file that is present but corrupt, what is wrong (``invalid``)."""

    name: str
    path: Path
    content: Any = None
    reason: str = ""
    invalid: str = ""

    @property
    def present(self) -> bool:
        return self.content is not None


def non_finite_paths(node: Any, where: str = "") -> Iterator[str]:
    """The JSON paths (``metrics.rows[2].ratio``) of every NaN or infinite number in ``node``."""
    if isinstance(node, float) and not math.isfinite(node):
        yield where or "(top level)"
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from non_finite_paths(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from non_finite_paths(value, f"{where}[{i}]")


def _load_json(name: str, root: Path, relpath: str, command: str) -> Source:
    """Parse ``root/relpath``; reasons name the path relative to the report directory and,
    for an absent file, the ``command`` that writes it."""
    path = root / relpath
    if not path.is_file():
        return Source(name, path, reason=f"{relpath} not found: run `{command}`" if command
                      else f"{relpath} not found")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Source(name, path, invalid=f"unreadable: {exc}")
    bad = next(non_finite_paths(content), None)
    if bad is not None:
        return Source(name, path, invalid=f"non-finite number at {bad}")
    return Source(name, path, content)


@dataclass(frozen=True)
class ResultSet:
    """Everything a report is built from, keyed by file; see :func:`load_results`."""

    root: Path
    measurements: Mapping[str, Source]
    bounds: Source
    checks: Source
    stage_errors: Mapping[str, str] = field(default_factory=dict)
    rerun: str = ""
    """The command that writes every missing measurement (empty: each experiment's own)."""

    def measurement(self, name: str) -> dict[str, Any]:
        """The measurement dict of experiment ``name``: :class:`MissingResult` when it was
        not measured (absent, or its measurement failed), :class:`InvalidData` when corrupt."""
        src = self.measurements.get(name)
        relpath = f"measurements/{name}.json"
        if src is None:
            src = _load_json(name, self.root, relpath, self.run_command(name))
        self._check_valid(src, relpath)
        if not src.present:
            raise MissingResult(self._with_stage(src.reason, "experiments"))
        if not isinstance(src.content, dict):
            raise InvalidData(relpath, "does not hold a JSON object")
        if "error" in src.content:
            raise MissingResult(self._with_stage(
                f"{relpath}: the measurement failed ({src.content['error']}): rerun "
                f"`{self.run_command(name)}`", "experiments"))
        return src.content

    def record(self, kind: type[R]) -> R:
        """The typed metrics of experiment ``kind.EXPERIMENT``: :class:`MissingResult` when
        not measured, :class:`InvalidData` (naming the file and field) when the file does not
        hold a valid ``kind`` record."""
        return kind.from_measurement(self.measurement(kind.EXPERIMENT),
                                     f"measurements/{kind.EXPERIMENT}.json")

    def run_command(self, name: str) -> str:
        """The command that writes ``measurements/<name>.json`` into this directory."""
        return self.rerun or f"dwmgrad-verify run {name} --out {self.root}"

    def series(self, name: str) -> Mapping[str, Any]:
        node = self.measurement(name).get("series")
        if not isinstance(node, Mapping) or not node:
            raise InvalidData(f"measurements/{name}.json", "has no 'series'")
        return node

    def run_spec(self, name: str, key: str) -> dict[str, Any] | None:
        """The spec of run ``key`` of experiment ``name`` (``runs/<name>/<key>.json``), or None
        if that file is absent or unreadable (the specs only label figures)."""
        src = _load_json(name, self.root, f"runs/{name}/{key}.json", "")
        if src.present and isinstance(src.content, Mapping) and \
                isinstance(src.content.get("spec"), Mapping):
            return dict(src.content["spec"])
        return None

    def run_specs(self, name: str) -> list[dict[str, Any]]:
        """The specs of the runs behind measurement ``name`` that can be read."""
        specs = [self.run_spec(name, str(key))
                 for key in self.measurement(name).get("runs") or []]
        return [spec for spec in specs if spec is not None]

    def bound_list(self) -> list[dict[str, Any]]:
        """The bounds of ``theory/bounds.json`` (a list, or the list under a ``bounds`` key)."""
        content = self._need(self.bounds, "theory")
        items = content.get("bounds") if isinstance(content, Mapping) else content
        if not isinstance(items, list):
            raise InvalidData(BOUNDS_FILE, "holds no list of bounds")
        return [b for b in items if isinstance(b, dict)]

    def theory_field(self, key: str) -> Any:
        """``theory/bounds.json[key]`` (e.g. ``paper_algorithm_gaps``); MissingResult if absent."""
        content = self._need(self.bounds, "theory")
        if not isinstance(content, Mapping) or key not in content:
            raise InvalidData(BOUNDS_FILE, f"has no '{key}'")
        return content[key]

    def check_rows(self) -> list[dict[str, Any]]:
        """The step rows of ``checks/checks.json`` (a list, or under ``steps``/``rows``)."""
        content = self._need(self.checks, "checks")
        items = content
        if isinstance(content, Mapping):
            items = next((content[k] for k in ("steps", "rows", "results") if k in content), None)
        if not isinstance(items, list):
            raise InvalidData(CHECKS_FILE, "holds no list of proof steps")
        return [r for r in items if isinstance(r, dict)]

    def _need(self, src: Source, stage: str) -> Any:
        self._check_valid(src, BOUNDS_FILE if stage == "theory" else CHECKS_FILE)
        if not src.present:
            raise MissingResult(self._with_stage(src.reason, stage))
        return src.content

    @staticmethod
    def _check_valid(src: Source, relpath: str) -> None:
        if src.invalid:
            raise InvalidData(relpath, src.invalid)

    def _with_stage(self, reason: str, stage: str) -> str:
        err = self.stage_errors.get(stage)
        return f"{reason}; the {stage} stage failed: {err}" if err else reason

    def inventory(self) -> list[dict[str, str]]:
        """One row per input file: name, relative path, status and reason or scale."""
        rows = []
        for src in (*self.measurements.values(), self.bounds, self.checks):
            row = {"name": src.name, "path": str(_relative(src.path, self.root)),
                   "status": "invalid" if src.invalid else
                   "present" if src.present else "missing",
                   "detail": src.invalid or src.reason}
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


def load_results(root: Path, experiments: Iterable[str] = EXPERIMENT_NAMES,
                 rerun: str = "") -> ResultSet:
    """Read every result file under ``root``; absent and corrupt files are recorded, not
    raised. ``rerun``: the command that writes every missing measurement (default: each
    experiment's ``dwmgrad-verify run NAME``)."""
    root = Path(root)
    measurements = {
        name: _load_json(name, root, f"measurements/{name}.json",
                         rerun or f"dwmgrad-verify run {name} --out {root}")
        for name in experiments
    }
    bounds = _load_json("theory", root, BOUNDS_FILE, f"dwmgrad-verify theory --out {root}")
    checks = _load_json("checks", root, CHECKS_FILE, f"dwmgrad-verify check --out {root}")
    stages = _load_json("stages", root, STAGES_FILE, "")
    stage_errors: dict[str, str] = {}
    if stages.present and isinstance(stages.content, Mapping):
        stage_errors = {str(k): str(v) for k, v in stages.content.items() if v}
    return ResultSet(root, measurements, bounds, checks, stage_errors, rerun)
