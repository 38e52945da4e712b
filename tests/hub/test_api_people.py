"""Members (encrypted phone, consents) and users through the REST API, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.models import Member, User
from hub.models.users import Role

Auth = Callable[[Role], dict[str, str]]


def member_body(no: str = "M0001", **extra: Any) -> dict[str, Any]:
    """A valid member."""
    return {
        "member_no": no,
        "name": "王小明",
        "phone": "138-0013-8000",
        "employer": "Acme 制造",
        "department": "Assembly",
        "dietary_preferences": ["halal"],
        "allergens": ["peanut"],
        "consent_data": True,
        **extra,
    }


def test_member_phone_encrypted_at_rest_and_searchable(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    cashier = auth(Role.CASHIER)
    r = client.post("/api/v1/members", json=member_body(), headers=cashier)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["phone"] == "13800138000"
    assert body["consent_data_at"] is not None and body["consent_marketing_at"] is None
    row = db_session.exec(select(Member)).one()
    assert row.phone_encrypted and "13800138000" not in row.phone_encrypted
    assert row.phone_hash and "13800138000" not in row.phone_hash
    found = client.get("/api/v1/members?phone=138 0013 8000", headers=cashier).json()
    assert [m["member_no"] for m in found["items"]] == ["M0001"]
    assert client.get("/api/v1/members?phone=13800138001", headers=cashier).json()["total"] == 0
    assert client.get("/api/v1/members?q=小明", headers=cashier).json()["total"] == 1
    assert client.get("/api/v1/members?employer=acme", headers=cashier).json()["total"] == 1
    assert client.get("/api/v1/members?department=kitchen", headers=cashier).json()["total"] == 0


def test_member_consent_withdrawn_and_phone_changed(client: TestClient, auth: Auth) -> None:
    cashier = auth(Role.CASHIER)
    member = client.post(
        "/api/v1/members", json=member_body(consent_marketing=True), headers=cashier
    ).json()
    url = f"/api/v1/members/{member['id']}"
    r = client.patch(
        url, json={"consent_marketing": False, "phone": "+8613900139000"}, headers=cashier
    )
    assert r.status_code == 200
    assert r.json()["consent_marketing_at"] is None
    assert r.json()["consent_data_at"] == member["consent_data_at"]
    assert r.json()["phone"] == "+8613900139000"
    assert client.get("/api/v1/members?phone=13800138000", headers=cashier).json()["total"] == 0


def test_member_bad_input_and_duplicates_write_nothing(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    cashier = auth(Role.CASHIER)
    assert client.post("/api/v1/members", json=member_body(), headers=cashier).status_code == 201
    same_phone = client.post("/api/v1/members", json=member_body("M0002"), headers=cashier)
    assert same_phone.status_code == 409 and "phone" in same_phone.json()["detail"]
    same_no = client.post("/api/v1/members", json=member_body(phone="13700137000"), headers=cashier)
    assert same_no.status_code == 409
    for bad in (
        {"phone": "call me"},
        {"allergens": ["cats"]},
        {"dietary_preferences": ["spicy"]},
        {"birthday": "2025-02-30"},
        {"name": ""},
    ):
        r = client.post("/api/v1/members", json=member_body("M0003", **bad), headers=cashier)
        assert r.status_code == 422, bad
    assert client.get("/api/v1/members?phone=abc", headers=cashier).status_code == 422
    db_session.expire_all()
    assert db_session.exec(select(func.count()).select_from(Member)).one() == 1


def test_members_hidden_from_kitchen_and_erasable_by_manager(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    member = client.post("/api/v1/members", json=member_body(), headers=auth(Role.CASHIER)).json()
    assert client.get("/api/v1/members", headers=auth(Role.KITCHEN)).status_code == 403
    url = f"/api/v1/members/{member['id']}"
    assert client.delete(url, headers=auth(Role.CASHIER)).status_code == 403
    assert client.delete(url, headers=auth(Role.MANAGER)).status_code == 204
    assert client.get(url, headers=auth(Role.MANAGER)).status_code == 404


def test_admin_creates_users_who_can_log_in(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    admin = auth(Role.ADMIN)
    body = {"username": "lin.cook", "password": "wok-hei-2025!", "role": "kitchen"}
    r = client.post("/api/v1/users", json=body, headers=admin)
    assert r.status_code == 201 and "password" not in r.text
    stored = db_session.exec(select(User).where(User.username == "lin.cook")).one()
    assert stored.password_hash.startswith("$argon2id$")
    token = client.post(
        "/api/v1/auth/token", data={"username": "lin.cook", "password": "wok-hei-2025!"}
    )
    assert token.status_code == 200 and token.json()["role"] == "kitchen"
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 409
    weak = {**body, "username": "weak", "password": "short"}
    assert client.post("/api/v1/users", json=weak, headers=admin).status_code == 422
    bad_role = {**body, "username": "boss", "role": "owner"}
    assert client.post("/api/v1/users", json=bad_role, headers=admin).status_code == 422
    assert (
        client.post(
            "/api/v1/users", json={**body, "username": "x2"}, headers=auth(Role.MANAGER)
        ).status_code
        == 403
    )
    db_session.expire_all()
    names = set(db_session.exec(select(User.username)).all())
    assert "weak" not in names and "boss" not in names and "x2" not in names
