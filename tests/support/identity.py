"""Members and coupon templates made through the API, for the identity and account tests."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from hub.models import Role

Auth = Callable[[Role], dict[str, str]]

FIVE_OFF = {
    "code": "FIVE",
    "name_zh": "立减5元",
    "name_en": "5 off",
    "kind": "amount_off",
    "amount_cents": 500,
    "min_spend_cents": 2000,
    "categories": ["hot"],
    "valid_days": 7,
}


def make_member(
    client: TestClient,
    auth: Auth,
    no: str = "M0001",
    name: str = "张小明",
    phone: str = "13800138000",
    **extra: object,
) -> int:
    body = {"member_no": no, "name": name, "phone": phone, "employer": "Acme", **extra}
    r = client.post("/api/v1/members", json=body, headers=auth(Role.ADMIN))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def template(client: TestClient, auth: Auth, **over: object) -> int:
    r = client.post(
        "/api/v1/coupon-templates", json={**FIVE_OFF, **over}, headers=auth(Role.MANAGER)
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])
