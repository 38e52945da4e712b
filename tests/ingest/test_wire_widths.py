"""Every numeric field the hub ingests fits the column it lands in (hub/ingest/rows.py).

A field valid on the wire but too wide for its column stops ingestion on PostgreSQL
(issue 11: a heartbeat's queue_depth of 3,000,000,000 against an INTEGER column).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (every table in the metadata)
from hub.ingest.rows import WIRE_COLUMNS
from protocol.registry import REGISTRY, Route

INGESTED_ROUTES = (Route.UPLINK, Route.STATUS)


def numeric_fields(schema: dict[str, Any]) -> dict[str, tuple[int | None, int | None]]:
    """path -> (minimum, maximum) of every integer in a pydantic JSON schema, nested too."""
    defs = schema.get("$defs", {})
    found: dict[str, tuple[int | None, int | None]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        if "$ref" in node:
            walk(defs[node["$ref"].rsplit("/", 1)[-1]], path)
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(key, ()):
                walk(sub, path)
        kind = node.get("type")
        if kind == "integer":
            found[path] = (node.get("minimum"), node.get("maximum"))
        elif kind == "object":
            for name, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{name}" if path else name)
            if isinstance(node.get("additionalProperties"), dict):
                walk(node["additionalProperties"], f"{path}.*")
        elif kind == "array":
            for sub in [node.get("items"), *node.get("prefixItems", ())]:
                if isinstance(sub, dict):
                    walk(sub, f"{path}[]")

    walk(schema, "")
    return found


def wire_fields() -> dict[str, tuple[int | None, int | None]]:
    """"type:path" -> wire range, for every type the hub ingests."""
    out = {}
    for type_, spec in REGISTRY.items():
        if spec.route in INGESTED_ROUTES:
            schema = spec.model.model_json_schema(mode="validation")
            out.update({f"{type_}:{p}": r for p, r in numeric_fields(schema).items()})
    return out


def column_range(column: sa.Column[Any]) -> tuple[int, int]:
    """The integers a column holds on every backend (PostgreSQL is the narrow one)."""
    kind = column.type
    if isinstance(kind, sa.BigInteger):
        return -(2**63), 2**63 - 1
    if isinstance(kind, sa.SmallInteger):
        return -(2**15), 2**15 - 1
    if isinstance(kind, sa.Integer):
        return -(2**31), 2**31 - 1
    raise AssertionError(f"{column.table.name}.{column.name} is {kind!r}, not an integer")


def test_the_walk_sees_nested_and_optional_fields() -> None:
    fields = wire_fields()
    assert fields["order.placed:lines[].modifiers[].price_delta_cents"] == (
        -100_000_000, 100_000_000)
    assert fields["order.placed:lines[].weight_g"] == (1, 100_000)  # optional
    assert fields["device.heartbeat:queue_depth"] == (0, 2**53 - 1)


def test_every_ingested_numeric_field_is_mapped_to_its_columns() -> None:
    fields = wire_fields()
    missing = sorted(set(fields) - set(WIRE_COLUMNS))
    stale = sorted(set(WIRE_COLUMNS) - set(fields))
    assert not missing, f"say where these land in hub/ingest/rows.py WIRE_COLUMNS: {missing}"
    assert not stale, f"WIRE_COLUMNS names fields the wire no longer has: {stale}"


@pytest.mark.parametrize("field", sorted(WIRE_COLUMNS))
def test_each_column_holds_its_fields_whole_wire_range(field: str) -> None:
    low, high = wire_fields()[field]
    assert low is not None and high is not None, f"{field} has no bound on the wire"
    for target in WIRE_COLUMNS[field]:
        table, _, name = target.partition(".")
        column = SQLModel.metadata.tables[table].c[name]
        lo, hi = column_range(column)
        assert lo <= low and high <= hi, (
            f"{field} takes {low}..{high} on the wire; {target} holds {lo}..{hi}")
