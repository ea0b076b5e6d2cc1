"""Typed measurement records: from_measurement accepts exactly the declared fields and types."""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any

import pytest

from experiments.measurements import (
    InvalidData,
    MeasurementRecord,
    NamedTables,
    check_same_length,
)
from experiments.measurements.empirical import TASKS, EmpiricalMetrics
from experiments.measurements.reddi import ReddiMetrics
from experiments.named.reddi import CONSTRUCTIONS


@dataclass(frozen=True)
class Inner:
    x: float
    n: int
    tag: str | None


@dataclass(frozen=True)
class Demo(MeasurementRecord):
    EXPERIMENT = "demo"
    VERSION = 3
    flag: bool
    items: tuple[Inner, ...]
    by_name: dict[str, float]
    pair: tuple[int, int]


GOOD: dict[str, Any] = {"flag": True, "items": [{"x": 1, "n": 2, "tag": None}],
                        "by_name": {"a": 0.5}, "pair": [1, 2]}


def test_a_written_record_reads_back_equal() -> None:
    record = Demo.from_measurement({"metrics": GOOD, "metrics_version": 3}, "f.json")
    assert record == Demo(True, (Inner(1.0, 2, None),), {"a": 0.5}, (1, 2))
    assert Demo.from_measurement(record.envelope_fields(), "f.json") == record


@pytest.mark.parametrize(("change", "message"), [
    ({"flag": 1}, "metrics.flag is 1, expected bool"),
    ({"items": [{"x": True, "n": 2, "tag": None}]},
     "metrics.items[0].x is True, expected a number"),
    ({"items": [{"x": math.nan, "n": 2, "tag": None}]},
     "metrics.items[0].x is nan, expected a finite number"),
    ({"items": [{"x": 1.0, "n": 2.0, "tag": None}]},
     "metrics.items[0].n is 2.0, expected an integer"),
    ({"items": [{"x": 1.0, "n": 2}]}, "metrics.items[0] has no field 'tag'"),
    ({"items": [{"x": 1.0, "n": 2, "tag": "t", "extra": 0}]},
     "metrics.items[0] has an unexpected field 'extra'"),
    ({"by_name": {"a": "0.5"}}, "metrics.by_name.a is '0.5', expected a number"),
    ({"pair": [1, 2, 3]}, "metrics.pair has 3 items, expected 2"),
])
def test_each_contract_break_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidData) as info:
        Demo.from_measurement({"metrics": {**GOOD, **change}, "metrics_version": 3}, "f.json")
    assert str(info.value).startswith(f"f.json: {message}"), str(info.value)


def test_the_version_must_match() -> None:
    with pytest.raises(InvalidData, match="metrics_version is 2; Demo reads version 3"):
        Demo.from_measurement({"metrics": GOOD, "metrics_version": 2}, "f.json")


def test_parallel_columns_of_unequal_length_are_named() -> None:
    check_same_length("f.json", "metrics.s", a=(1, 2), b=[3, 4], c="xy")
    with pytest.raises(InvalidData) as info:
        check_same_length("f.json", "metrics.s", a=(1, 2), b=(3,), c=(5, 6))
    assert str(info.value) == "f.json: metrics.s: a, b and c differ in length (2, 1, 2)"


@pytest.mark.parametrize(("record", "names"), [
    (ReddiMetrics, tuple(CONSTRUCTIONS)), (EmpiricalMetrics, TASKS)])
def test_named_tables_are_the_tables_their_readers_name(record: type[Any],
                                                        names: tuple[str, ...]) -> None:
    """Each record's TABLES are the names its readers iterate (the constructions, the tasks),
    each a {label: run} field; ``table`` reads exactly those."""
    assert issubclass(record, NamedTables) and record.TABLES == names
    hints = typing.get_type_hints(record)
    assert all(typing.get_origin(hints[name]) is dict for name in names)
    fields = {f.name: f"value of {f.name}" for f in dataclasses.fields(record)}
    instance = record.__new__(record)
    for name, value in fields.items():
        object.__setattr__(instance, name, value)
    assert [instance.table(name) for name in names] == [fields[name] for name in names]
    other = next(name for name in fields if name not in names)
    with pytest.raises(KeyError, match=other):
        instance.table(other)
