"""Points earned by tier multiplier, redeemed, expired; tiers up and down with history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from hub.accounts import points, reconcile, stored_value, tiers, wallet
from hub.accounts.errors import InsufficientBalanceError
from hub.models.account_rules import TierChange, TierCreate
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances, count_rows

T5 = T0 + timedelta(hours=5)


def _order(n: int) -> str:
    return f"0195f0a0-0000-7000-8000-{n:012d}"


def _tiers(session: Session) -> None:
    for rank, code, zh, spend, visits, mult in (
        (1, "silver", "银卡", 0, 0, 100),
        (2, "gold", "金卡", 50_000, 5, 150),
        (3, "diamond", "钻石卡", 200_000, 20, 200),
    ):
        tiers.create_tier(session, data=TierCreate(
            code=code, name_zh=zh, name_en=code.title(), rank=rank, min_spend_cents=spend,
            min_visits=visits, window_days=90, points_multiplier_pct=mult,
            member_price=rank > 1), actor="mgr", at=T0)


def _eat(session: Session, member: int, n: int, cents: int, hours: float,
         method: str = "counter") -> reconcile.PostingResult:
    result = reconcile.post_order_payments(
        session, order_id=_order(n), member_id=member,
        payments=[Payment(method=method, amount_cents=cents)],
        offline=False, placed_at=T0 + timedelta(hours=hours), total_cents=cents,
    )
    session.commit()
    return result


def test_points_earned_by_multiplier_redeemed_and_expired(session: Session) -> None:
    m = add_member(session, "M1")
    _tiers(session)
    stored_value.top_up(session, member_id=m, amount_cents=20_000, method="cash", actor="c", at=T0)
    assert _eat(session, m, 1, 2_550, 1, "stored_value").points_earned == 25  # silver: 1x
    # Subsidy, coupon and points earn nothing; the counter earns.
    assert _eat(session, m, 2, 1_000, 2, "coupon").points_earned == 0
    assert _eat(session, m, 3, 1_099, 3).points_earned == 10
    assert balances(session, m)["points"] == 35
    # Points paid at checkout: 20 fen = 20 points (100 points = ￥1).
    res = _eat(session, m, 4, 20, 4, "points")
    assert res.points_used == 20 and balances(session, m)["points"] == 15
    with pytest.raises(InsufficientBalanceError, match="15 points available"):
        points.redeem_gift(session, member_id=m, points=16, gift="mug", actor="c", at=T5)
    assert points.redeem_gift(session, member_id=m, points=5, gift="mug", actor="c", at=T5) == 10
    # Points last a year; spending took the first-to-expire lot (order 1's 25) first, so
    # when it lapses nothing is left of it, and order 3's 10 points lapse two hours later.
    assert points.expire_points(session, now=T0 + timedelta(days=365, hours=2)).amount == 0
    year = T0 + timedelta(days=365, hours=3)
    run = points.expire_points(session, now=year)
    assert (run.lots, run.amount) == (1, 10)
    assert balances(session, m)["points"] == 0
    assert points.expire_points(session, now=year + timedelta(days=1)).amount == 0
    assert_invariant(session, m)


def test_tier_up_on_events_down_on_schedule_with_history(session: Session) -> None:
    m = add_member(session, "M1")
    _tiers(session)
    changes = [_eat(session, m, i, 10_000, i * 24).tier_changed_to for i in range(1, 6)]
    assert changes == ["silver", None, None, None, "gold"]  # 5 visits, ￥500.00 by day 5
    # Gold earns 1.5x.
    assert _eat(session, m, 6, 1_000, 6 * 24).points_earned == 15
    w = wallet.member_wallet(session, member_id=m, meal_period=None, at=T0 + timedelta(days=6))
    assert (w.member.tier.code, w.member.tier.points_multiplier_pct) == ("gold", 150)
    assert w.member.tier.member_price and w.tier_name_zh == "金卡"
    # 90 days after the 2nd visit the window holds too little: back to silver.
    assert tiers.recalculate_tiers(session, now=T0 + timedelta(days=80)) == 0
    assert tiers.recalculate_tiers(session, now=T0 + timedelta(days=93)) == 1
    history = session.exec(select(TierChange).order_by(TierChange.id)).all()  # type: ignore[arg-type]
    assert [(h.from_code, h.to_code, h.reason) for h in history] == [
        (None, "silver", "event"), ("silver", "gold", "event"), ("gold", "silver", "schedule"),
    ]
    assert history[-1].visits < 5
    assert count_rows(session, "audit_log") >= 3
    assert_invariant(session, m)
