"""Typed measurement records: the one contract between an experiment and its readers.

Each named experiment declares the ``metrics`` of its measurement file as a frozen dataclass
that subclasses :class:`MeasurementRecord`, in ``experiments/measurements/<experiment>.py``
beside ``experiments/named/<experiment>.py`` (data only: readers import it without importing
experiment code), builds one in ``measure`` and writes it with
:meth:`MeasurementRecord.envelope_fields`. Every reader
(claims, tables, figures) loads it back with :meth:`MeasurementRecord.from_measurement`,
which checks the record's version and every field against the declared types: a missing or
extra field, a value of the wrong type or a non-finite number raises :class:`InvalidData`
naming the file and the field. Nothing is guessed: a renamed field fails on read.
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Mapping, Sized
from typing import (
    Any,
    ClassVar,
    Generic,
    Self,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

T = TypeVar("T")
V = TypeVar("V")


class InvalidData(Exception):
    """A result file is corrupt, breaks its record's contract or holds a non-finite number;
    the message names the file (and the field)."""

    def __init__(self, file: str, detail: str) -> None:
        super().__init__(f"{file}: {detail}")
        self.file = file
        self.detail = detail


class MeasurementRecord:
    """Base of the ``metrics`` record of one named experiment (a frozen dataclass).

    ``EXPERIMENT`` names the experiment (``measurements/<EXPERIMENT>.json``); ``VERSION`` is
    written as ``metrics_version`` beside the metrics and must match on read.
    """

    EXPERIMENT: ClassVar[str]
    VERSION: ClassVar[int]

    def envelope_fields(self) -> dict[str, Any]:
        """``metrics`` and ``metrics_version`` for :func:`experiments.named.common.envelope`."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} is not a dataclass")
        return {"metrics": _json_native(dataclasses.asdict(self)),
                "metrics_version": self.VERSION}

    @classmethod
    def from_measurement(cls, content: Mapping[str, Any], file: str) -> Self:
        """The record in a measurement file's parsed ``content``; InvalidData names ``file``."""
        version = content.get("metrics_version")
        if version != cls.VERSION:
            raise InvalidData(file, f"metrics_version is {version!r}; {cls.__name__} reads "
                                    f"version {cls.VERSION}")
        record = parse(cls, content.get("metrics"), file, "metrics")
        record.check(file)
        return record

    def check(self, file: str) -> None:
        """Constraints between fields the types cannot state (a value from a closed set, a
        total that must match its parts): raise :class:`InvalidData` naming ``file``."""


class NamedTables(Generic[V]):
    """Mixin of a record whose fields named in ``TABLES`` are tables of one kind,
    {optimizer label: V} (one per construction, task, ...), read by name."""

    TABLES: ClassVar[tuple[str, ...]]

    def table(self, name: str) -> Mapping[str, V]:
        """The table in field ``name``, one of ``TABLES`` (KeyError otherwise)."""
        if name not in self.TABLES:
            raise KeyError(name)
        table: Mapping[str, V] = getattr(self, name)
        return table


def check_same_length(file: str, where: str, **columns: Sized) -> None:
    """``columns`` are parallel (entry i of each describes row i): InvalidData naming ``file``
    and ``where`` unless they hold as many entries each."""
    lengths = [len(column) for column in columns.values()]
    if len(set(lengths)) > 1:
        names = list(columns)
        raise InvalidData(file, f"{where}: {', '.join(names[:-1])} and {names[-1]} differ in "
                                f"length ({', '.join(map(str, lengths))})")


def _json_native(node: Any) -> Any:
    """``node`` with tuples as lists: what reading it back from JSON gives."""
    if isinstance(node, dict):
        return {k: _json_native(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_json_native(v) for v in node]
    return node


def parse(tp: type[T], value: Any, file: str, where: str) -> T:
    """``value`` (parsed JSON) as type ``tp``: dataclasses field by field (no missing or extra
    field), ``float`` (finite; ints accepted), ``int``, ``bool``, ``str``, ``X | None``,
    ``tuple[X, ...]``, ``dict[str, X]``, and ``Any`` for opaque values no reader takes apart
    (an optimizer's hyperparameters as written)."""
    result: Any = _parse(tp, value, file, where)
    return result  # type: ignore[no-any-return]


def _parse(tp: Any, value: Any, file: str, where: str) -> Any:
    if tp is Any:
        return value  # an opaque JSON value (finite: checked when the file is loaded)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if value is None and len(options) < len(get_args(tp)):
            return None
        if len(options) != 1:
            raise TypeError(f"{where}: only 'X | None' unions are supported, not {tp}")
        return _parse(options[0], value, file, where)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _parse_dataclass(tp, value, file, where)
    if origin is tuple:
        items = _expect(value, list, "a list", file, where)
        args: tuple[Any, ...] = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_parse(args[0], v, file, f"{where}[{i}]") for i, v in enumerate(items))
        if len(items) != len(args):
            raise InvalidData(file, f"{where} has {len(items)} items, expected {len(args)}")
        return tuple(_parse(a, v, file, f"{where}[{i}]")
                     for i, (a, v) in enumerate(zip(args, items, strict=True)))
    if origin is dict:
        mapping = _expect(value, Mapping, "an object", file, where)
        item_type = get_args(tp)[1]
        return {str(k): _parse(item_type, v, file, f"{where}.{k}") for k, v in mapping.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidData(file, f"{where} is {value!r}, expected a number")
        if not math.isfinite(value):
            raise InvalidData(file, f"{where} is {value!r}, expected a finite number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidData(file, f"{where} is {value!r}, expected an integer")
        return value
    if tp in (bool, str):
        return _expect(value, tp, tp.__name__, file, where)
    raise TypeError(f"{where}: unsupported field type {tp!r}")


def _parse_dataclass(tp: type, value: Any, file: str, where: str) -> Any:
    mapping = _expect(value, Mapping, "an object", file, where)
    hints = get_type_hints(tp)
    names = [f.name for f in dataclasses.fields(tp)]
    missing = [n for n in names if n not in mapping]
    if missing:
        raise InvalidData(file, f"{where} has no field {missing[0]!r} ({tp.__name__} needs "
                                f"{', '.join(names)})")
    extra = sorted(str(k) for k in mapping if k not in names)
    if extra:
        raise InvalidData(file, f"{where} has an unexpected field {extra[0]!r} ({tp.__name__} "
                                f"has {', '.join(names)})")
    return tp(**{n: _parse(hints[n], mapping[n], file, f"{where}.{n}") for n in names})


def _expect(value: Any, kind: Any, text: str, file: str, where: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InvalidData(file, f"{where} is {value!r}, expected {text}")
    return value
