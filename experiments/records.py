"""What a run returns: :class:`RunRecord`, and its tidy-CSV / JSON file form.

Per-step arrays have shape (seeds, steps). Step ``t`` (1..T) holds the quantity at the iterate
``x_t`` at which the t-th gradient is taken: ``x_1`` is the initial point, so ``losses[:, t-1]``
is f_t(x_t), the term of the regret sum R_T = Σ_t f_t(x_t) - min_x Σ_t f_t(x). Vector
quantities are stored one column per coordinate ("x[0]", "x[1]", ...); :meth:`vector` stacks
them back. A diverged instance (non-finite loss or gradient first at step k) has
``diverged_at[seed] = k`` and NaN from step k on.

File form (see ``docs/results.md``): ``<key>.csv.gz``, a gzip-compressed CSV with columns
experiment, spec_key, seed, step, quantity, value (deterministic bytes: no time stamp);
``<key>.json`` with the spec, status, diverged_at, package versions and git commit
(deterministic: bit-identical for the same spec); and ``<key>.timings.json`` with the
wall-clock timings and creation time (which cannot be bit-identical across runs, so they
live apart).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from experiments.spec import RunSpec

FORMAT_VERSION = 2  # 2: the CSV is gzip-compressed (<key>.csv.gz)
CSV_COMPRESSLEVEL = 6
Status = Literal["ok", "diverged", "failed"]
CSV_COLUMNS = ("experiment", "spec_key", "seed", "step", "quantity", "value")
_COLUMN = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")


@dataclass
class RunRecord:
    """The outcome of ``run_spec(spec)``.

    ``losses`` and every ``extras[name]`` are float64 arrays of shape (len(spec.seeds), T).
    ``info`` holds deterministic facts about the run's problem (solver name/status/accuracy of
    f*, f*, L, mu; JSON-able); ``timings`` the measured cost (seconds, bytes; not
    deterministic); ``error`` the reason of a "failed" run.
    """

    spec: RunSpec
    losses: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    status: Status = "ok"
    diverged_at: dict[int, int] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.spec.seeds

    def vector(self, name: str) -> np.ndarray:
        """Stack the columns "name[0]", "name[1]", ... into shape (seeds, T, dim)."""
        columns = sorted(
            ((int(m["index"]), key) for key in self.extras
             if (m := _COLUMN.match(key)) and m["name"] == name),
        )
        if not columns:
            raise KeyError(f"no recorded vector quantity {name!r}; have {sorted(self.extras)}")
        return np.stack([self.extras[key] for _, key in columns], axis=-1)

    def quantity(self, name: str) -> np.ndarray:
        """"loss" or an extra, shape (seeds, T)."""
        if name == "loss":
            return self.losses
        if name not in self.extras:
            raise KeyError(f"no recorded quantity {name!r}; have loss, {sorted(self.extras)}")
        return self.extras[name]

    # ---- file form -------------------------------------------------------------------------

    def csv_text(self) -> str:
        """Tidy CSV, rows ordered by quantity ("loss" first, then extras sorted), seed, step.

        Values are written with ``repr`` (shortest round-trip form), so reading the file back
        gives the same float64 numbers and writing it again gives the same bytes. A "failed"
        run has no values: its CSV is the header alone (it loads as NaN).
        """
        key, experiment = self.spec.key(), self.spec.experiment
        steps = range(1, self.spec.horizon + 1)
        lines = [",".join(CSV_COLUMNS)]
        for name in () if self.status == "failed" else ("loss", *sorted(self.extras)):
            values = self.quantity(name)
            for row, seed in enumerate(self.spec.seeds):
                prefix = f"{experiment},{key},{seed},"
                suffix = f",{name},"
                lines.extend(f"{prefix}{step}{suffix}{value!r}"
                             for step, value in zip(steps, values[row].tolist(), strict=True))
        return "\n".join(lines) + "\n"

    def csv_gz(self) -> bytes:
        """:meth:`csv_text` gzip-compressed, with no time stamp or file name in the header,
        so the same record gives the same bytes."""
        return gzip.compress(self.csv_text().encode(), compresslevel=CSV_COMPRESSLEVEL, mtime=0)

    def metadata(self, versions: dict[str, str], git_commit: str) -> dict[str, Any]:
        """Deterministic JSON metadata (no times: those go to the timings file)."""
        return {
            "format_version": FORMAT_VERSION,
            "spec_key": self.spec.key(),
            "spec": self.spec.to_dict(),
            "status": self.status,
            "diverged_at": {str(seed): step for seed, step in sorted(self.diverged_at.items())},
            "info": self.info,
            "error": self.error,
            "quantities": ["loss", *sorted(self.extras)],
            "versions": versions,
            "git_commit": git_commit,
        }

    @classmethod
    def from_files(cls, csv_path: Path, json_path: Path,
                   timings_path: Path | None = None) -> RunRecord:
        meta = json.loads(json_path.read_text())
        spec = RunSpec.from_dict(meta["spec"])
        arrays = _read_csv(csv_path, spec, meta["quantities"])
        timings: dict[str, Any] = {}
        if timings_path is not None and timings_path.exists():
            timings = json.loads(timings_path.read_text())
        losses = arrays.pop("loss")
        return cls(
            spec=spec, losses=losses, extras=arrays, status=meta["status"],
            diverged_at={int(s): int(k) for s, k in meta["diverged_at"].items()},
            timings=timings, info=meta.get("info", {}), error=meta.get("error"),
        )


def read_csv_text(path: Path) -> str:
    """The CSV text of a ``.csv.gz`` result file."""
    return gzip.decompress(path.read_bytes()).decode()


def _read_csv(path: Path, spec: RunSpec, quantities: list[str]) -> dict[str, np.ndarray]:
    """Per-quantity (seeds, T) arrays from a tidy CSV.

    Fast path for the layout :meth:`RunRecord.csv_text` writes (one block of T rows per
    quantity and seed, steps 1..T; each block's first and last rows are checked); any other
    row order is read row by row.
    """
    lines = read_csv_text(path).splitlines()
    if not lines or tuple(lines[0].split(",")) != CSV_COLUMNS:
        raise ValueError(f"{path}: header {lines[:1]}; expected {list(CSV_COLUMNS)}")
    rows = lines[1:]
    horizon, seeds = spec.horizon, spec.seeds
    arrays = {name: np.full((len(seeds), horizon), np.nan) for name in quantities}
    if len(rows) == len(quantities) * len(seeds) * horizon and _blocks_match(rows, spec,
                                                                           quantities):
        values = np.array([line[line.rfind(",") + 1:] for line in rows], dtype=np.float64)
        blocks = values.reshape(len(quantities), len(seeds), horizon)
        for index, name in enumerate(quantities):
            arrays[name] = blocks[index].copy()
        return arrays
    position = {seed: row for row, seed in enumerate(seeds)}
    for record in csv.reader(rows):
        _, _, seed, step, name, value = record
        arrays[name][position[int(seed)], int(step) - 1] = float(value)
    return arrays


def _blocks_match(rows: list[str], spec: RunSpec, quantities: list[str]) -> bool:
    horizon = spec.horizon
    for q, name in enumerate(quantities):
        for s, seed in enumerate(spec.seeds):
            start = (q * len(spec.seeds) + s) * horizon
            for step, line in ((1, rows[start]), (horizon, rows[start + horizon - 1])):
                fields = line.rsplit(",", 4)
                if fields[1:4] != [str(seed), str(step), name]:
                    return False
    return True
