"""Stored value: top-up with bonus, bonus spent after paid, refunds, adjustments, refusals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session

from hub.accounts import bonus_rules, reconcile, refunds, stored_value
from hub.accounts.errors import InsufficientBalanceError
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import TopupBonusRuleCreate
from hub.models.accounts import AccountKind
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances, count_rows

ORDER_A = "0195f0a0-0000-7000-8000-000000000001"
ORDER_B = "0195f0a0-0000-7000-8000-000000000002"


def _bonus_100_get_10(session: Session) -> None:
    bonus_rules.create_bonus_rule(
        session,
        data=TopupBonusRuleCreate(
            code="t100", name_zh="充100送10", name_en="Top up 100 get 10",
            min_topup_cents=10_000, bonus_cents=1_000,
        ),
        actor="mgr", at=T0,
    )


def test_top_up_with_bonus_and_receipt(session: Session) -> None:
    m = add_member(session, "M1")
    _bonus_100_get_10(session)
    receipt = stored_value.top_up(
        session, member_id=m, amount_cents=10_000, method="cash", actor="cashier", at=T0
    )
    assert balances(session, m) == {"paid": 10_000, "bonus": 1_000, "subsidy": 0, "points": 0}
    assert [(ln.label_en, ln.amount_text) for ln in receipt.lines] == [
        ("Top-up", "￥100.00"), ("Bonus", "￥10.00"),
    ]
    assert "充值 Top-up: ￥100.00" in receipt.text_lines
    assert "储值余额 Stored value: ￥100.00" in receipt.text_lines
    # Below the threshold: no bonus.
    stored_value.top_up(session, member_id=m, amount_cents=9_999, method="wechat", actor="c", at=T0)
    assert balances(session, m)["bonus"] == 1_000
    assert_invariant(session, m)


def test_bonus_is_spent_after_paid_balance(session: Session) -> None:
    m = add_member(session, "M1")
    _bonus_100_get_10(session)
    stored_value.top_up(session, member_id=m, amount_cents=10_000, method="cash", actor="c", at=T0)
    reconcile.post_order_payments(
        session, order_id=ORDER_A, member_id=m, payments=[Payment(method="stored_value",
        amount_cents=10_450)], offline=False, placed_at=T0 + timedelta(hours=1),
        total_cents=10_450,
    )
    session.commit()
    # ￥100.00 paid used up first, then ￥4.50 of the ￥10.00 bonus.
    assert balances(session, m)["paid"] == 0
    assert balances(session, m)["bonus"] == 550
    assert_invariant(session, m)


def test_refund_shares_paid_and_bonus_by_what_was_spent_and_not_twice(session: Session) -> None:
    m = add_member(session, "M1")
    _bonus_100_get_10(session)
    stored_value.top_up(session, member_id=m, amount_cents=10_000, method="cash", actor="c", at=T0)
    reconcile.post_order_payments(
        session, order_id=ORDER_A, member_id=m,
        payments=[Payment(method="stored_value", amount_cents=10_450)],
        offline=False, placed_at=T0, total_cents=10_450,
    )
    session.commit()
    refunds.refund_order(session, order_id=ORDER_A, amount_cents=500, reason="cold soup",
                              actor="mgr", at=T0)
    # ￥5.00 of ￥104.50 (paid ￥100.00 + bonus ￥4.50) by largest remainder: 478 + 22 fen.
    assert balances(session, m)["bonus"] == 572 and balances(session, m)["paid"] == 478
    refunds.refund_order(session, order_id=ORDER_A, reason="rest", actor="mgr", at=T0)
    assert balances(session, m)["paid"] == 10_000 and balances(session, m)["bonus"] == 1_000
    entries = count_rows(session, "ledger_entry")
    with pytest.raises(ConflictError, match=re.escape("only ￥0.00 left to refund")):
        refunds.refund_order(session, order_id=ORDER_A, reason="again", actor="mgr", at=T0)
    with pytest.raises(NotFoundError):
        refunds.refund_order(session, order_id=ORDER_B, reason="x", actor="mgr", at=T0)
    assert count_rows(session, "ledger_entry") == entries
    assert_invariant(session, m)


def test_adjustment_needs_reason_and_cannot_go_negative(session: Session) -> None:
    m = add_member(session, "M1")
    stored_value.top_up(session, member_id=m, amount_cents=1_000, method="cash", actor="c", at=T0)
    before = (count_rows(session, "ledger_entry"), count_rows(session, "audit_log"))
    with pytest.raises(InvalidInputError, match="reason"):
        stored_value.adjust(session, member_id=m, account_kind=AccountKind.PAID, amount=-100,
                            reason="  ", actor="mgr", at=T0)
    with pytest.raises(InsufficientBalanceError, match=re.escape("￥10.00 available")):
        stored_value.adjust(session, member_id=m, account_kind=AccountKind.PAID, amount=-1_001,
                            reason="typo", actor="mgr", at=T0)
    with pytest.raises(InvalidInputError):
        stored_value.adjust(session, member_id=m, account_kind=AccountKind.SUBSIDY, amount=5,
                            reason="no", actor="mgr", at=T0)
    with pytest.raises(InvalidInputError):
        stored_value.adjust(session, member_id=m, account_kind=AccountKind.PAID, amount=0,
                            reason="no", actor="mgr", at=T0)
    with pytest.raises(NotFoundError):
        stored_value.adjust(session, member_id=999, account_kind=AccountKind.PAID, amount=5,
                            reason="no", actor="mgr", at=T0)
    assert (count_rows(session, "ledger_entry"), count_rows(session, "audit_log")) == before
    assert balances(session, m)["paid"] == 1_000
    stored_value.adjust(session, member_id=m, account_kind=AccountKind.PAID, amount=-1_000,
                        reason="cash refund at desk", actor="mgr", at=T0)
    assert balances(session, m)["paid"] == 0
    assert_invariant(session, m)


def test_top_up_refusals_write_nothing(session: Session) -> None:
    m = add_member(session, "M1")
    gone = add_member(session, "M2", active=False)
    for kwargs, error in (
        ({"member_id": m, "amount_cents": 0}, InvalidInputError),
        ({"member_id": m, "amount_cents": -5}, InvalidInputError),
        ({"member_id": m, "amount_cents": 1_000_001}, InvalidInputError),
        ({"member_id": 4242, "amount_cents": 100}, NotFoundError),
        ({"member_id": gone, "amount_cents": 100}, ConflictError),
    ):
        with pytest.raises(error):
            stored_value.top_up(session, method="cash", actor="c", at=T0, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="method"):
        stored_value.top_up(session, member_id=m, amount_cents=100, method="gold", actor="c", at=T0)
    for table in ("ledger_entry", "member_account", "audit_log"):
        assert count_rows(session, table) == 0, table


def test_offline_limit_cannot_drop_below_debt(session: Session) -> None:
    m = add_member(session, "M1")
    reconcile.post_order_payments(
        session, order_id=ORDER_A, member_id=m,
        payments=[Payment(method="stored_value", amount_cents=3_000)],
        offline=True, placed_at=T0, total_cents=3_000,
    )
    session.commit()
    assert balances(session, m)["paid"] == -3_000
    with pytest.raises(ConflictError, match=re.escape("owes ￥30.00")):
        stored_value.set_offline_limit(session, member_id=m, limit_cents=2_000, actor="mgr", at=T0)
    acc = stored_value.set_offline_limit(session, member_id=m, limit_cents=3_000, actor="m", at=T0)
    assert acc.offline_limit_cents == 3_000
