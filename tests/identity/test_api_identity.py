"""Member codes, cards, search and member-cache deltas through the real API (SQLite, PG)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.db_types import utcnow
from hub.models.audit import AuditLog
from hub.models.identity import MemberCard
from hub.models.users import Role
from protocol.member_cache import MemberCacheDelta
from protocol.tokens import (
    TokenBadSignature,
    TokenExpired,
    TokenUnknownKey,
    identifier_hash,
    verify_member_token,
)
from tests.support.identity import make_member

Auth = Callable[[Role], dict[str, str]]




def make_site(client: TestClient, auth: Auth) -> int:
    # No organisation: the site serves the members without one, as these tests' members are
    # (which site caches whom: tests/identity/test_member_scope.py).
    h = auth(Role.ADMIN)
    body = {"code": "hq", "name_zh": "总部食堂", "name_en": "HQ canteen"}
    r = client.post("/api/v1/sites", json=body, headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def device_keys(client: TestClient, auth: Auth, site: int) -> dict[str, object]:
    r = client.get(f"/api/v1/identity/sites/{site}/device-keys", headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.text
    return dict(r.json())


def delta(client: TestClient, auth: Auth, site: int, v: int) -> MemberCacheDelta | None:
    r = client.get(
        f"/api/v1/identity/sites/{site}/member-delta",
        params={"from_version": v},
        headers=auth(Role.MANAGER),
    )
    if r.status_code == 204:
        return None
    assert r.status_code == 200, r.text
    return MemberCacheDelta.model_validate(r.json())


def test_member_code_verifies_offline_with_published_keys(client: TestClient, auth: Auth) -> None:
    member = make_member(client, auth)
    r = client.get(f"/api/v1/members/{member}/qr-token", headers=auth(Role.CASHIER))
    assert r.status_code == 200, r.text
    code = r.json()
    keys = client.get("/api/v1/identity/public-keys", headers=auth(Role.MANAGER)).json()["keys"]
    now = utcnow()
    assert verify_member_token(code["token"], keys, now) == "M0001"
    with pytest.raises(TokenExpired):
        verify_member_token(code["token"], keys, now + timedelta(minutes=3))
    # After rotation the old code still verifies (key still published), new codes use the new key.
    rotated = client.post("/api/v1/identity/signing-keys/rotate", headers=auth(Role.ADMIN))
    assert rotated.status_code == 200 and len(rotated.json()["keys"]) == 2
    fresh = client.get(f"/api/v1/members/{member}/qr-token", headers=auth(Role.CASHIER)).json()
    assert fresh["key_id"] != code["key_id"]
    all_keys = rotated.json()["keys"]
    assert verify_member_token(code["token"], all_keys, now) == "M0001"
    # Revoking the old key: devices with the new key list refuse its codes.
    r = client.post(
        f"/api/v1/identity/signing-keys/{code['key_id']}/revoke", headers=auth(Role.ADMIN)
    )
    assert r.status_code == 204
    keys = client.get("/api/v1/identity/public-keys", headers=auth(Role.MANAGER)).json()["keys"]
    with pytest.raises(TokenUnknownKey):
        verify_member_token(code["token"], keys, now)
    tampered = fresh["token"][:-3] + ("AAA" if not fresh["token"].endswith("AAA") else "BBB")
    with pytest.raises((TokenBadSignature, ValueError)):
        verify_member_token(tampered, keys, now)


def test_member_code_refusals(client: TestClient, auth: Auth) -> None:
    assert client.get("/api/v1/members/999/qr-token", headers=auth(Role.CASHIER)).status_code == 404
    assert client.get("/api/v1/members/1/qr-token").status_code == 401
    assert client.get("/api/v1/members/1/qr-token", headers=auth(Role.KITCHEN)).status_code == 403
    assert (
        client.post("/api/v1/identity/signing-keys/rotate", headers=auth(Role.MANAGER)).status_code
        == 403
    )


def test_cards_search_and_blocked_card_leaves_the_cache(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    member = make_member(client, auth)
    make_member(client, auth, no="M0002", name="李雷", phone="13900139000", employer="Beta")
    site = make_site(client, auth)
    key = str(device_keys(client, auth, site)["identifier_key"]).encode()
    desk = auth(Role.CASHIER)
    r = client.post(
        f"/api/v1/members/{member}/cards", json={"card_no": "0012 3456 78"}, headers=desk
    )
    assert r.status_code == 201, r.text
    card = r.json()
    assert card["last4"] == "5678" and "card_no" not in card
    # The number is stored encrypted: its digits appear nowhere in the row.
    row = db_session.get(MemberCard, card["id"])
    assert row is not None and "0012345678" not in row.card_encrypted + row.card_hash
    # Same card on another member: refused, nothing written.
    dup = client.post("/api/v1/members/2/cards", json={"card_no": "0012345678"}, headers=desk)
    assert dup.status_code == 409
    bad = client.post(f"/api/v1/members/{member}/cards", json={"card_no": "12!"}, headers=desk)
    assert bad.status_code == 422
    assert db_session.exec(select(func.count()).select_from(MemberCard)).one() == 1

    for params, expected in (
        ({"card_no": "0012345678"}, ["M0001"]),
        ({"phone": "138 0013 8000"}, ["M0001"]),
        ({"q": "李"}, ["M0002"]),
        ({"employer": "acme"}, ["M0001"]),
        ({"card_no": "99999999"}, []),
    ):
        found = client.get("/api/v1/member-desk/search", params=params, headers=desk)
        assert found.status_code == 200, found.text
        assert [m["member_no"] for m in found.json()] == expected, params
    assert client.get("/api/v1/member-desk/search", headers=desk).status_code == 422

    full = delta(client, auth, site, 0)
    assert full is not None and full.full
    card_hash = identifier_hash("card", "0012345678", key)
    by_hash = {m.identifier_hash: m for m in full.upserts}
    assert by_hash[card_hash].member_id == "M0001" and by_hash[card_hash].display_name == "张*明"
    assert identifier_hash("member", "M0002", key) in by_hash and len(by_hash) == 3
    assert delta(client, auth, site, full.to_version) is None  # nothing changed

    r = client.post(
        f"/api/v1/members/{member}/cards/{card['id']}/block", json={"reason": "lost"}, headers=desk
    )
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    again = client.post(f"/api/v1/members/{member}/cards/{card['id']}/block", json={}, headers=desk)
    assert again.status_code == 409
    step = delta(client, auth, site, full.to_version)
    assert step is not None and not step.full and step.from_version == full.to_version
    assert step.removals == (card_hash,) and step.upserts == ()
    # A device starting from scratch never sees the blocked card.
    fresh = delta(client, auth, site, 0)
    assert fresh is not None and card_hash not in {m.identifier_hash for m in fresh.upserts}
    actions = set(db_session.exec(select(AuditLog.action)).all())
    assert {"card.add", "card.block"} <= actions


def test_delta_refusals(client: TestClient, auth: Auth) -> None:
    r = client.get("/api/v1/identity/sites/999/member-delta", headers=auth(Role.MANAGER))
    assert r.status_code == 404
    site = make_site(client, auth)
    r = client.get(
        f"/api/v1/identity/sites/{site}/member-delta",
        params={"from_version": -1},
        headers=auth(Role.MANAGER),
    )
    assert r.status_code == 422
    assert (
        client.get(
            f"/api/v1/identity/sites/{site}/member-delta", headers=auth(Role.CASHIER)
        ).status_code
        == 403
    )
    assert (
        client.get(
            f"/api/v1/identity/sites/{site}/device-keys", headers=auth(Role.MANAGER)
        ).status_code
        == 403
    )
