"""The member API is the member's own: every /api/v1/me route walked with another member's
session sees and changes only that member's data; staff tokens are refused on all of them;
cookie writes need the CSRF token; no route takes personal data in its URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.identity.keys import published_public_keys
from hub.models.member_portal import ErasureRequest
from hub.models.members import Member
from hub.models.users import Role
from protocol.tokens import verify_coupon_token, verify_member_token
from tests.member_portal.conftest import Diner, SignIn, mailed_code, seed_diner
from tests.notify.conftest import SmtpServer

Auth = Callable[[Role], dict[str, str]]
PUBLIC = {("POST", "/api/v1/me/sign-in/code"), ("POST", "/api/v1/me/sign-in")}
# The body each write sends; a route added later gets {} (and must still stay in bounds).
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/api/v1/me/consents"): {"marketing": False},
    ("POST", "/api/v1/me/erasure-request"): None,
    ("POST", "/api/v1/me/sign-out"): None,
}
MINE = {
    ("GET", "/api/v1/me"), ("GET", "/api/v1/me/balances"), ("GET", "/api/v1/me/ledger"),
    ("GET", "/api/v1/me/orders"), ("GET", "/api/v1/me/orders/{order_id}"),
    ("GET", "/api/v1/me/coupons"), ("GET", "/api/v1/me/qr"), ("PATCH", "/api/v1/me/consents"),
    ("GET", "/api/v1/me/export"), ("GET", "/api/v1/me/erasure-request"),
    ("POST", "/api/v1/me/erasure-request"), ("POST", "/api/v1/me/sign-out"),
}


def me_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every member route (sign-out last: it ends the session the walk uses)."""
    found = {(m, str(c.path)) for c in iter_route_contexts(app.routes)
             if isinstance(c.original_route, APIRoute)
             and (c.path == "/api/v1/me" or str(c.path).startswith("/api/v1/me/"))
             for m in (c.methods or ())} - PUBLIC
    return sorted(found, key=lambda mp: (mp[1].endswith("/sign-out"), mp[1], mp[0]))


def _url(path: str, owner: Diner) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: owner.order_id if m.group(0) == "{order_id}" else "1",
                  path)


def _call(client: TestClient, method: str, path: str, url: str,
          headers: dict[str, str]) -> Any:
    body = BODIES.get((method, path), {}) if method in {"POST", "PATCH", "PUT"} else None
    return client.request(method, url, json=body, headers=headers)


@pytest.fixture
def pair(client: TestClient) -> tuple[Diner, Diner]:
    return (seed_diner(client, "M2001", cents=7700, name="王甲"),
            seed_diner(client, "M2002", cents=1200, name="赵乙"))


def test_every_me_route_gives_another_member_only_their_own_data(
        client: TestClient, sign_in: SignIn, pair: tuple[Diner, Diner],
        db_session: Session) -> None:
    a, b = pair
    a_headers, b_headers = sign_in(a), sign_in(b)
    routes = me_routes(client.app)  # type: ignore[arg-type]
    assert routes[-1] == ("POST", "/api/v1/me/sign-out")
    assert set(routes) >= MINE, sorted(MINE - set(routes))
    keys = published_public_keys(session=db_session) or {}
    a_marks = (a.member_no, "王甲", a.order_id, a.email, "77.00")
    walked = []
    for method, path in routes:
        # A's own order id wherever a route names an order: still only B's data comes back.
        r = _call(client, method, path, _url(path, a), b_headers)
        walked.append((method, path, r.status_code))
        assert r.status_code < 500, (method, path, r.text)
        for mark in a_marks:
            assert mark not in r.text, (method, path, mark)
        if path == "/api/v1/me/orders/{order_id}":
            assert r.status_code == 404  # A's order: "not found", as if it did not exist
            own = client.get(_url(path, b), headers=b_headers)
            assert own.status_code == 200 and own.json()["lines"][1]["name_zh"] == "红烧肉"
        if path == "/api/v1/me/qr":
            keys = published_public_keys(session=db_session)
            assert verify_member_token(r.json()["token"], keys, _now()) == b.member_no
        if path == "/api/v1/me/coupons":
            keys = published_public_keys(session=db_session)
            claims = [verify_coupon_token(c["token"], keys, _now()) for c in r.json()]
            assert [(c.member_id, c.coupon_id) for c in claims] == [(b.member_no,
                                                                    str(b.coupon_id))]
        if path == "/api/v1/me":
            assert r.json()["member_no"] == b.member_no
        if path in {"/api/v1/me/ledger", "/api/v1/me/orders"}:
            assert r.json()["total"] == 1
    assert len(walked) == len(routes)
    # B's writes changed B only; A's consents, erasure state and session are untouched.
    db_session.expire_all()
    member_a = db_session.get(Member, a.id)
    member_b = db_session.get(Member, b.id)
    assert member_a is not None and member_b is not None
    assert member_a.consent_marketing_at is not None and member_b.consent_marketing_at is None
    requests = db_session.exec(select(ErasureRequest)).all()
    assert [r.member_id for r in requests] == [b.id]
    assert client.get("/api/v1/me", headers=a_headers).json()["member_no"] == a.member_no
    assert client.get("/api/v1/me", headers=b_headers).status_code == 401  # B signed out


def test_staff_tokens_and_strangers_are_refused_on_every_me_route(
        client: TestClient, auth: Auth, pair: tuple[Diner, Diner]) -> None:
    a, _ = pair
    for method, path in me_routes(client.app):  # type: ignore[arg-type]
        url = _url(path, a)
        for role in Role:
            r = _call(client, method, path, url, auth(role))
            assert r.status_code == 403, (method, path, role, r.status_code)
            assert "staff tokens are not accepted" in r.json()["detail"]
        for headers in ({}, {"Authorization": "Bearer forged"},
                        {"Authorization": "Bearer mps_forged"},
                        {"Cookie": "canteen_member=mps_forged"}):
            r = _call(client, method, path, url, headers)
            assert r.status_code == 401, (method, path, headers, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"


def test_cookie_writes_need_the_csrf_token(client: TestClient, smtp: SmtpServer,
                                           pair: tuple[Diner, Diner],
                                           db_session: Session) -> None:
    a, _ = pair
    r = client.post("/api/v1/me/sign-in/code", json={"identifier": a.member_no})
    r = client.post("/api/v1/me/sign-in", json={"challenge": r.json()["challenge"],
                                                "code": mailed_code(smtp, a.email)})
    csrf = r.json()["csrf_token"]
    assert client.cookies.get("canteen_member")  # from here on, the cookie only
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        r = client.patch("/api/v1/me/consents", json={"marketing": False}, headers=headers)
        assert r.status_code == 403 and "CSRF" in r.json()["detail"]
        r = client.post("/api/v1/me/erasure-request", headers=headers)
        assert r.status_code == 403
    db_session.expire_all()
    member = db_session.get(Member, a.id)
    assert member is not None and member.consent_marketing_at is not None  # unchanged
    assert db_session.exec(select(ErasureRequest)).first() is None
    assert client.get("/api/v1/me").status_code == 200  # reading needs no token
    r = client.patch("/api/v1/me/consents", json={"marketing": False},
                     headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["marketing"] is False
    r = client.patch("/api/v1/me/consents", json={"face": True},
                     headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "kiosk" in r.json()["detail"][0]["msg"]


def test_no_member_route_takes_personal_data_in_its_url(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    allowed = {"limit", "offset", "order_id", "state", "request_id"}
    for path, item in doc["paths"].items():
        if not (path == "/api/v1/me" or path.startswith(("/api/v1/me/",
                                                          "/api/v1/member-erasure"))):
            continue
        for op in item.values():
            names = {p["name"] for p in op.get("parameters", [])}
            assert names <= allowed | {"survey_id", "booking_id"}, (path, names)


def test_staff_carry_out_an_erasure_request(client: TestClient, sign_in: SignIn, auth: Auth,
                                            pair: tuple[Diner, Diner]) -> None:
    a, _ = pair
    headers = sign_in(a)
    r = client.post("/api/v1/me/erasure-request", headers=headers)
    assert r.status_code == 201 and r.json()["state"] == "open"
    again = client.post("/api/v1/me/erasure-request", headers=headers)
    assert again.status_code == 409
    listed = client.get("/api/v1/member-erasure-requests?state=open", headers=auth(Role.ADMIN))
    assert [x["member_id"] for x in listed.json()] == [a.id]
    assert client.get("/api/v1/member-erasure-requests",
                      headers=auth(Role.MANAGER)).status_code == 403
    done = client.post(f"/api/v1/member-erasure-requests/{listed.json()[0]['id']}/erase",
                       headers=auth(Role.ADMIN))
    assert done.status_code == 200 and done.json()["state"] == "done"
    # The member is erased: their session ends with them.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    member = client.get(f"/api/v1/members/{a.id}", headers=auth(Role.ADMIN)).json()
    assert member["active"] is False and "王甲" not in member["name"]


def _now() -> Any:
    from hub.db_types import utcnow

    return utcnow()
