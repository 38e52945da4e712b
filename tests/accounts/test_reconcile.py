"""Offline reconciliation: idempotent per order, debt within the limit, overdrafts flagged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.accounts import reconcile, stored_value, subsidies
from hub.models.account_rules import SubsidyRuleCreate
from hub.models.accounts import OverdraftFlag, OverdraftStatus
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances, count_rows

O1 = "0195f0a0-0000-7000-8000-0000000000b1"
O2 = "0195f0a0-0000-7000-8000-0000000000b2"
O3 = "0195f0a0-0000-7000-8000-0000000000b3"


def _sv(cents: int) -> list[Payment]:
    return [Payment(method="stored_value", amount_cents=cents)]


def _post(session: Session, order: str, member: int, cents: int, *, offline: bool = True,
          at_hours: int = 1) -> reconcile.PostingResult:
    result = reconcile.post_order_payments(
        session, order_id=order, member_id=member, payments=_sv(cents), offline=offline,
        placed_at=T0 + timedelta(hours=at_hours), total_cents=cents,
    )
    session.commit()
    return result


def test_same_order_twice_is_posted_once(session: Session) -> None:
    m = add_member(session, "M1")
    stored_value.top_up(session, member_id=m, amount_cents=5_000, method="cash", actor="c", at=T0)
    assert _post(session, O1, m, 1_800).status == "posted"
    entries = count_rows(session, "ledger_entry")
    assert _post(session, O1, m, 1_800).status == "duplicate"
    assert count_rows(session, "ledger_entry") == entries
    assert balances(session, m)["paid"] == 3_200
    # Same id, different content: refused as a conflict, nothing written.
    assert _post(session, O1, m, 999).status == "conflict"
    assert count_rows(session, "ledger_entry") == entries
    assert _post(session, O2, 4242, 100).status == "unknown_member"
    assert_invariant(session, m)


def test_two_offline_kiosks_spend_same_balance_debt_within_limit_then_flag(
    session: Session,
) -> None:
    m = add_member(session, "M1")  # offline limit ￥50.00 by default
    stored_value.top_up(session, member_id=m, amount_cents=3_000, method="cash", actor="c", at=T0)
    # Kiosk A and kiosk B both saw ￥30.00 offline; each sold a ￥28.00 meal.
    assert _post(session, O1, m, 2_800).overdraft_id is None
    second = _post(session, O2, m, 2_800)
    assert second.overdraft_id is None
    assert balances(session, m)["paid"] == -2_600  # owes ￥26.00, within the ￥50.00 limit
    third = _post(session, O3, m, 3_000)  # only ￥24.00 of room left
    assert third.overdraft_id is not None
    assert balances(session, m)["paid"] == -5_000
    flag = session.get(OverdraftFlag, third.overdraft_id)
    assert flag is not None
    assert (flag.requested_cents, flag.uncollected_cents) == (3_000, 600)
    assert flag.shortfall == {"stored_value": 600} and flag.status == OverdraftStatus.OPEN
    rows, total = reconcile.list_overdrafts(session, status=OverdraftStatus.OPEN, limit=10,
                                            offset=0)
    assert total == 1 and rows[0].order_id == O3
    reconcile.resolve_overdraft(session, flag_id=flag.id or 0, note="paid ￥6 cash at counter",
                                actor="mgr", at=T0)
    assert reconcile.list_overdrafts(session, status=OverdraftStatus.OPEN, limit=10,
                                     offset=0)[1] == 0
    # A top-up pays the debt back first.
    stored_value.top_up(session, member_id=m, amount_cents=10_000, method="cash", actor="c", at=T0)
    assert balances(session, m)["paid"] == 5_000
    assert_invariant(session, m)


def test_online_order_without_cover_is_flagged_not_overdrawn(session: Session) -> None:
    m = add_member(session, "M1")
    stored_value.top_up(session, member_id=m, amount_cents=1_000, method="cash", actor="c", at=T0)
    result = _post(session, O1, m, 1_500, offline=False)
    assert balances(session, m)["paid"] == 0
    flag = session.get(OverdraftFlag, result.overdraft_id)
    assert flag is not None and flag.uncollected_cents == 500 and not flag.offline
    assert_invariant(session, m)


def test_lapsed_subsidy_is_flagged_not_charged_to_stored_value(session: Session) -> None:
    m = add_member(session, "M1")
    stored_value.top_up(session, member_id=m, amount_cents=5_000, method="cash", actor="c", at=T0)
    subsidies.create_rule(session, data=SubsidyRuleCreate(
        code="l", name_zh="午", name_en="Lunch", employer="acme", amount_cents=1_500),
        actor="m", at=T0)
    subsidies.grant_subsidies(session, now=T0)
    subsidies.expire_subsidies(session, now=T0 + timedelta(days=1))
    # The offline lunch arrives after the subsidy lapsed.
    result = reconcile.post_order_payments(
        session, order_id=O1, member_id=m,
        payments=[Payment(method="subsidy", amount_cents=1_500),
                  Payment(method="stored_value", amount_cents=500)],
        offline=True, placed_at=T0 + timedelta(hours=2), total_cents=2_000,
    )
    session.commit()
    assert balances(session, m)["paid"] == 4_500
    flag = session.get(OverdraftFlag, result.overdraft_id)
    assert flag is not None and flag.shortfall == {"subsidy": 1_500}
    assert_invariant(session, m)


def test_posting_does_not_commit_the_callers_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        m = add_member(session, "M1")
        stored_value.top_up(session, member_id=m, amount_cents=5_000, method="cash", actor="c",
                            at=T0)
        reconcile.post_order_payments(
            session, order_id=O1, member_id=m, payments=_sv(1_000), offline=False,
            placed_at=T0, total_cents=1_000,
        )
        session.rollback()  # the ingest batch failed: nothing of the order may remain
        assert count_rows(session, "order_posting") == 0
        assert balances(session, m)["paid"] == 5_000
        assert_invariant(session, m)
