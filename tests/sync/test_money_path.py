"""Member orders through a real broker and a real ingest process: money, coupons, timelines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from hub.accounts.stored_value import top_up
from hub.accounts.subsidies import grant_subsidies
from hub.app import create_app
from hub.coupons.issue import issue_to_members
from hub.models import Device, DeviceKind, Member, Site
from hub.models.account_rules import SubsidyRule
from hub.models.accounts import LedgerEntry, MemberAccount
from hub.models.coupons import Coupon, CouponTemplate
from hub.settings import Settings
from protocol import encode, make_envelope, new_order_id
from rules.order import CouponKind
from tests.ingest.helpers import (
    SITE,
    FakeDevice,
    api_headers,
    prepare_hub,
    scalar,
    start_worker,
    stop,
    wait_for,
)

PLACED = datetime(2025, 3, 3, 4, 30, tzinfo=UTC)  # a Monday, 12:30 in Shanghai


def order(device: str, *, member: str | None, payments: list[dict[str, Any]],
          offline: bool = False) -> tuple[str, str, bytes]:
    """(order id, topic, bytes) of an order.placed as a kiosk sends it."""
    total = sum(p["amount_cents"] for p in payments)
    oid = new_order_id()
    env = make_envelope("order.placed", {
        "order_id": oid, "order_no": "A001", "placed_at": PLACED, "meal_period": "lunch",
        "member_id": member, "paid": True, "offline": offline,
        "lines": [{"dish_id": "d-set", "name_zh": "套餐", "name_en": "Set", "qty": 1,
                   "unit_price_cents": total, "line_total_cents": total, "station": "wok"}],
        "subtotal_cents": total, "total_cents": total, "payments": payments,
    }, site=SITE, device=device)
    return oid, env.topic(), encode(env)


def balances(engine: Engine, member_no: str) -> dict[str, int]:
    """What the hub holds for a member: paid, bonus, subsidy, points, ledger entries."""
    with Session(engine) as s:
        m = s.exec(select(Member).where(Member.member_no == member_no)).one()
        a = s.get(MemberAccount, m.id)
        entries = len(s.exec(select(LedgerEntry).where(LedgerEntry.member_id == m.id)).all())
        assert a is not None
        return {"paid": a.paid_cents, "bonus": a.bonus_cents, "subsidy": a.subsidy_cents,
                "points": a.points, "entries": entries}


@pytest.fixture
def site(hub: Settings) -> Iterator[tuple[Engine, int]]:
    """Two kiosks and a KDS; member m-1001 with ￥50 stored value, ￥15 lunch subsidy and a
    ￥5 coupon; member m-2002 with nothing (offline limit ￥50)."""
    engine = prepare_hub(hub, ["k1", "k2"])
    with Session(engine) as s:
        site_id = s.exec(select(Site.id)).one()
        assert site_id is not None
        s.add(Device(code="kds1", kind=DeviceKind.KDS, site_id=site_id))
        rich = Member(member_no="m-1001", name="张三明", employer="Acme")
        poor = Member(member_no="m-2002", name="李四", employer="Other")
        s.add_all([rich, poor, SubsidyRule(code="lunch", name_zh="午餐补贴", name_en="Lunch",
                                            employer="Acme", meal_period="lunch",
                                            amount_cents=1500, weekdays="1234567")])
        tpl = CouponTemplate(code="five-off", name_zh="减5元", name_en="5 off",
                             kind=CouponKind.AMOUNT_OFF, amount_cents=500)
        s.add(tpl)
        s.commit()
        assert rich.id and poor.id and tpl.id
        top_up(s, member_id=rich.id, amount_cents=5000, method="cash", actor="t", at=PLACED)
        top_up(s, member_id=poor.id, amount_cents=100, method="cash", actor="t", at=PLACED)
        grant_subsidies(s, now=PLACED)
        (coupon,) = issue_to_members(session=s, template_id=tpl.id, member_ids=[rich.id],
                                     now=PLACED, actor="t")
        assert coupon.id is not None
        coupon_id = coupon.id
    yield engine, coupon_id
    engine.dispose()


def test_member_orders_money_coupons_overdraft_and_timeline(
    hub: Settings, broker: PrivateBroker, site: tuple[Engine, int], tmp_path: Path
) -> None:
    engine, coupon = site
    before = balances(engine, "m-1001")
    assert (before["paid"], before["subsidy"]) == (5000, 1500)
    worker = start_worker(hub, broker, "w1", tmp_path / "logs")
    k1, k2, kds = FakeDevice(broker, "k1"), FakeDevice(broker, "k2"), FakeDevice(broker, "kds1")
    try:
        # 1. ￥35 = ￥15 subsidy + ￥5 coupon + ￥15 stored value.
        pays = [{"method": "subsidy", "amount_cents": 1500},
                {"method": "coupon", "amount_cents": 500, "reference": str(coupon)},
                {"method": "stored_value", "amount_cents": 1500, "reference": "card"}]
        first, topic, raw = order("k1", member="m-1001", payments=pays)
        mid = raw.decode().split('"message_id":"')[1].split('"')[0]
        k1.publish(topic, raw)
        wait_for(lambda: k1.result(mid) == [("ok", None)], 15, "order 1 acknowledged")
        after = balances(engine, "m-1001")
        assert after["paid"] == before["paid"] - 1500
        assert after["subsidy"] == before["subsidy"] - 1500
        assert after["bonus"] == before["bonus"]
        assert scalar(engine, "SELECT redeemed_order_id FROM coupon WHERE id = :c",
                      c=coupon) == first

        # 2. The same message again (a re-send): acknowledged as duplicate, nothing moves.
        k1.publish(topic, raw)
        wait_for(lambda: len(k1.result(mid)) == 2, 15, "re-send acknowledged")
        assert k1.result(mid)[1] == ("duplicate", None)
        assert balances(engine, "m-1001") == after
        assert scalar(engine, "SELECT count(*) FROM coupon_redemption_conflict") == 0
        assert scalar(engine, "SELECT count(*) FROM order_track_event") == 1

        # 3. Kiosk k2 (offline, stale cache) uses the same coupon: kept, double listed.
        second, topic2, raw2 = order("k2", member="m-1001", offline=True, payments=[
            {"method": "coupon", "amount_cents": 500, "reference": str(coupon)},
            {"method": "stored_value", "amount_cents": 700}])
        k2.publish(topic2, raw2)
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM orders") == 2, 15, "order 2")
        assert balances(engine, "m-1001")["paid"] == after["paid"] - 700

        # 4. Offline, m-2002 spends ￥80 with ￥1 on the card: ￥1 + ￥50 below zero (the
        # offline limit) are taken, the last ￥29 is flagged for a manager, the order kept.
        third, topic3, raw3 = order("k1", member="m-2002", offline=True,
                                    payments=[{"method": "stored_value", "amount_cents": 8000}])
        k1.publish(topic3, raw3)
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM orders") == 3, 15, "order 3")
        assert balances(engine, "m-2002")["paid"] == -5000

        # 5. The wok station starts and bumps order 1 (KDS uplinks through ingest).
        for state, minute in (("in_preparation", 31), ("ready", 36)):
            env = make_envelope("order.state", {
                "order_id": first, "order_no": "A001", "state": state, "station": "wok",
                "stations": ["wok"], "at": PLACED.replace(minute=minute)},
                site=SITE, device="kds1")
            kds.publish(env.topic(), encode(env))
        wait_for(lambda: scalar(engine, "SELECT count(*) FROM order_track_event") == 5, 15,
                 "kitchen events stored")
    finally:
        for d in (k1, k2, kds):
            d.close()
        stop(worker)

    app = create_app(hub)
    with TestClient(app) as client:
        h = api_headers(app, "manager")
        doubles = client.get("/api/v1/coupon-redemption-conflicts", headers=h).json()
        assert [(d["coupon_id"], d["kind"], d["order_id"], d["first_order_id"])
                for d in doubles] == [(coupon, "double", second, first)]
        flags = client.get("/api/v1/overdrafts", headers=h).json()["items"]
        assert [(f["order_id"], f["uncollected_cents"], f["offline"]) for f in flags] == [
            (third, 2900, True)]
        timeline = client.get(f"/api/v1/tracking/orders/{first}/timeline", headers=h).json()
        assert timeline["state"] == "ready"
        assert [(e["state"], e["station"], e["device"]) for e in timeline["events"]] == [
            ("placed", None, "k1"), ("in_preparation", "wok", "kds1"),
            ("ready", "wok", "kds1")]
        assert client.get("/api/v1/sync/totals?group_by=site", headers=h).json()[0][
            "total_cents"] == 3500 + 1200 + 8000
    with Session(engine) as s:
        assert s.get(Coupon, coupon).status == "redeemed"  # type: ignore[union-attr]
