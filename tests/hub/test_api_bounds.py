"""Every integer the API takes has a maximum: a key fits its column, money fits the wire.

Before, any id or offset above 2^63 answered 500 on SQLite and above 2^31 on PostgreSQL,
and a dish priced above the wire's maximum was stored and then dropped off the kiosk menu.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.models.bounds import MAX_DB_INT
from hub.models.users import Role
from protocol.fields import MAX_CENTS as WIRE_MAX_CENTS
from protocol.fields import MAX_INT as WIRE_MAX_INT

Auth = Callable[[Role], dict[str, str]]


def _integer_inputs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every integer in a parameter or a request body, $refs followed."""
    components = doc["components"]["schemas"]

    def walk(node: Any, where: str, seen: frozenset[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item, where, seen)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    yield from walk(components[name], name, seen | {name})
                return
            if node.get("type") == "integer":
                yield where, node
            for key, value in node.items():
                inner = f"{where}.{key}" if key not in ("properties", "anyOf", "items") else where
                yield from walk(value, inner, seen)

    for path, item in doc["paths"].items():
        for method, op in item.items():
            label = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                yield from walk(param["schema"], f"{label} {param['name']}", frozenset())
            if "requestBody" in op:
                yield from walk(op["requestBody"], f"{label} body", frozenset())


def test_every_integer_input_has_a_maximum_the_database_holds(sqlite_settings: Any) -> None:
    from hub.app import create_app

    doc = create_app(sqlite_settings).openapi()
    inputs = list(_integer_inputs(doc))
    assert len(inputs) > 50  # ids in paths, offsets, prices, counts...
    unbounded = sorted({where for where, schema in inputs if "maximum" not in schema})
    assert not unbounded, f"integers without a maximum: {unbounded}"
    too_big = sorted({where for where, schema in inputs if schema["maximum"] > WIRE_MAX_INT})
    assert not too_big, f"integers over the wire's and PostgreSQL BIGINT's range: {too_big}"
    keys = sorted(
        where
        for where, schema in inputs
        if where.endswith(("_id", "_ids", " offset")) and schema["maximum"] > MAX_DB_INT
    )
    assert not keys, f"ids or offsets a PostgreSQL INTEGER key cannot hold: {keys}"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dishes/1185656212740862173218078720",
        "/api/v1/dishes?offset=21440156633086955520",
        "/api/v1/accounts/23550772417888044187648",
        "/api/v1/members/2242517833/cards",
        f"/api/v1/sites/{MAX_DB_INT + 1}",
        f"/api/v1/members?offset={MAX_DB_INT + 1}",
        "/api/v1/dishes/0",
    ],
)
def test_out_of_range_ids_and_offsets_are_422(client: TestClient, auth: Auth, url: str) -> None:
    r = client.get(url, headers=auth(Role.ADMIN))
    assert r.status_code == 422, r.text


def test_largest_id_is_just_not_found(client: TestClient, auth: Auth) -> None:
    r = client.get(f"/api/v1/dishes/{MAX_DB_INT}", headers=auth(Role.ADMIN))
    assert r.status_code == 404


def _dish(code: str, price: int) -> dict[str, Any]:
    return {
        "code": code,
        "name_zh": "红烧肉",
        "name_en": "Braised Pork",
        "category": "hot",
        "price_cents": price,
    }


@pytest.mark.parametrize("price", [3_000_000_000, WIRE_MAX_CENTS + 1])
def test_price_above_the_wire_maximum_is_refused(
    client: TestClient, auth: Auth, price: int
) -> None:
    mgr = auth(Role.MANAGER)
    r = client.post("/api/v1/dishes", json=_dish("pork", price), headers=mgr)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "price_cents"]
    assert client.get("/api/v1/dishes", headers=mgr).json()["total"] == 0


def test_price_at_the_wire_maximum_is_kept(client: TestClient, auth: Auth) -> None:
    mgr = auth(Role.MANAGER)
    r = client.post("/api/v1/dishes", json=_dish("pork", WIRE_MAX_CENTS), headers=mgr)
    assert r.status_code == 201, r.text
    dish_id = r.json()["id"]
    r = client.patch(
        f"/api/v1/dishes/{dish_id}", json={"price_cents": WIRE_MAX_CENTS + 1}, headers=mgr
    )
    assert r.status_code == 422
    assert client.get(f"/api/v1/dishes/{dish_id}", headers=mgr).json()["price_cents"] == (
        WIRE_MAX_CENTS
    )
