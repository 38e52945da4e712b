"""Changes of prices, roles and money rules leave an audit record (actor, before, after),
through the API and through the admin pages alike; a refused change leaves none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from hub.cli import create_admin
from hub.db import make_engine
from hub.models import Role, User
from hub.models.audit import AuditLog
from hub.settings import Settings
from tests.hub.conftest import TEST_PASSWORD, ensure_user

Auth = Callable[[Role | str], dict[str, str]]


def dish_body(code: str = "mapo-tofu", **extra: Any) -> dict[str, Any]:
    """A valid dish."""
    return {"code": code, "name_zh": "麻婆豆腐", "name_en": "Mapo Tofu", "category": "hot",
            "price_cents": 1200, "tags": ["spicy"], "allergens": ["soy"], "station": "wok",
            **extra}


def audit_rows(session: Session, entity: str) -> list[AuditLog]:
    """The audit records of one entity kind, oldest first, read fresh."""
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.entity == entity).order_by(col(AuditLog.id))
    return list(session.exec(stmt))


def listed(client: TestClient, auth: Auth, entity: str) -> list[dict[str, Any]]:
    """The audit API's page of one entity kind, newest first."""
    reply = client.get("/api/v1/audit", params={"entity": entity}, headers=auth(Role.ADMIN))
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def admin_login(client: TestClient, username: str = "boss") -> None:
    """Sign an administrator in to the admin pages (the cookie stays in the client)."""
    ensure_user(client.app, username=username, role=Role.ADMIN)  # type: ignore[arg-type]
    reply = client.post("/admin/login", data={"username": username, "password": TEST_PASSWORD},
                        follow_redirects=False)
    assert reply.status_code == 302, reply.text


def dish_form(**changes: object) -> dict[str, object]:
    """The dish edit form as the browser posts it."""
    form: dict[str, object] = {
        "code": "mapo-tofu", "name_zh": "麻婆豆腐", "name_en": "Mapo Tofu", "category": "hot",
        "price_cents": "12.00", "station": "wok", "tags": ["spicy"], "allergens": ["soy"],
        "active": "y", "save": "Save",
    }
    form.update(changes)
    return form


def test_dish_price_change_through_the_api_is_audited(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    mgr = auth(Role.MANAGER)
    dish = client.post("/api/v1/dishes", json=dish_body(), headers=mgr).json()
    created = audit_rows(db_session, "dish")
    assert [(r.action, r.actor, r.before) for r in created] == [
        ("dish.create", "manager-user", None)]
    assert created[0].after is not None and created[0].after["price_cents"] == 1200
    reply = client.patch(f"/api/v1/dishes/{dish['id']}", json={"price_cents": 1350,
                                                               "name_en": "Mapo Tofu"},
                         headers=mgr)
    assert reply.status_code == 200, reply.text
    rows = audit_rows(db_session, "dish")
    assert len(rows) == 2
    change = rows[-1]
    assert (change.action, change.actor, change.entity_id) == (
        "dish.update", "manager-user", str(dish["id"]))
    # only what changed, before and after
    assert (change.before, change.after) == ({"price_cents": 1200}, {"price_cents": 1350})
    shown = listed(client, auth, "dish")[0]
    assert (shown["action"], shown["before"], shown["after"]) == (
        "dish.update", {"price_cents": 1200}, {"price_cents": 1350})
    # refused changes write nothing: a negative price, a null name, an unknown dish
    for body in ({"price_cents": -5}, {"name_zh": None}):
        reply = client.patch(f"/api/v1/dishes/{dish['id']}", json=body, headers=mgr)
        assert reply.status_code == 422, (body, reply.text)
    assert client.patch("/api/v1/dishes/99999", json={"price_cents": 1},
                        headers=mgr).status_code == 404
    # a change that changes nothing is no change
    assert client.patch(f"/api/v1/dishes/{dish['id']}", json={"price_cents": 1350},
                        headers=mgr).status_code == 200
    assert len(audit_rows(db_session, "dish")) == 2


def test_dish_price_change_on_the_admin_page_is_audited(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    admin_login(client)
    reply = client.post("/admin/dish/create", data=dish_form(), follow_redirects=False)
    assert reply.status_code == 302, reply.text
    [created] = audit_rows(db_session, "dish")
    assert (created.action, created.actor) == ("dish.create", "boss")
    assert created.after is not None and created.after["price_cents"] == 1200
    dish_id = created.entity_id
    # refused by the form's check (the API's): no change, no record
    reply = client.post(f"/admin/dish/edit/{dish_id}", data=dish_form(price_cents="-1"),
                        follow_redirects=False)
    assert reply.status_code == 400
    assert len(audit_rows(db_session, "dish")) == 1
    reply = client.post(f"/admin/dish/edit/{dish_id}", data=dish_form(price_cents="9.50"),
                        follow_redirects=False)
    assert reply.status_code == 302, reply.text
    rows = audit_rows(db_session, "dish")
    assert len(rows) == 2
    assert (rows[-1].action, rows[-1].actor, rows[-1].before, rows[-1].after) == (
        "dish.update", "boss", {"price_cents": 1200}, {"price_cents": 950})
    assert listed(client, auth, "dish")[0]["after"] == {"price_cents": 950}
    # deleting it from the admin page is audited in the same transaction
    reply = client.delete(f"/admin/dish/delete?pks={dish_id}")
    assert reply.status_code == 200 and "error" not in reply.text, reply.text
    deleted = audit_rows(db_session, "dish")[-1]
    assert (deleted.action, deleted.after) == ("dish.delete", None)
    assert deleted.before is not None and deleted.before["price_cents"] == 950


def test_set_meal_price_change_through_api_and_admin_page_is_audited(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    mgr = auth(Role.MANAGER)
    dish = client.post("/api/v1/dishes", json=dish_body(), headers=mgr).json()
    combo = {"code": "combo-a", "name_zh": "套餐A", "name_en": "Combo A", "kind": "fixed",
             "price_cents": 1800, "items": [{"dish_id": dish["id"], "qty": 1}]}
    meal = client.post("/api/v1/set-meals", json=combo, headers=mgr).json()
    reply = client.patch(f"/api/v1/set-meals/{meal['id']}", json={"price_cents": 1700},
                         headers=mgr)
    assert reply.status_code == 200, reply.text
    rows = audit_rows(db_session, "set_meal")
    assert [r.action for r in rows] == ["set_meal.create", "set_meal.update"]
    assert (rows[-1].actor, rows[-1].before, rows[-1].after) == (
        "manager-user", {"price_cents": 1800}, {"price_cents": 1700})
    admin_login(client)
    reply = client.post(f"/admin/set-meal/edit/{meal['id']}", follow_redirects=False, data={
        "name_zh": "套餐A", "name_en": "Combo A", "price_cents": "16.00", "active": "y",
        "save": "Save"})
    assert reply.status_code == 302, reply.text
    last = audit_rows(db_session, "set_meal")[-1]
    assert (last.actor, last.before, last.after) == (
        "boss", {"price_cents": 1700}, {"price_cents": 1600})


def test_user_role_and_active_changes_are_audited_without_a_hash(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    admin = auth(Role.ADMIN)
    reply = client.post("/api/v1/users", headers=admin, json={
        "username": "till-2", "password": "a-long-password-1", "role": "cashier"})
    assert reply.status_code == 201, reply.text
    user_id = reply.json()["id"]
    reply = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"role": "manager"})
    assert reply.status_code == 200, reply.text
    reply = client.patch(f"/api/v1/users/{user_id}", headers=admin,
                         json={"active": False, "password": "another-password-2"})
    assert reply.status_code == 200, reply.text
    # refused: no such role
    reply = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"role": "owner"})
    assert reply.status_code == 422
    rows = audit_rows(db_session, "user")
    assert [(r.action, r.actor, r.before, r.after) for r in rows] == [
        ("user.create", "admin-user", None,
         {"username": "till-2", "role": "cashier", "active": True}),
        ("user.update", "admin-user", {"role": "cashier"}, {"role": "manager"}),
        ("user.update", "admin-user", {"active": True}, {"active": False}),
    ]
    assert rows[-1].note == "password changed"
    assert all("password_hash" not in (r.before or {}) | (r.after or {}) for r in rows)
    assert [item["action"] for item in listed(client, auth, "user")][:3] == [
        "user.update", "user.update", "user.create"]


@pytest.mark.parametrize("refused", [{"amount_cents": None}, {"amount_cents": 0}])
def test_subsidy_rule_change_is_audited_and_a_refused_one_is_not(
    client: TestClient, auth: Auth, db_session: Session, refused: dict[str, Any]
) -> None:
    mgr = auth(Role.MANAGER)
    rule = {"code": "acme-lunch", "name_zh": "午餐补贴", "name_en": "Lunch",
            "employer": "acme", "meal_period": "lunch", "amount_cents": 1_200}
    created = client.post("/api/v1/subsidy-rules", headers=mgr, json=rule)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    reply = client.patch(f"/api/v1/subsidy-rules/{rule_id}", headers=mgr,
                         json={"amount_cents": 1_500})
    assert reply.status_code == 200, reply.text
    assert client.patch(f"/api/v1/subsidy-rules/{rule_id}", headers=mgr,
                        json=refused).status_code == 422
    rows = audit_rows(db_session, "subsidy_rule")
    assert [(r.action, r.actor) for r in rows] == [
        ("create", "manager-user"), ("update", "manager-user")]
    assert rows[-1].before is not None and rows[-1].after is not None
    assert (rows[-1].before["amount_cents"], rows[-1].after["amount_cents"]) == (1_200, 1_500)
    assert listed(client, auth, "subsidy_rule")[0]["after"]["amount_cents"] == 1_500


def test_create_admin_on_the_command_line_is_audited(sqlite_settings: Settings) -> None:
    assert create_admin(settings=sqlite_settings, username="root",
                        password="s3cret-admin-pw") == "created"
    engine = make_engine(sqlite_settings)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == "root")).one()
            user.role, user.active = Role.CASHIER, False  # as if demoted since
            session.add(user)
            session.commit()
        assert create_admin(settings=sqlite_settings, username="root",
                            password="another-pw-123", reset=True) == "reset"
        with Session(engine) as session:
            rows = audit_rows(session, "user")
        assert [(r.action, r.actor, r.before, r.after, r.note) for r in rows] == [
            ("user.create", "cli", None, {"username": "root", "role": "admin", "active": True},
             None),
            ("user.update", "cli", {"active": False, "role": "cashier"},
             {"active": True, "role": "admin"}, "password changed"),
        ]
    finally:
        engine.dispose()
