"""A refund of an order paid partly with a coupon: the coupon goes back on a full refund.

The order is ingested through the real writer (the coupon redeemed by the ingest handler),
then refunded through the one refund service: a partial refund keeps the coupon used, the
refund that leaves nothing to refund puts it back in the member's wallet (audited, on the
receipt); a coupon that expired meanwhile stays used and the receipt says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from hub.accounts.refunds import refund_order
from hub.coupons.issue import issue_to_members
from hub.coupons.templates import create_template
from hub.ingest.writer import BatchWriter
from hub.models.audit import AuditLog
from hub.models.coupons import Coupon, CouponStatus, CouponTemplateCreate
from protocol import new_order_id
from rules.order import CouponKind
from tests.analytics.conftest import DAY2, PORK, RICE, Seeded, _envelope


def _coupon_order(seeded: Seeded, *, valid_days: int) -> tuple[str, int]:
    engine = seeded.engine
    with Session(engine) as session:
        template = create_template(session=session, data=CouponTemplateCreate(
            code=f"off5d{valid_days}", name_zh="减5元", name_en="5 off", kind=CouponKind.AMOUNT_OFF,
            amount_cents=500, valid_days=valid_days), actor="mgr")
        assert template.id is not None
        coupon = issue_to_members(session=session, template_id=template.id,
                                  member_ids=[seeded.members["M002"]], now=DAY2,
                                  actor="mgr")[0]
        assert coupon.id is not None
        coupon_id = coupon.id
    order_id = new_order_id()
    lines = [{"dish_id": d[0], "name_zh": d[1], "name_en": d[2], "qty": 1,
              "unit_price_cents": d[3], "line_total_cents": d[3], "station": d[4]}
             for d in (RICE, PORK)]
    inbound = _envelope("order.placed", {
        "order_id": order_id, "order_no": "C001", "placed_at": DAY2 + timedelta(hours=1),
        "meal_period": "lunch", "member_id": "M002", "lines": lines,
        "subtotal_cents": 2_000, "total_cents": 2_000, "paid": True,
        # The coupon payment names its coupon (reference), as the kiosk sends it.
        "payments": [{"method": "coupon", "amount_cents": 500, "reference": str(coupon_id)},
                     {"method": "stored_value", "amount_cents": 1_500}]}, "site1", "k1")
    outcomes = BatchWriter(engine).write([inbound])
    assert [o.result for o in outcomes] == ["ok"]
    with Session(engine) as session:
        stored = session.get(Coupon, coupon_id)
        assert stored is not None and stored.status == CouponStatus.REDEEMED
        assert stored.redeemed_order_id == order_id
    return order_id, coupon_id


def test_full_refund_gives_the_coupon_back(seeded: Seeded) -> None:
    order_id, coupon_id = _coupon_order(seeded, valid_days=30)
    at = DAY2 + timedelta(hours=3)
    with Session(seeded.engine) as session:
        first = refund_order(session, order_id=order_id, reason="cold", actor="mgr", at=at,
                             amount_cents=500)
        coupon = session.get(Coupon, coupon_id, populate_existing=True)
        assert coupon is not None and coupon.status == CouponStatus.REDEEMED  # partial
        assert not any("Coupon" in line.label_en for line in first.lines)
        last = refund_order(session, order_id=order_id, reason="cold", actor="mgr", at=at)
        coupon = session.get(Coupon, coupon_id, populate_existing=True)
        assert coupon is not None and coupon.status == CouponStatus.ISSUED
        assert coupon.redeemed_order_id is None and coupon.redeemed_at is None
        returned = [ln for ln in last.lines if ln.label_en == "Coupon returned to the wallet"]
        assert [ln.amount_cents for ln in returned] == [500]
        audit = session.exec(select(AuditLog).where(AuditLog.action == "coupon.restore")).one()
        assert audit.entity_id == str(coupon_id) and audit.actor == "mgr"


def test_expired_coupon_stays_used(seeded: Seeded) -> None:
    order_id, coupon_id = _coupon_order(seeded, valid_days=1)
    with Session(seeded.engine) as session:
        receipt = refund_order(session, order_id=order_id, reason="late", actor="mgr",
                               at=datetime(2025, 3, 20, tzinfo=UTC))
        coupon = session.get(Coupon, coupon_id, populate_existing=True)
        assert coupon is not None and coupon.status == CouponStatus.REDEEMED
        assert coupon.redeemed_order_id == order_id
        assert [ln.label_en for ln in receipt.lines][-1] == "Coupon expired, not returned"


@pytest.mark.parametrize("amount", [None])
def test_refund_without_coupon_restores_nothing(seeded: Seeded, amount: int | None) -> None:
    with Session(seeded.engine) as session:
        receipt = refund_order(session, order_id=seeded.orders["A005"], reason="x",
                               actor="mgr", at=DAY2 + timedelta(hours=5), amount_cents=amount)
        assert not any("Coupon" in ln.label_en for ln in receipt.lines)
        assert session.exec(select(AuditLog).where(
            AuditLog.action == "coupon.restore")).first() is None
