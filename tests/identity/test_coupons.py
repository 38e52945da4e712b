"""Coupons: templates, issuing (manual, segment, welcome, birthday week), once-only redemption."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.coupons.issue import issue_birthday_coupons, issue_welcome_coupons
from hub.coupons.promotions import site_promotions
from hub.coupons.redeem import Redemption, redeem_coupon
from hub.coupons.templates import coupon_input
from hub.models.coupons import Coupon, CouponTemplate, Promotion
from hub.models.users import Role
from protocol.tokens import verify_coupon_token
from rules.order import CouponKind
from tests.support.identity import FIVE_OFF, make_member, template

Auth = Callable[[Role], dict[str, str]]




def count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_template_maps_onto_rules_and_bad_ones_are_refused(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    tid = template(client, auth)
    row = db_session.get(CouponTemplate, tid)
    assert row is not None
    h = auth(Role.MANAGER)
    for bad in (
        {"kind": "amount_off", "amount_cents": 0},
        {"kind": "percent_off", "percent_bp": 0},
        {"kind": "free_dish"},
        {"kind": "bogus"},
        {"code": "FIVE"},
    ):
        r = client.post("/api/v1/coupon-templates", json={**FIVE_OFF, **bad}, headers=h)
        assert r.status_code in (409, 422), (bad, r.text)
    assert count(db_session, CouponTemplate) == 1
    assert (
        client.post(
            "/api/v1/coupon-templates", json=FIVE_OFF, headers=auth(Role.CASHIER)
        ).status_code
        == 403
    )


def test_issue_token_and_double_redemption_detected(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    member = make_member(client, auth)
    tid = template(client, auth)
    desk = auth(Role.CASHIER)
    # An unknown member in the list: nothing issued at all.
    r = client.post(
        "/api/v1/coupons/issue",
        json={"template_id": tid, "member_ids": [member, 999]},
        headers=desk,
    )
    assert r.status_code == 404 and count(db_session, Coupon) == 0
    r = client.post(
        "/api/v1/coupons/issue",
        json={"template_id": tid, "member_ids": [member], "request_key": "r1"},
        headers=desk,
    )
    assert r.status_code == 201, r.text
    coupon_id = r.json()[0]["id"]
    # The same request again (a retry) issues nothing new.
    again = client.post(
        "/api/v1/coupons/issue",
        json={"template_id": tid, "member_ids": [member], "request_key": "r1"},
        headers=desk,
    )
    assert again.status_code == 201 and again.json() == [] and count(db_session, Coupon) == 1

    token = client.get(f"/api/v1/coupons/{coupon_id}/qr-token", headers=desk).json()["token"]
    keys = client.get("/api/v1/identity/public-keys", headers=auth(Role.MANAGER)).json()["keys"]
    claim = verify_coupon_token(token, keys, datetime.now(UTC))
    assert (claim.coupon_id, claim.template_code, claim.member_id) == (
        str(coupon_id),
        "FIVE",
        "M0001",
    )
    coupon = db_session.get(Coupon, coupon_id)
    assert coupon is not None
    rules_coupon = coupon_input(db_session, coupon=coupon)
    assert rules_coupon.kind is CouponKind.AMOUNT_OFF and rules_coupon.amount_cents == 500
    assert rules_coupon.categories == frozenset({"hot"}) and rules_coupon.min_spend_cents == 2000

    at = datetime(2025, 3, 3, 12, tzinfo=UTC)
    assert (
        redeem_coupon(
            db_session, coupon_id=coupon_id, order_id="o-a", device_id="k1", redeemed_at=at
        )
        is Redemption.REDEEMED
    )
    db_session.commit()
    assert (
        redeem_coupon(
            db_session, coupon_id=coupon_id, order_id="o-a", device_id="k1", redeemed_at=at
        )
        is Redemption.ALREADY_RECORDED
    )
    # A second kiosk, offline, accepted the same coupon for another order.
    assert (
        redeem_coupon(
            db_session, coupon_id=coupon_id, order_id="o-b", device_id="k2", redeemed_at=at
        )
        is Redemption.DOUBLE
    )
    assert (
        redeem_coupon(
            db_session, coupon_id=coupon_id, order_id="o-b", device_id="k2", redeemed_at=at
        )
        is Redemption.DOUBLE
    )
    assert (
        redeem_coupon(db_session, coupon_id=4242, order_id="o-c", device_id="k2", redeemed_at=at)
        is Redemption.UNKNOWN
    )
    db_session.commit()
    r = client.get("/api/v1/coupon-redemption-conflicts", headers=auth(Role.MANAGER))
    assert r.status_code == 200
    found = {(c["coupon_id"], c["kind"], c["order_id"], c["first_order_id"]) for c in r.json()}
    assert found == {(coupon_id, "double", "o-b", "o-a"), (4242, "unknown", "o-c", None)}
    # A redeemed coupon has no code any more.
    assert client.get(f"/api/v1/coupons/{coupon_id}/qr-token", headers=desk).status_code == 409
    assert client.get("/api/v1/coupon-redemption-conflicts", headers=desk).status_code == 403


def test_expired_coupon_and_switched_off_template_refused(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    member = make_member(client, auth)
    tid = template(client, auth, valid_days=1)
    desk = auth(Role.CASHIER)
    cid = client.post(
        "/api/v1/coupons/issue", json={"template_id": tid, "member_ids": [member]}, headers=desk
    ).json()[0]["id"]
    coupon = db_session.get(Coupon, cid)
    assert coupon is not None
    coupon.valid_until = datetime.now(UTC) - timedelta(seconds=1)
    db_session.add(coupon)
    db_session.commit()
    r = client.get(f"/api/v1/coupons/{cid}/qr-token", headers=desk)
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    off = client.put(
        f"/api/v1/coupon-templates/{tid}/active", json={"active": False}, headers=auth(Role.MANAGER)
    )
    assert off.status_code == 200
    r = client.post(
        "/api/v1/coupons/issue", json={"template_id": tid, "member_ids": [member]}, headers=desk
    )
    assert r.status_code == 409 and count(db_session, Coupon) == 1


def test_segment_welcome_and_birthday_week_are_idempotent(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    a = make_member(client, auth, birthday="1990-03-05", department="IT")
    make_member(
        client,
        auth,
        no="M0002",
        name="李雷",
        phone="13900139000",
        employer="Beta",
        birthday="1991-03-20",
    )
    seg = template(client, auth)
    r = client.post(
        "/api/v1/coupons/issue-segment",
        json={"template_id": seg, "employer": "Acme", "batch": "march"},
        headers=auth(Role.MANAGER),
    )
    assert r.json() == {"issued": 1}
    r = client.post(
        "/api/v1/coupons/issue-segment",
        json={"template_id": seg, "employer": "Acme", "batch": "march"},
        headers=auth(Role.MANAGER),
    )
    assert r.json() == {"issued": 0}
    template(client, auth, code="WELCOME", auto_issue="welcome")
    bday = template(
        client,
        auth,
        code="BDAY",
        auto_issue="birthday",
        kind="free_dish",
        dish_code="cake",
        amount_cents=0,
    )
    now = datetime(2025, 3, 3, 8, tzinfo=UTC)
    assert issue_welcome_coupons(session=db_session, now=now) == 2
    assert issue_welcome_coupons(session=db_session, now=now) == 0
    # Frozen clock: the week from Monday 3 March 2025 holds member A's birthday (5 March) only.
    assert issue_birthday_coupons(session=db_session, today=date(2025, 3, 3)) == 1
    assert issue_birthday_coupons(session=db_session, today=date(2025, 3, 4)) == 0
    coupon = db_session.exec(select(Coupon).where(Coupon.template_id == bday)).one()
    assert coupon.member_id == a and coupon.valid_from == datetime(2025, 3, 5, tzinfo=UTC)
    assert issue_birthday_coupons(session=db_session, today=date(2025, 3, 17)) == 1


def test_promotions_crud_in_rules_shape(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    h = auth(Role.MANAGER)
    day = {"code": "WED", "kind": "member_day", "percent_bp": 1000, "weekdays": [2]}
    r = client.post("/api/v1/promotions", json=day, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    ss = {"code": "s20", "kind": "spend_save", "threshold_cents": 2000, "save_cents": 300}
    assert client.post("/api/v1/promotions", json=ss, headers=h).status_code == 201
    for bad in (
        {"code": "X1", "kind": "spend_save", "threshold_cents": 100, "save_cents": 300},
        {"code": "X2", "kind": "member_day"},
        {"code": "X3", "kind": "member_day", "percent_bp": 10, "weekdays": [9]},
        {"code": "WED", "kind": "member_day", "percent_bp": 500},
    ):
        r = client.post("/api/v1/promotions", json=bad, headers=h)
        assert r.status_code in (409, 422), (bad, r.text)
    assert count(db_session, Promotion) == 2
    wednesday = datetime(2025, 3, 5, 12, tzinfo=UTC)
    promos = site_promotions(session=db_session, site_id=1, now=wednesday).promotions
    assert promos.member_day is not None and promos.member_day.percent_bp == 1000
    assert [s.code for s in promos.spend_save] == ["s20"]
    assert (
        site_promotions(
            session=db_session, site_id=1, now=wednesday + timedelta(days=1)
        ).promotions.member_day
        is None
    )
    r = client.patch(f"/api/v1/promotions/{pid}", json={"percent_bp": 20000}, headers=h)
    assert r.status_code == 422
    assert (
        client.patch(f"/api/v1/promotions/{pid}", json={"percent_bp": 1500}, headers=h).json()[
            "percent_bp"
        ]
        == 1500
    )
    assert client.delete(f"/api/v1/promotions/{pid}", headers=auth(Role.CASHIER)).status_code == 403
    assert client.delete(f"/api/v1/promotions/{pid}", headers=h).status_code == 204
    assert count(db_session, Promotion) == 1
