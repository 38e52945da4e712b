"""Sites, meal periods, dishes, set meals and menus through the REST API, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.models import Dish, MealPeriod, Menu, MenuItem, SetMeal, SetMealItem, Site
from hub.models.users import Role

Auth = Callable[[Role], dict[str, str]]

LUNCH = {"code": "lunch", "name_zh": "午餐", "name_en": "Lunch", "start": "11:00", "end": "13:30"}


def site_body(code: str = "hq", **extra: Any) -> dict[str, Any]:
    """A valid site with one meal period."""
    return {
        "code": code,
        "name_zh": "总部食堂",
        "name_en": "HQ Canteen",
        "meal_periods": [LUNCH],
        **extra,
    }


def dish_body(code: str = "mapo-tofu", **extra: Any) -> dict[str, Any]:
    """A valid dish."""
    return {
        "code": code,
        "name_zh": "麻婆豆腐",
        "name_en": "Mapo Tofu",
        "category": "hot",
        "price_cents": 1200,
        "member_price_cents": 1000,
        "tags": ["spicy"],
        "allergens": ["soy"],
        "station": "wok",
        "kcal": 350,
        **extra,
    }


def count(session: Session, model: type) -> int:
    """Rows in a table."""
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_site_with_meal_periods_round_trip(client: TestClient, auth: Auth) -> None:
    mgr = auth(Role.MANAGER)
    r = client.post("/api/v1/sites", json=site_body(), headers=mgr)
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["meal_periods"][0]["start"] == "11:00:00"
    extra = {
        "code": "dinner",
        "name_zh": "晚餐",
        "name_en": "Dinner",
        "start": "17:00",
        "end": "19:00",
    }
    r = client.post(f"/api/v1/sites/{site['id']}/meal-periods", json=extra, headers=mgr)
    assert r.status_code == 201
    got = client.get(f"/api/v1/sites/{site['id']}", headers=auth(Role.CASHIER)).json()
    assert [p["code"] for p in got["meal_periods"]] == ["lunch", "dinner"]
    r = client.patch(f"/api/v1/sites/{site['id']}", json={"name_en": "Head Office"}, headers=mgr)
    assert r.json()["name_en"] == "Head Office" and r.json()["name_zh"] == "总部食堂"


def test_site_bad_input_writes_nothing(client: TestClient, auth: Auth, db_session: Session) -> None:
    mgr = auth(Role.MANAGER)
    assert client.post("/api/v1/sites", json=site_body(), headers=mgr).status_code == 201
    dup = client.post("/api/v1/sites", json=site_body(), headers=mgr)
    assert dup.status_code == 409 and "hq" in dup.json()["detail"]
    bad_zone = client.post("/api/v1/sites", json=site_body("b", timezone="Mars/Base"), headers=mgr)
    assert bad_zone.status_code == 422
    assert bad_zone.json()["detail"][0]["loc"] == ["body", "timezone"]
    twice = site_body("c", meal_periods=[LUNCH, LUNCH])
    assert client.post("/api/v1/sites", json=twice, headers=mgr).status_code == 422
    empty = {**LUNCH, "end": "11:00"}
    assert (
        client.post(
            "/api/v1/sites", json=site_body("d", meal_periods=[empty]), headers=mgr
        ).status_code
        == 422
    )
    assert count(db_session, Site) == 1 and count(db_session, MealPeriod) == 1
    assert client.get("/api/v1/sites/999", headers=mgr).status_code == 404


def test_dish_crud_filters_and_pagination(client: TestClient, auth: Auth) -> None:
    mgr = auth(Role.MANAGER)
    for body in (
        dish_body(),
        dish_body(
            "tomato-egg",
            name_zh="番茄炒蛋",
            name_en="Tomato & Egg",
            tags=["vegetarian"],
            allergens=["egg"],
            station="main",
        ),
        dish_body(
            "soy-milk",
            name_zh="豆浆",
            name_en="Soy Milk",
            category="drink",
            tags=[],
            station="bar",
            price_cents=300,
            member_price_cents=None,
        ),
    ):
        r = client.post("/api/v1/dishes", json=body, headers=mgr)
        assert r.status_code == 201, r.text
    kitchen = auth(Role.KITCHEN)

    def codes(query: str) -> list[str]:
        page = client.get(f"/api/v1/dishes?{query}", headers=kitchen).json()
        return [d["code"] for d in page["items"]]

    assert codes("category=drink") == ["soy-milk"]
    assert codes("tag=spicy") == ["mapo-tofu"]
    assert codes("station=main") == ["tomato-egg"]
    assert codes("q=番茄") == ["tomato-egg"]
    assert codes("q=TOFU") == ["mapo-tofu"]
    assert codes("q=100%25") == []
    page = client.get("/api/v1/dishes?limit=2&offset=1", headers=kitchen).json()
    assert page["total"] == 3 and [d["code"] for d in page["items"]] == ["soy-milk", "tomato-egg"]
    dish_id = client.get("/api/v1/dishes?q=tofu", headers=kitchen).json()["items"][0]["id"]
    r = client.patch(
        f"/api/v1/dishes/{dish_id}",
        json={"price_cents": 1300, "member_price_cents": None},
        headers=mgr,
    )
    assert (
        r.status_code == 200
        and r.json()["price_cents"] == 1300
        and r.json()["member_price_cents"] is None
    )
    assert client.delete(f"/api/v1/dishes/{dish_id}", headers=mgr).status_code == 204
    assert client.get(f"/api/v1/dishes/{dish_id}", headers=mgr).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tags": ["spicy", "crunchy"]}, "tags"),
        ({"allergens": ["gluten", "unicorn"]}, "allergens"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": 12.5}, "price_cents"),
        ({"code": "has space"}, "code"),
        ({"name_zh": ""}, "name_zh"),
    ],
)
def test_dish_bad_input_refused(
    client: TestClient, auth: Auth, db_session: Session, change: dict[str, Any], field: str
) -> None:
    r = client.post("/api/v1/dishes", json=dish_body(**change), headers=auth(Role.MANAGER))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:2] == ["body", field]
    assert count(db_session, Dish) == 0


def test_dish_duplicate_code_and_null_price_refused(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    mgr = auth(Role.MANAGER)
    dish_id = client.post("/api/v1/dishes", json=dish_body(), headers=mgr).json()["id"]
    assert (
        client.post("/api/v1/dishes", json=dish_body(name_en="Other"), headers=mgr).status_code
        == 409
    )
    r = client.patch(
        f"/api/v1/dishes/{dish_id}", json={"price_cents": None, "name_en": "X"}, headers=mgr
    )
    assert r.status_code == 422
    assert client.get(f"/api/v1/dishes/{dish_id}", headers=mgr).json()["name_en"] == "Mapo Tofu"
    assert count(db_session, Dish) == 1


def test_allergen_group_expands(client: TestClient, auth: Auth) -> None:
    r = client.post(
        "/api/v1/dishes", json=dish_body(allergens=["shellfish"]), headers=auth(Role.ADMIN)
    )
    assert r.json()["allergens"] == ["crustacean", "mollusc"]


def _site_dish(client: TestClient, mgr: dict[str, str]) -> tuple[dict[str, Any], int]:
    site = client.post("/api/v1/sites", json=site_body(), headers=mgr).json()
    dish_id = client.post("/api/v1/dishes", json=dish_body(), headers=mgr).json()["id"]
    return site, dish_id


def test_menu_lifecycle_and_sold_out(client: TestClient, auth: Auth, db_session: Session) -> None:
    mgr = auth(Role.MANAGER)
    site, dish_id = _site_dish(client, mgr)
    period_id = site["meal_periods"][0]["id"]
    body = {"site_id": site["id"], "meal_period_id": period_id, "items": [{"dish_id": dish_id}]}
    r = client.post("/api/v1/menus", json=body, headers=mgr)
    assert r.status_code == 201, r.text
    menu = r.json()
    assert menu["items"][0]["sold_out"] is False
    assert client.post("/api/v1/menus", json=body, headers=mgr).status_code == 409
    kitchen = auth(Role.KITCHEN)
    r = client.patch(
        f"/api/v1/menus/{menu['id']}/items/{dish_id}", json={"sold_out": True}, headers=kitchen
    )
    assert r.status_code == 200 and r.json()["sold_out"] is True
    assert (
        client.patch(
            f"/api/v1/menus/{menu['id']}/items/999", json={"sold_out": True}, headers=kitchen
        ).status_code
        == 404
    )
    page = client.get(
        f"/api/v1/menus?site_id={site['id']}&meal_period=lunch", headers=kitchen
    ).json()
    assert page["total"] == 1 and page["items"][0]["items"][0]["sold_out"] is True
    assert client.get("/api/v1/menus?meal_period=dinner", headers=kitchen).json()["total"] == 0
    # The dish is on a menu: deleting it is refused, and it stays.
    assert client.delete(f"/api/v1/dishes/{dish_id}", headers=mgr).status_code == 409
    assert client.delete(f"/api/v1/sites/{site['id']}", headers=mgr).status_code == 409
    assert client.delete(f"/api/v1/menus/{menu['id']}", headers=mgr).status_code == 204
    assert count(db_session, MenuItem) == 0 and count(db_session, Dish) == 1


def test_menu_bad_references_write_nothing(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    mgr = auth(Role.MANAGER)
    site, dish_id = _site_dish(client, mgr)
    other = client.post("/api/v1/sites", json=site_body("branch"), headers=mgr).json()
    period_id = site["meal_periods"][0]["id"]
    wrong_site = {"site_id": other["id"], "meal_period_id": period_id}
    r = client.post("/api/v1/menus", json=wrong_site, headers=mgr)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "meal_period_id"]
    ghost = {
        "site_id": site["id"],
        "meal_period_id": period_id,
        "items": [{"dish_id": dish_id}, {"dish_id": 999}],
    }
    assert client.post("/api/v1/menus", json=ghost, headers=mgr).status_code == 422
    twice = {
        "site_id": site["id"],
        "meal_period_id": period_id,
        "items": [{"dish_id": dish_id}] * 2,
    }
    assert client.post("/api/v1/menus", json=twice, headers=mgr).status_code == 422
    assert count(db_session, Menu) == 0 and count(db_session, MenuItem) == 0


def test_set_meals_fixed_and_build_your_own(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    mgr = auth(Role.MANAGER)
    _, dish_id = _site_dish(client, mgr)
    fixed = {
        "code": "combo-a",
        "name_zh": "套餐A",
        "name_en": "Combo A",
        "kind": "fixed",
        "price_cents": 1800,
        "items": [{"dish_id": dish_id, "qty": 2}],
    }
    r = client.post("/api/v1/set-meals", json=fixed, headers=mgr)
    assert r.status_code == 201 and r.json()["items"] == [{"dish_id": dish_id, "qty": 2}]
    byo = {
        "code": "two-plus-one",
        "name_zh": "两荤一素",
        "name_en": "Two meat one veg",
        "kind": "build_your_own",
        "price_cents": 1500,
        "slots": [{"category": "meat", "min_picks": 2, "max_picks": 2}, {"category": "veg"}],
    }
    r = client.post("/api/v1/set-meals", json=byo, headers=mgr)
    assert r.status_code == 201 and len(r.json()["slots"]) == 2
    assert client.post("/api/v1/set-meals", json=byo, headers=mgr).status_code == 409
    mixed = {**fixed, "code": "mixed", "slots": byo["slots"]}
    assert client.post("/api/v1/set-meals", json=mixed, headers=mgr).status_code == 422
    ghost = {**fixed, "code": "ghost", "items": [{"dish_id": 999}]}
    assert client.post("/api/v1/set-meals", json=ghost, headers=mgr).status_code == 422
    assert count(db_session, SetMeal) == 2 and count(db_session, SetMealItem) == 1
    assert client.delete(f"/api/v1/dishes/{dish_id}", headers=mgr).status_code == 409


def test_cashier_cannot_edit_catalogue(client: TestClient, auth: Auth, db_session: Session) -> None:
    r = client.post("/api/v1/dishes", json=dish_body(), headers=auth(Role.CASHIER))
    assert r.status_code == 403
    assert count(db_session, Dish) == 0
