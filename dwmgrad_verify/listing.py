"""`dwmgrad-verify list WHAT [--json] [--fresh]`: the registries, as aligned tables.

``optimizers`` (the :mod:`dwmgrad` registry and the baselines of
:mod:`experiments.baselines` that specs accept), ``problems`` (:mod:`experiments.problems`),
``experiments`` (:mod:`experiments.named`), ``bounds`` (:mod:`theory.registry`) and
``claims`` (:mod:`reports.claims`, one module per subject). ``--json`` prints the full rows.

Building the rows imports the registries (torch, sympy: seconds). So the package ships the
built-in rows of every list (``list_rows.json``, written by ``python -m
dwmgrad_verify.listing``), each with the SHA-256 of the sources it is computed from
(:data:`ROW_SOURCES`, the torch and sympy versions): a ``list`` with no plugin whose sources
still match reads them and imports none of the registries, the first call after install
included. Otherwise the rows are computed and cached, keyed by the SHA-256 of every source
file of the project's packages, the Python version and the torch and sympy versions (what
the rows are computed from), in ``$DWMGRAD_VERIFY_CACHE`` (default
``$XDG_CACHE_HOME/dwmgrad-verify`` or ``~/.cache/dwmgrad-verify``): a repeated ``list``
reads the cache and imports none of them. Any change of the sources makes a new key;
``--fresh`` ignores the cache and the shipped rows. A cache that cannot be written is skipped
(the list is printed all the same); an unreadable entry is recomputed.
Plugins (``docs/plugins.md``) are part of the key: every entry point and ``--plugin``
module, with its sources' hash (:func:`verify_io.plugins.fingerprint`). Each row's
``source`` says where the entry came from: ``built-in``, ``entry point DIST: VALUE [GROUP]``
or ``--plugin MODULE``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verify_io.errors import UsageError
from verify_io.files import atomic_write_text
from verify_io.plugins import fingerprint
from verify_io.tables import format_table

Row = dict[str, object]
#: The packages whose sources the rows are computed from.
SOURCE_PACKAGES = ("dwmgrad", "theory", "experiments", "proofs_check", "reports", "verify_io",
                   "dwmgrad_verify")


def _optimizers() -> list[Row]:
    from dwmgrad.registry import OPTIMIZER_REGISTRY

    return [{**info.describe(), "source": str(OPTIMIZER_REGISTRY.origin(name))}
            for name, info in OPTIMIZER_REGISTRY.items()]


def _problems() -> list[Row]:
    from experiments.problems import describe_problems

    return describe_problems()


def _experiments() -> list[Row]:
    from experiments.named import EXPERIMENTS

    return [{"name": name, "summary": module.DESCRIPTION,
             "source": str(EXPERIMENTS.origin(name))} for name, module in EXPERIMENTS.items()]


def _bounds() -> list[Row]:
    from theory.registry import BOUND_REGISTRY, bounds

    return [
        {"name": b.name, "kind": b.kind, "latex": b.latex(), "reference": b.reference,
         "source": str(BOUND_REGISTRY.origin(b.name))}
        for b in bounds()
    ]


def _claims() -> list[Row]:
    from reports.claims import CLAIM_REGISTRY, claims

    return [
        {"name": c.id, "title": c.title, "document": c.source.document,
         "experiments": list(c.experiments), "source": str(CLAIM_REGISTRY.origin(c.id))}
        for c in claims()
    ]


def _hyperparameter_names(row: Row) -> list[str]:
    hyper = row["hyperparameters"]
    return list(hyper) if isinstance(hyper, dict | list) else [str(hyper)]


def _parameters(params: object) -> list[str]:
    return [f"{k}={v}" for k, v in params.items()] if isinstance(params, dict) else [str(params)]


#: what -> the function building its rows.
LISTERS: dict[str, Callable[[], list[Row]]] = {
    "optimizers": _optimizers,
    "problems": _problems,
    "experiments": _experiments,
    "bounds": _bounds,
    "claims": _claims,
}
#: what -> its table's columns, as (header, cell of a row).
COLUMNS: dict[str, list[tuple[str, Callable[[Row], object]]]] = {
    "optimizers": [("name", lambda r: r["name"]), ("source", lambda r: r["source"]),
                   ("hyperparameters", _hyperparameter_names),
                   ("reference", lambda r: r["reference"])],
    "problems": [("name", lambda r: r["name"]), ("source", lambda r: r["source"]),
                 ("kind", lambda r: r["kind"]),
                 ("parameters", lambda r: _parameters(r["params"])),
                 ("summary", lambda r: r["summary"])],
    "experiments": [("name", lambda r: r["name"]), ("source", lambda r: r["source"]),
                    ("summary", lambda r: r["summary"])],
    "bounds": [("name", lambda r: r["name"]), ("source", lambda r: r["source"]),
               ("kind", lambda r: r["kind"]),
               ("reference", lambda r: r["reference"])],
    "claims": [("name", lambda r: r["name"]), ("source", lambda r: r["source"]),
               ("experiments", lambda r: r["experiments"]),
               ("title", lambda r: r["title"])],
}


SHIPPED = Path(__file__).with_name("list_rows.json")
"""The built-in rows shipped with the package: {what: {"key": row_key(what), "rows": [...]}}."""
ROW_SOURCES: dict[str, tuple[str, ...]] = {
    "optimizers": ("dwmgrad",), "problems": ("experiments.problems",),
    "experiments": ("experiments.named",), "bounds": ("theory",), "claims": ("reports.claims",)}
"""The packages each list's rows are computed from (besides this module and verify_io)."""


def _digest(digest: Any, packages: tuple[str, ...]) -> None:
    for package in packages:
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(location).rglob("*")):
                if path.suffix in (".py", ".json") and path.is_file():
                    digest.update(f"{package}/{path.relative_to(location)}".encode())
                    digest.update(hashlib.sha256(path.read_bytes()).digest())


def _versions(digest: Any) -> None:
    for dist in ("torch", "sympy"):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=absent".encode())


def row_key(what: str) -> str:
    """SHA-256 of the sources list ``what``'s built-in rows are computed from
    (:data:`ROW_SOURCES`, verify_io, this module) and the torch and sympy versions."""
    digest = hashlib.sha256(what.encode())
    _versions(digest)
    _digest(digest, (*ROW_SOURCES[what], "verify_io"))
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def shipped_rows(what: str, path: Path | None = None) -> list[Row] | None:
    """The shipped rows of ``what`` if the file holds them under the current
    :func:`row_key` and no plugin is present; None otherwise (unreadable file included)."""
    if fingerprint():
        return None
    try:
        entry = json.loads((path or SHIPPED).read_text(encoding="utf-8")).get(what)
    except (OSError, ValueError, AttributeError):
        return None
    if (not isinstance(entry, dict) or entry.get("key") != row_key(what)
            or not isinstance(entry.get("rows"), list)):
        return None
    rows_: list[Row] = entry["rows"]
    return rows_


def write_shipped(path: Path | None = None) -> Path:
    """Compute every list's built-in rows (no plugin may be loaded) and write them with their
    keys to ``path`` (default :data:`SHIPPED`)."""
    if fingerprint():
        raise UsageError("plugins are present: the shipped rows hold the built-ins only")
    doc = {what: {"key": row_key(what), "rows": json.loads(json.dumps(lister(), default=str))}
           for what, lister in LISTERS.items()}
    target = path or SHIPPED
    atomic_write_text(target, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return target


def cache_dir() -> Path:
    if os.environ.get("DWMGRAD_VERIFY_CACHE"):
        return Path(os.environ["DWMGRAD_VERIFY_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dwmgrad-verify"


def cache_key() -> str:
    """SHA-256 of the project packages' sources, the Python, torch and sympy versions and
    the plugins' :func:`~verify_io.plugins.fingerprint`."""
    digest = hashlib.sha256(sys.version.encode())
    for plugin in fingerprint():
        digest.update(plugin.encode())
    _versions(digest)
    _digest(digest, SOURCE_PACKAGES)
    return digest.hexdigest()[:16]


def rows(what: str, *, fresh: bool = False) -> list[Row]:
    """The rows of list ``what``: the shipped ones if current (:func:`shipped_rows`), else
    from the cache, computed when ``fresh`` or not cached yet."""
    shipped = None if fresh else shipped_rows(what)
    if shipped is not None:
        return shipped
    path = cache_dir() / f"list-{what}-{cache_key()}.json"
    if not fresh and path.is_file():
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(cached, list):
                return cached
        except (OSError, ValueError):
            pass                                          # recomputed and rewritten below
    computed = json.loads(json.dumps(LISTERS[what](), default=str))
    try:
        atomic_write_text(path, json.dumps(computed) + "\n")
    except OSError:
        pass                                              # no cache: listed all the same
    return computed


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", help=f"what to list: one of {', '.join(LISTERS)}")
    parser.add_argument("--json", action="store_true", help="print the full rows as JSON")
    parser.add_argument("--fresh", action="store_true",
                        help="rebuild the list from the registries (ignore the cache)")


def run(args: argparse.Namespace) -> int:
    if args.what not in LISTERS:
        raise UsageError(f"unknown list {args.what!r}; expected one of: {', '.join(LISTERS)}")
    found = rows(args.what, fresh=args.fresh)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    columns = COLUMNS[args.what]
    print(format_table([header for header, _ in columns],
                       [[value(row) for _, value in columns] for row in found]))
    return 0


if __name__ == "__main__":
    print(f"wrote {write_shipped()}")
