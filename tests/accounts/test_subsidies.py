"""Meal subsidies with a frozen clock: grant once per period, lapse at the end (补贴清零)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from hub.accounts import reconcile, subsidies, wallet
from hub.errors import ConflictError
from hub.models.account_rules import Cadence, SubsidyRuleCreate, SubsidyRuleUpdate
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances, count_rows

MON_0005_SH = datetime(2025, 3, 2, 16, 5, tzinfo=UTC)  # Monday 3 March 00:05 in Shanghai
SAT_SH = datetime(2025, 3, 8, 2, 0, tzinfo=UTC)
ORDER = "0195f0a0-0000-7000-8000-0000000000a1"


def _lunch_rule(session: Session, **over: object) -> int:
    data = {"code": "acme-lunch", "name_zh": "午餐补贴", "name_en": "Lunch subsidy",
            "employer": "acme", "meal_period": "lunch", "amount_cents": 1_500, **over}
    rule = subsidies.create_rule(session, data=SubsidyRuleCreate.model_validate(data),
                                 actor="mgr", at=T0)
    assert rule.id is not None
    return rule.id


def test_grant_is_idempotent_per_period_and_matches_employer(session: Session) -> None:
    a = add_member(session, "A1")
    b = add_member(session, "B1", employer="other")
    c = add_member(session, "C1", active=False)
    _lunch_rule(session)
    first = subsidies.grant_subsidies(session, now=MON_0005_SH)
    assert (first.grants, first.amount_cents) == (1, 1_500)
    again = subsidies.grant_subsidies(session, now=MON_0005_SH + timedelta(hours=3))
    assert (again.grants, again.already_granted) == (0, 1)
    assert balances(session, a)["subsidy"] == 1_500
    assert balances(session, b)["subsidy"] == 0 and balances(session, c)["subsidy"] == 0
    # The next workday is a new period; Saturday is skipped (weekdays 12345).
    assert subsidies.grant_subsidies(session, now=MON_0005_SH + timedelta(days=1)).grants == 1
    assert subsidies.grant_subsidies(session, now=SAT_SH).grants == 0
    assert balances(session, a)["subsidy"] == 3_000
    assert_invariant(session, a)


def test_daily_subsidy_lapses_at_local_midnight_and_serves_only_its_meal(session: Session) -> None:
    a = add_member(session, "A1")
    _lunch_rule(session)
    subsidies.grant_subsidies(session, now=MON_0005_SH)
    lunch = MON_0005_SH + timedelta(hours=12)  # 12:05 local
    assert wallet.member_wallet(session, member_id=a, meal_period="lunch", at=lunch).wallet \
        .subsidy_cents == 1_500
    assert wallet.member_wallet(session, member_id=a, meal_period="dinner", at=lunch).wallet \
        .subsidy_cents == 0
    # Spend ￥12.00 of it at lunch; ￥3.00 is left and lapses at midnight.
    reconcile.post_order_payments(
        session, order_id=ORDER, member_id=a, payments=[Payment(method="subsidy",
        amount_cents=1_200)], offline=False, placed_at=lunch, total_cents=1_200,
        meal_period="lunch",
    )
    session.commit()
    assert balances(session, a)["subsidy"] == 300
    before_midnight = MON_0005_SH + timedelta(hours=23, minutes=54)
    assert subsidies.expire_subsidies(session, now=before_midnight).amount == 0
    run = subsidies.expire_subsidies(session, now=MON_0005_SH + timedelta(hours=24))
    assert (run.lots, run.amount) == (1, 300)
    assert subsidies.expire_subsidies(session, now=MON_0005_SH + timedelta(days=2)).lots == 0
    assert balances(session, a)["subsidy"] == 0
    assert_invariant(session, a)


def test_monthly_subsidy_is_cleared_at_month_end(session: Session) -> None:
    a = add_member(session, "A1", department="it")
    add_member(session, "A2", department="hr")
    _lunch_rule(session, code="acme-it-month", cadence=Cadence.MONTHLY, department="it",
                meal_period=None, amount_cents=30_000)
    assert subsidies.grant_subsidies(session, now=SAT_SH).grants == 1  # monthly ignores weekdays
    assert subsidies.grant_subsidies(session, now=SAT_SH + timedelta(days=10)).grants == 0
    end_of_march_sh = datetime(2025, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 local
    assert subsidies.expire_subsidies(session, now=end_of_march_sh - timedelta(seconds=1)).lots == 0
    assert subsidies.expire_subsidies(session, now=end_of_march_sh).amount == 30_000
    assert subsidies.grant_subsidies(session, now=end_of_march_sh).grants == 1  # April
    assert balances(session, a)["subsidy"] == 30_000
    assert_invariant(session, a)


def test_inactive_rule_grants_nothing_and_granted_rule_cannot_be_deleted(session: Session) -> None:
    add_member(session, "A1")
    rule_id = _lunch_rule(session)
    subsidies.grant_subsidies(session, now=MON_0005_SH)
    with pytest.raises(ConflictError, match="deactivate"):
        subsidies.delete_rule(session, rule_id=rule_id, actor="mgr", at=T0)
    subsidies.update_rule(session, rule_id=rule_id, data=SubsidyRuleUpdate(active=False),
                          actor="mgr", at=T0)
    assert subsidies.grant_subsidies(session, now=MON_0005_SH + timedelta(days=1)).grants == 0
    assert count_rows(session, "subsidy_rule") == 1
