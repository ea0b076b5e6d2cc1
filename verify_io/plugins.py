"""The extension machinery: one :class:`Registry` per kind of entry, and plugin discovery.

Every optimizer, problem, experiment, bound and claim of the toolkit is an entry of a
registry; the built-ins register through the same functions a plugin calls (one registration
module per kind, see ``docs/plugins.md``). A plugin is a Python module that calls those
functions when it is imported. It is found

* by entry point: a distribution declares, in its ``pyproject.toml``,
  ``[project.entry-points."dwmgrad_verify.optimizers"]`` (or ``...problems``,
  ``...experiments``, ``...bounds``, ``...claims``) ``name = "module"`` or
  ``name = "module:function"``; the module is imported, a function is then called with no
  arguments;
* by ``dwmgrad-verify --plugin MODULE`` (repeatable; MODULE is found on ``sys.path`` or in
  the current directory), or the environment variable
  :data:`PLUGINS_ENV` (comma-separated modules; the CLI sets it so that worker processes load
  the same plugins).

:func:`discover` loads them all, once per process, and every registry read calls it first.
A plugin that cannot be imported, raises while registering, or registers a malformed or
duplicate entry is a :class:`PluginError`: a one-line :class:`UsageError` naming the plugin
(the CLI prints it and exits 2 before any work).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from verify_io.errors import UsageError

KINDS = ("optimizers", "problems", "experiments", "bounds", "claims")
"""The registries; the entry-point group of kind ``k`` is ``dwmgrad_verify.k``."""
GROUP_PREFIX = "dwmgrad_verify."
PLUGINS_ENV = "DWMGRAD_VERIFY_PLUGINS"

T = TypeVar("T")


class PluginError(UsageError):
    """A plugin that cannot be loaded or registers a malformed entry (names the plugin)."""


@dataclass(frozen=True)
class Origin:
    """Where an entry came from: ``built-in``, ``entry point`` (``DIST: VALUE [GROUP]``) or
    ``--plugin`` (the module)."""

    how: str
    where: str

    def __str__(self) -> str:
        return self.where if self.how == "built-in" else f"{self.how} {self.where}"


_BUILT_IN = Origin("built-in", "built-in")
_loading: list[Origin] = []          # the plugin being loaded (a stack: plugins may nest)


def current_origin() -> Origin:
    """The origin a registration made now gets: the plugin being loaded, or built-in."""
    return _loading[-1] if _loading else _BUILT_IN


class Registry(MutableMapping[str, T], Generic[T]):
    """Entries of one kind by unique name, each with its :class:`Origin`.

    ``check`` validates an entry (it raises ``ValueError``/``TypeError`` with a message naming
    the bad field); a bad or duplicate entry registered by a plugin becomes a
    :class:`PluginError` naming the plugin. Reading the registry runs :func:`discover` first.
    """

    def __init__(self, kind: str, check: Callable[[str, T], None]) -> None:
        self.kind = kind
        self._check = check
        self._entries: dict[str, T] = {}
        self._origins: dict[str, Origin] = {}

    def add(self, name: str, entry: T) -> T:
        origin = current_origin()
        try:
            self._check(name, entry)
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"name must be a non-empty string, got {name!r}")
            if name in self._entries:
                raise ValueError(f"{name!r} is already registered by {self._origins[name]}")
        except (ValueError, TypeError) as exc:
            message = f"invalid {self.kind[:-1]} registration: {exc}"
            if origin is _BUILT_IN:
                raise ValueError(message) from exc
            raise PluginError(f"plugin {origin.where} ({origin.how}): {message}") from exc
        self._entries[name] = entry
        self._origins[name] = origin
        return entry

    def registered(self) -> list[tuple[str, T, Origin]]:
        """(name, entry, origin) of what is registered now, without loading plugins (for the
        checks :func:`on_discovered` runs)."""
        return [(name, entry, self._origins[name]) for name, entry in self._entries.items()]

    def __setitem__(self, name: str, entry: T) -> None:
        """Set or replace an entry without checks (tests' ``monkeypatch.setitem``);
        registration goes through :meth:`add`."""
        self._entries[name] = entry
        self._origins.setdefault(name, current_origin())

    def __delitem__(self, name: str) -> None:
        del self._entries[name]
        del self._origins[name]

    def origin(self, name: str) -> Origin:
        discover()
        return self._origins[name]

    def __getitem__(self, name: str) -> T:
        discover()
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        discover()
        return iter(list(self._entries))

    def __len__(self) -> int:
        discover()
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        discover()
        return name in self._entries


@contextmanager
def _as_plugin(origin: Origin) -> Iterator[None]:
    _loading.append(origin)
    try:
        yield
    finally:
        _loading.pop()


def built_in() -> AbstractContextManager[None]:
    """Context of the built-ins' registrations: they are ``built-in`` even when their module
    is first imported by a plugin being loaded."""
    return _as_plugin(_BUILT_IN)


def _entry_points() -> list[tuple[Origin, str]]:
    """(origin, ``module[:function]``) of every entry point of the plugin groups."""
    found = []
    for kind in KINDS:
        group = GROUP_PREFIX + kind
        for ep in importlib.metadata.entry_points(group=group):
            dist = ep.dist.name if ep.dist is not None else "(no distribution)"
            found.append((Origin("entry point", f"{dist}: {ep.value} [{group}]"), ep.value))
    return found


def fingerprint() -> list[str]:
    """What the plugins of this process are, without importing them: every entry point and
    ``--plugin`` module with the SHA-256 of its package's ``.py`` files (for caches keyed by
    what the registries hold)."""
    out = []
    targets = [(str(origin), value) for origin, value in _entry_points()]
    targets += [(f"--plugin {m}", m) for m in plugin_modules()]
    for label, value in targets:
        top = value.partition(":")[0].strip().split(".")[0]
        digest = hashlib.sha256(label.encode())
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
        files = [f for r in roots for f in sorted(r.rglob("*.py"))]
        if spec is not None and spec.origin and not roots:
            files = [Path(spec.origin)]
        for path in files:
            if path.is_file():
                digest.update(path.read_bytes())
        out.append(digest.hexdigest())
    return out


def plugin_modules() -> list[str]:
    """The ``--plugin`` modules of this process (from :data:`PLUGINS_ENV`)."""
    return [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]


def _load(origin: Origin, target: str) -> None:
    """Import ``target`` (``module`` or ``module:function``; a function is then called) with
    registrations attributed to ``origin``; any failure is one :class:`PluginError` line."""
    module, _, function = target.partition(":")
    with _as_plugin(origin):
        try:
            loaded: object = importlib.import_module(module.strip())
            for attr in filter(None, function.strip().split(".")):
                loaded = getattr(loaded, attr)
            if function:
                if not callable(loaded):
                    raise TypeError(f"{target} is not a function")
                loaded()
        except PluginError:
            raise
        except ModuleNotFoundError as exc:
            raise PluginError(f"plugin {origin.where} ({origin.how}): cannot import it: no "
                              f"module named {exc.name!r}") from exc
        except Exception as exc:  # a plugin's own bug: named, one line, never a traceback
            raise PluginError(f"plugin {origin.where} ({origin.how}) failed while loading: "
                              f"{type(exc).__name__}: {exc}") from exc


_loaded: set[str] = set()      # "entry points" once discovered, and every --plugin module
_finishers: list[Callable[[], None]] = []


def on_discovered(check: Callable[[], None]) -> None:
    """Run ``check`` after plugins are loaded (cross-registry checks, e.g. that a claim's
    bounds exist); it raises :class:`PluginError` naming the bad entry."""
    _finishers.append(check)


def discover(modules: Sequence[str] = ()) -> None:
    """Load the entry-point plugins (once per process) and the ``--plugin`` modules not loaded
    yet; ``modules`` are added to :data:`PLUGINS_ENV` so child processes load them too."""
    if modules:
        os.environ[PLUGINS_ENV] = ",".join(dict.fromkeys([*plugin_modules(), *modules]))
    pending = [m for m in plugin_modules() if m not in _loaded]
    if "entry points" in _loaded and not pending:
        return
    if "entry points" not in _loaded:
        _loaded.add("entry points")
        for origin, value in _entry_points():
            _load(origin, value)
    if pending and os.getcwd() not in sys.path:
        # `--plugin my_plugin` finds ./my_plugin.py from the installed script too, as
        # `python -m` would; appended, so it never shadows an installed module
        sys.path.append(os.getcwd())
    for module in pending:
        _loaded.add(module)
        _load(Origin("--plugin", module), module)
    for check in _finishers:
        check()
