"""The hub's API refuses every code the wire refuses: one pattern per code, from protocol/.

Each row pairs a field of a wire model with the hub input field it is made from. A wire
``Code`` (meal period, category, station, tier, spend-save code) must be checked by the
hub with protocol's own pattern; a wire ``Identifier`` (site, device, dish, member number,
set meal, coupon template) may be checked more strictly by the hub, never less.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlmodel import Session

from hub.models.account_rules import TierCreate, TierDefinition
from hub.models.catalog_names import DishCategoryCreate, KitchenStationCreate
from hub.models.coupons import CouponTemplate as CouponTemplateRow
from hub.models.coupons import CouponTemplateCreate, PromotionCreate
from hub.models.devices import DeviceCreate
from hub.models.dishes import Dish as DishRow
from hub.models.dishes import DishCreate, DishUpdate
from hub.models.downlinks import DeviceConfigIn
from hub.models.members import MemberCreate
from hub.models.set_meals import SetMeal, SetMealCreate, SetMealSlotIn, SetMealUpdate
from hub.models.set_meals import SetMealSlot as SetMealSlotRow
from hub.models.sites import MealPeriod as MealPeriodRow
from hub.models.sites import MealPeriodCreate, MealPeriodUpdate, Site, SiteCreate
from hub.models.users import Role
from protocol.envelope import Envelope
from protocol.fields import CODE_PATTERN
from protocol.member_cache import CachedMember
from protocol.payloads.catalog import Category, Dish, FixedSetMeal, MealPeriod, SetMealSlot, Station
from protocol.payloads.config import ORDER_PREFIX_PATTERN, DeviceConfig
from protocol.payloads.offers import CouponTemplate, SpendSave, TierBenefit
from protocol.topics import validate_id

SAMPLES = [
    "lunch", "late_snack", "late-snack", "Lunch", "LUNCH", "1st", "_x", "a", "a" * 32,
    "a" * 33, "x.y", ".", "..", "-a", "a b", "午餐", "", "d-rice", "D_01", "k1", "A", "AB",
    "ABC", "a1", "S20", "s20", "gold", "Gold", "site1", "a/b", "a+b", "0", "00-1",
]

HUB_BASE: dict[type[BaseModel], dict[str, Any]] = {
    MealPeriodCreate: {"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
                       "start": time(11), "end": time(13)},
    DishCreate: {"code": "d1", "name_zh": "饭", "name_en": "Rice", "category": "staple",
                 "price_cents": 100, "station": "main"},
    DishUpdate: {},
    SetMealSlotIn: {"category": "hot"},
    DishCategoryCreate: {"code": "hot", "name_zh": "热菜", "name_en": "Hot"},
    KitchenStationCreate: {"code": "wok", "name_zh": "炒锅", "name_en": "Wok"},
    TierCreate: {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "rank": 1},
    PromotionCreate: {"code": "s20", "kind": "spend_save", "threshold_cents": 2000,
                      "save_cents": 300},
    CouponTemplateCreate: {"code": "c1", "name_zh": "券", "name_en": "Coupon",
                           "kind": "amount_off", "amount_cents": 100},
    SiteCreate: {"code": "site1", "name_zh": "一食堂", "name_en": "Canteen 1"},
    DeviceCreate: {"code": "k1", "kind": "kiosk", "site_id": 1},
    MemberCreate: {"member_no": "M1", "name": "张三"},
    SetMealCreate: {"code": "sm1", "name_zh": "套餐", "name_en": "Set", "kind": "fixed",
                    "price_cents": 1000, "items": [{"dish_id": 1}]},
    DeviceConfigIn: {},
}


def hub_accepts(model: type[BaseModel], field: str, value: str) -> bool:
    """Whether the hub's input model takes this value in this field."""
    data = {**HUB_BASE[model], field: value}
    if field == "categories":
        data[field] = [value]
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def wire_accepts(model: type[BaseModel], field: str) -> Callable[[str], bool]:
    """Whether the wire takes a value in this field (the field's own type, alone)."""
    adapter: TypeAdapter[Any] = TypeAdapter(model.model_fields[field].rebuild_annotation())

    def check(value: str) -> bool:
        try:
            adapter.validate_python((value,) if field == "categories" else value)
        except ValidationError:
            return False
        return True

    return check


def topic_id(value: str) -> bool:
    """Whether a value may stand in a topic as a site or device id."""
    try:
        validate_id(value)
    except ValueError:
        return False
    return True


# (wire model, wire field) -> the hub input fields it is built from.
SAME_CODE = [
    ((MealPeriod, "code"), (MealPeriodCreate, "code")),
    ((Dish, "category"), (DishCreate, "category")),
    ((Dish, "category"), (DishUpdate, "category")),
    ((Dish, "station"), (DishCreate, "station")),
    ((Dish, "station"), (DishUpdate, "station")),
    ((SetMealSlot, "category"), (SetMealSlotIn, "category")),
    ((Category, "code"), (DishCategoryCreate, "code")),
    ((Station, "code"), (KitchenStationCreate, "code")),
    ((TierBenefit, "code"), (TierCreate, "code")),
    ((SpendSave, "code"), (PromotionCreate, "code")),
    ((CouponTemplate, "categories"), (CouponTemplateCreate, "categories")),
    ((DeviceConfig, "order_prefix"), (DeviceConfigIn, "order_prefix")),
]
NO_LOOSER = [
    ((Dish, "id"), (DishCreate, "code")),
    ((FixedSetMeal, "id"), (SetMealCreate, "code")),
    ((CouponTemplate, "code"), (CouponTemplateCreate, "code")),
    ((CachedMember, "member_id"), (MemberCreate, "member_no")),
    ((Envelope, "site"), (SiteCreate, "code")),
    ((Envelope, "device"), (DeviceCreate, "code")),
]


@pytest.mark.parametrize(("wire", "hub"), SAME_CODE, ids=lambda p: f"{p[0].__name__}.{p[1]}")
def test_hub_checks_a_wire_code_exactly_as_the_wire(
    wire: tuple[type[BaseModel], str], hub: tuple[type[BaseModel], str]
) -> None:
    wire_ok = wire_accepts(*wire)
    assert [v for v in SAMPLES if hub_accepts(*hub, v) != wire_ok(v)] == []
    if hub[0] is PromotionCreate or hub[1] == "categories":
        return  # a rule across fields (only a spend-save code travels), or a list's items
    schema = hub[0].model_json_schema()["properties"][hub[1]]
    wanted = ORDER_PREFIX_PATTERN if hub[1] == "order_prefix" else CODE_PATTERN
    assert wanted in str(schema), "the API documents protocol's own pattern"


@pytest.mark.parametrize(("wire", "hub"), NO_LOOSER, ids=lambda p: f"{p[0].__name__}.{p[1]}")
def test_hub_identifier_is_never_looser_than_the_wire(
    wire: tuple[type[BaseModel], str], hub: tuple[type[BaseModel], str]
) -> None:
    wire_ok = wire_accepts(*wire)
    topic = wire[0] is Envelope
    assert [v for v in SAMPLES if hub_accepts(*hub, v)
            and not (wire_ok(v) and (topic_id(v) or not topic))] == []


def test_api_refuses_a_meal_period_code_the_wire_refuses(
    client: TestClient, auth: Callable[[Role], dict[str, str]]
) -> None:
    h = auth(Role.MANAGER)
    site = client.post("/api/v1/sites", json={"code": "s1", "name_zh": "一", "name_en": "One"},
                       headers=h)
    assert site.status_code == 201, site.text
    url = f"/api/v1/sites/{site.json()['id']}/meal-periods"
    body = {"code": "late-snack", "name_zh": "夜宵", "name_en": "Late snack",
            "start": "21:00", "end": "00:30"}
    r = client.post(url, json=body, headers=h)
    assert r.status_code == 422, r.text
    assert "meal period code 'late-snack' is not a valid code" in r.text
    assert "lower-case" in r.text
    assert client.post(url, json={**body, "code": "late_snack"}, headers=h).status_code == 201


BOUNDED = [
    ((TierBenefit, "points_multiplier_pct"), (TierCreate, "points_multiplier_pct"), 1000),
    ((Dish, "kcal"), (DishCreate, "kcal"), 20_000),
    ((Dish, "kcal"), (DishUpdate, "kcal"), 20_000),
]


@pytest.mark.parametrize(("wire", "hub", "top"), BOUNDED,
                         ids=lambda p: f"{p[0].__name__}.{p[1]}" if isinstance(p, tuple) else "")
def test_hub_bounds_a_number_as_the_wire(
    wire: tuple[type[BaseModel], str], hub: tuple[type[BaseModel], str], top: int
) -> None:
    wire_ok = wire_accepts(*wire)
    for value in (top, top + 1):
        try:
            hub[0].model_validate({**HUB_BASE[hub[0]], hub[1]: value})
            hub_ok = True
        except ValidationError:
            hub_ok = False
        assert hub_ok == wire_ok(value), value  # type: ignore[arg-type]


def test_rows_stored_before_the_check_are_still_shown(
    client: TestClient, auth: Callable[[Role], dict[str, str]], db_session: Session
) -> None:
    site = Site(code="s1", name_zh="一", name_en="One")
    db_session.add(site)
    db_session.flush()
    assert site.id is not None
    dish = DishRow(code="d1", name_zh="饭", name_en="Rice", category="Hot-Dish", price_cents=1,
                station="Main Wok")
    meal = SetMeal(code="sm1", name_zh="套餐", name_en="Set", kind="build_your_own",
                   price_cents=100)
    db_session.add_all([
        MealPeriodRow(site_id=site.id, code="late-snack", name_zh="夜宵", name_en="Late",
                      start=time(21), end=time(0, 30)),
        # An empty window the API refuses, written straight into the database.
        MealPeriodRow(site_id=site.id, code="never", name_zh="无", name_en="Never",
                      start=time(9), end=time(9)),
        TierDefinition(code="Gold", name_zh="金", name_en="Gold", rank=1),
        CouponTemplateRow(code="c1", name_zh="券", name_en="Coupon", kind="amount_off",
                       amount_cents=100, categories=["Hot-Dish"]),
        dish, meal,
    ])
    db_session.flush()
    db_session.add(SetMealSlotRow(set_meal_id=meal.id, category="Hot-Dish"))
    db_session.commit()
    h = auth(Role.MANAGER)
    for url, shown in ((f"/api/v1/sites/{site.id}", "late-snack"),
                       (f"/api/v1/dishes/{dish.id}", "Hot-Dish"),
                       (f"/api/v1/set-meals/{meal.id}", "Hot-Dish"),
                       ("/api/v1/tiers", "Gold"),
                       ("/api/v1/coupon-templates", "Hot-Dish")):
        r = client.get(url, headers=h)
        assert r.status_code == 200 and shown in r.text, (url, r.text)


NAME_SAMPLES = ["米饭", "Rice", "x" * 60, "x" * 61, "x" * 80, "x" * 81, "x" * 120, " ", "\t",
                "a\x01b", "a\tb", "第\n二"]
NAMES = [
    ((Dish, "name_zh"), (DishCreate, "name_zh")),
    ((Dish, "name_en"), (DishUpdate, "name_en")),
    ((FixedSetMeal, "name_zh"), (SetMealCreate, "name_zh")),
    ((FixedSetMeal, "name_en"), (SetMealUpdate, "name_en")),
    ((MealPeriod, "name_zh"), (MealPeriodCreate, "name_zh")),
    ((MealPeriod, "name_en"), (MealPeriodUpdate, "name_en")),
]


@pytest.mark.parametrize(("wire", "hub"), NAMES, ids=lambda p: f"{p[0].__name__}.{p[1]}")
def test_hub_names_never_longer_than_the_wire_shows(
    wire: tuple[type[BaseModel], str], hub: tuple[type[BaseModel], str]
) -> None:
    wire_ok = wire_accepts(*wire)
    base = HUB_BASE.get(hub[0], {})
    taken = []
    for value in NAME_SAMPLES:
        try:
            hub[0].model_validate({**base, hub[1]: value})
        except ValidationError:
            continue
        taken.append(value)
    assert [v for v in taken if not wire_ok(v)] == []
    assert "米饭" in taken and "x" * 81 not in taken
