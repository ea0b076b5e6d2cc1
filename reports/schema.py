"""``claims.json`` and its JSON schema (``reports/claims.schema.json``, shipped with the package).

:func:`validate_claims` uses ``jsonschema`` when it is installed; otherwise a small validator
for the keywords the schema uses (type, enum, required, properties, additionalProperties,
items, minItems, minLength, minimum, pattern), so the check never silently disappears.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from reports.compose import TableResult, summary_counts
from reports.figures import FigureResult
from reports.results import ResultSet
from reports.verdicts import JudgedClaim

FORMAT_VERSION = 2


def load_schema() -> dict[str, Any]:
    text = resources.files("reports").joinpath("claims.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def json_safe(value: Any) -> Any:
    """Non-finite floats become the strings "inf", "-inf", "nan" (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def claims_document(results: ResultSet, judged: Sequence[JudgedClaim],
                    figures: Sequence[FigureResult],
                    tables: Sequence[TableResult]) -> dict[str, Any]:
    """The content of ``claims.json`` (deterministic: no timestamps, paths relative)."""
    root = results.root
    return json_safe({
        "format_version": FORMAT_VERSION,
        "summary": summary_counts(judged),
        "claims": [j.describe() for j in judged],
        "figures": [{"name": f.spec.name, "experiment": f.spec.experiment, "title": f.spec.title,
                     "status": "drawn" if f.ok else "missing",
                     "files": [p.relative_to(root).as_posix() for p in (f.pdf, f.png)
                               if p is not None],
                     "reason": f.reason} for f in figures],
        "tables": [{"name": t.name, "file": f"tables/{t.name}.tex" if t.table else None,
                    "status": "written" if t.table else "missing", "reason": t.reason}
                   for t in tables] + [{"name": "claims", "file": "tables/claims.tex",
                                        "status": "written", "reason": ""}],
        "inputs": results.inventory(),
    })


def validate_claims(doc: Any, schema: dict[str, Any] | None = None) -> None:
    """Raise ``ValueError`` naming the first violation of the schema."""
    schema = schema or load_schema()
    try:
        import jsonschema
    except ImportError:
        errors = list(_errors(doc, schema, "$"))
        if errors:
            raise ValueError(f"claims.json does not follow its schema: {errors[0]}") from None
        return
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        where = "$" + "".join(f"[{p!r}]" for p in exc.absolute_path)
        raise ValueError(f"claims.json does not follow its schema at {where}: "
                         f"{exc.message}") from None


_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "array": (list,), "string": (str,),
                                       "integer": (int,), "number": (int, float),
                                       "boolean": (bool,), "null": (type(None),)}


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _errors(value: Any, schema: dict[str, Any], where: str) -> Any:
    """Yield one message per violation (the subset of JSON Schema the claims schema uses)."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, n) for n in names):
            yield f"{where}: {value!r} is not of type {types}"
            return
    if "enum" in schema and value not in schema["enum"]:
        yield f"{where}: {value!r} is not one of {schema['enum']}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            yield f"{where}: string shorter than {schema['minLength']}"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield f"{where}: {value!r} does not match {schema['pattern']}"
    if _is_type(value, "number") and "minimum" in schema and value < schema["minimum"]:
        yield f"{where}: {value!r} is below {schema['minimum']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                yield f"{where}: missing required key {key!r}"
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                yield from _errors(item, props[key], f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                yield f"{where}: unexpected key {key!r}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield f"{where}: fewer than {schema['minItems']} items"
        if "items" in schema:
            for i, item in enumerate(value):
                yield from _errors(item, schema["items"], f"{where}[{i}]")
