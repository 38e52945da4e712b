"""PATCH bodies: a field left out keeps its value, null is taken only where the column is NULL.

Before, `PATCH /promotions/{id}` with `{"members_only": null}` (or active, weekdays) reached
the database's NOT NULL and answered 500; every update model had the same hole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

import hub.models  # noqa: F401  (every model class registered)
from hub.app import create_app
from hub.models.account_rules import SubsidyRule, TierDefinition
from hub.models.coupons import Promotion
from hub.models.devices import Device
from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.menus import Menu, MenuItem
from hub.models.notify import NotifyContact
from hub.models.patch import PatchModel, accepts_null
from hub.models.set_meals import SetMeal
from hub.models.sites import MealPeriod, Site
from hub.models.users import Role, User

Auth = Callable[[Role], dict[str, str]]

# Each update model and the table it changes; a new update model must be added here.
TABLES: dict[str, type[SQLModel]] = {
    "ConsentChange": Member,
    "ContactChange": NotifyContact,
    "DishUpdate": Dish,
    "DeviceUpdate": Device,
    "MealPeriodUpdate": MealPeriod,
    "MemberUpdate": Member,
    "MenuItemUpdate": MenuItem,
    "MenuUpdate": Menu,
    "PromotionUpdate": Promotion,
    "SetMealUpdate": SetMeal,
    "SiteUpdate": Site,
    "SubsidyRuleUpdate": SubsidyRule,
    "TierUpdate": TierDefinition,
    "UserUpdate": User,
}


def _patch_models() -> dict[str, type[PatchModel]]:
    found: dict[str, type[PatchModel]] = {}
    todo = list(PatchModel.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def test_every_patch_route_takes_a_patch_model(sqlite_settings: Any) -> None:
    doc = create_app(sqlite_settings).openapi()
    models = _patch_models()
    bodies = {
        f"PATCH {path}": op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method == "patch"
    }
    assert len(bodies) >= 10
    wrong = {op: ref for op, ref in bodies.items() if ref.rsplit("/", 1)[-1] not in models}
    assert not wrong, f"PATCH bodies that are not PatchModel: {wrong}"


def test_update_fields_take_null_exactly_where_the_column_does() -> None:
    models = _patch_models()
    assert set(models) == set(TABLES), "map every update model to its table in TABLES"
    checked = 0
    for name, cls in models.items():
        columns = TABLES[name].__table__.columns  # type: ignore[attr-defined]
        for field_name, field in cls.model_fields.items():
            if field_name not in columns:
                continue  # a password, consents, items: not one column
            nullable = bool(columns[field_name].nullable)
            assert accepts_null(field) == nullable, (
                f"{name}.{field_name}: column nullable={nullable}, "
                f"model takes null={accepts_null(field)}"
            )
            checked += 1
    assert checked > 50


def test_openapi_shows_which_patch_fields_take_null(sqlite_settings: Any) -> None:
    schemas = create_app(sqlite_settings).openapi()["components"]["schemas"]
    active = schemas["PromotionUpdate"]["properties"]["active"]
    assert active["type"] == "boolean" and "default" not in active
    assert {"type": "null"} in schemas["PromotionUpdate"]["properties"]["price_cents"]["anyOf"]


def _promotion(client: TestClient, mgr: dict[str, str]) -> dict[str, Any]:
    body = {"code": "WED", "kind": "member_day", "percent_bp": 1000, "weekdays": [2]}
    r = client.post("/api/v1/promotions", json=body, headers=mgr)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.parametrize("field", ["members_only", "active", "weekdays"])
def test_null_for_a_not_null_promotion_field_is_422(
    client: TestClient, auth: Auth, field: str
) -> None:
    mgr = auth(Role.MANAGER)
    before = _promotion(client, mgr)
    r = client.patch(f"/api/v1/promotions/{before['id']}", json={field: None}, headers=mgr)
    assert r.status_code == 422, r.text
    message = r.json()["detail"][0]["msg"]
    assert field in message and "may not be null" in message
    after = client.get("/api/v1/promotions", headers=mgr).json()
    assert [p[field] for p in after] == [before[field]]


def test_null_clears_a_nullable_field_and_leaving_out_keeps_it(
    client: TestClient, auth: Auth
) -> None:
    mgr = auth(Role.MANAGER)
    body = {"code": "tofu", "name_zh": "豆腐", "name_en": "Tofu", "category": "hot",
            "price_cents": 800, "member_price_cents": 700}
    dish = client.post("/api/v1/dishes", json=body, headers=mgr).json()
    r = client.patch(f"/api/v1/dishes/{dish['id']}", json={"member_price_cents": None},
                     headers=mgr)
    assert r.status_code == 200, r.text
    assert r.json()["member_price_cents"] is None and r.json()["price_cents"] == 800
    r = client.patch(f"/api/v1/dishes/{dish['id']}", json={"price_cents": None, "active": None},
                     headers=mgr)
    assert r.status_code == 422
    assert "active, price_cents may not be null" in r.json()["detail"][0]["msg"]
