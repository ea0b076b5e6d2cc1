"""What a run returns: :class:`RunRecord`, and its tidy-CSV / JSON file form.

Per-step arrays have shape (seeds, steps). Step ``t`` (1..T) holds the quantity at the iterate
``x_t`` at which the t-th gradient is taken: ``x_1`` is the initial point, so ``losses[:, t-1]``
is f_t(x_t), the term of the regret sum R_T = Σ_t f_t(x_t) - min_x Σ_t f_t(x). Vector
quantities are stored one column per coordinate ("x[0]", "x[1]", ...); :meth:`vector` stacks
them back. A diverged instance (non-finite loss or gradient first at step k) has
``diverged_at[seed] = k`` and NaN from step k on.

File form (see ``docs/results.md``): ``<key>.csv.gz``, a gzip-compressed CSV with columns
experiment, spec_key, seed, step, quantity, value (deterministic bytes: no time stamp);
``<key>.json`` with the format version, the spec and its key, the SHA-256 of the .csv.gz
bytes, status, diverged_at, package versions and git commit (deterministic: bit-identical for
the same spec); and ``<key>.timings.json`` with the wall-clock timings and creation time
(which cannot be bit-identical across runs, so they live apart).

Reading verifies the files (:func:`verify_run_files`): the format version, the spec key (in
the JSON, of the spec in the JSON and in the file name), the data file's hash and the timings
file; a file that fails is a :class:`RunFileError` naming it and the reason.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from experiments.spec import RunSpec

FORMAT_VERSION = 3  # 2: the CSV is gzip-compressed; 3: the .json holds the data's SHA-256
CSV_COMPRESSLEVEL = 6
Status = Literal["ok", "diverged", "failed"]
CSV_COLUMNS = ("experiment", "spec_key", "seed", "step", "quantity", "value")
_COLUMN = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")
COMPLETE_STATUSES = ("ok", "diverged")
TIMINGS_KEYS = ("setup_s", "run_s", "step_s")
"""What a complete run's timings file must hold (the cost experiments read them)."""


class RunFileError(ValueError):
    """A run's file is unreadable or does not match its record: ``path`` and ``reason``."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NewerFormatError(RunFileError):
    """A run file written by a newer dwmgrad-verify (a format this version cannot read)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise RunFileError(path, "missing") from None
    except (OSError, ValueError) as exc:
        raise RunFileError(path, f"unreadable ({type(exc).__name__}: {exc})") from None


def _check_version(json_path: Path, version: Any) -> None:
    if version == FORMAT_VERSION:
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise NewerFormatError(json_path, (
            f"format_version {version} was written by a newer dwmgrad-verify (this one reads "
            f"{FORMAT_VERSION}); upgrade dwmgrad-verify, or use another --out directory"))
    raise RunFileError(json_path, (
        f"format_version {version!r} is not the current {FORMAT_VERSION} (an older "
        "dwmgrad-verify wrote it, without the data hash this version checks); it is moved to "
        "quarantine and the next run recomputes it"))


def verify_run_files(csv_path: Path, json_path: Path, timings_path: Path) -> dict[str, Any]:
    """The run's JSON metadata after checking what can be checked without parsing the CSV.

    Always: the JSON parses, its format version is current, its ``spec_key`` is the key of
    its spec and the name of the file. For a complete run (status ok or diverged) also: the
    .csv.gz's SHA-256 is the JSON's ``data_sha256`` and the timings file holds
    :data:`TIMINGS_KEYS`. Raises :class:`RunFileError` (or :class:`NewerFormatError`) naming
    the file at fault.
    """
    meta = _read_json(json_path)
    if not isinstance(meta, dict):
        raise RunFileError(json_path, f"holds a {type(meta).__name__}, not a JSON object")
    _check_version(json_path, meta.get("format_version"))
    try:
        key = RunSpec.from_dict(meta["spec"]).key()
    except (KeyError, TypeError, ValueError) as exc:
        raise RunFileError(json_path, f"no valid spec ({type(exc).__name__}: {exc})") from None
    stem = json_path.name.removesuffix(".json")
    if not (meta.get("spec_key") == key == stem):
        raise RunFileError(json_path, (
            f"spec_key {meta.get('spec_key')!r}, key of its spec {key!r} and file name "
            f"{stem!r} differ (a run's files copied or renamed over another's?)"))
    if meta.get("status") not in COMPLETE_STATUSES:
        return meta
    try:
        data = csv_path.read_bytes()
    except FileNotFoundError:
        raise RunFileError(csv_path, "missing (its .json says the run is complete)") from None
    except OSError as exc:
        raise RunFileError(csv_path, f"unreadable ({exc.strerror})") from None
    if sha256_hex(data) != meta.get("data_sha256"):
        raise RunFileError(csv_path, (
            f"SHA-256 {sha256_hex(data)[:16]}... is not the {str(meta.get('data_sha256'))[:16]}"
            f"... recorded in {json_path.name} (truncated, corrupted or edited)"))
    timings = _read_json(timings_path)
    missing = [k for k in TIMINGS_KEYS if not isinstance(timings, dict) or k not in timings]
    if missing:
        raise RunFileError(timings_path, f"lacks {', '.join(missing)}")
    return meta


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

    def metadata(self, versions: dict[str, str], git_commit: str,
                 data_sha256: str) -> dict[str, Any]:
        """Deterministic JSON metadata (no times: those go to the timings file);
        ``data_sha256`` is the SHA-256 of :meth:`csv_gz`'s bytes."""
        return {
            "format_version": FORMAT_VERSION,
            "spec_key": self.spec.key(),
            "data_sha256": data_sha256,
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
    def from_files(cls, csv_path: Path, json_path: Path, timings_path: Path) -> RunRecord:
        """Read and verify (:func:`verify_run_files`) a run's three files; any fault is a
        :class:`RunFileError` naming the file."""
        meta = verify_run_files(csv_path, json_path, timings_path)
        spec = RunSpec.from_dict(meta["spec"])
        try:
            arrays = _read_csv(csv_path, spec, meta["quantities"])
            diverged_at = {int(s): int(k) for s, k in meta["diverged_at"].items()}
        except RunFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise RunFileError(csv_path, f"does not follow the file form "
                                         f"({type(exc).__name__}: {exc})") from None
        timings = _read_json(timings_path) if timings_path.exists() else {}
        losses = arrays.pop("loss")
        return cls(
            spec=spec, losses=losses, extras=arrays, status=meta["status"],
            diverged_at=diverged_at, timings=timings, info=meta.get("info", {}),
            error=meta.get("error"),
        )


def read_csv_text(path: Path) -> str:
    """The CSV text of a ``.csv.gz`` result file (a :class:`RunFileError` if unreadable)."""
    try:
        return gzip.decompress(path.read_bytes()).decode()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise RunFileError(path, f"unreadable ({type(exc).__name__}: {exc})") from None


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
