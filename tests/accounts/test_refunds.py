"""Refunds: each source back to its own ledger, lapsed subsidy lost, earned points returned."""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.accounts import reconcile, refunds, stored_value, subsidies
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import SubsidyRuleCreate
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry
from hub.models.audit import AuditLog
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances, count_rows

ORDER = "0195f0a0-0000-7000-8000-0000000000f1"
_ids = itertools.count(1)


def _rule(session: Session) -> None:
    if not subsidies.list_rules(session):
        subsidies.create_rule(session, data=SubsidyRuleCreate(
            code="r", name_zh="补贴", name_en="Subsidy", employer="acme", amount_cents=1_500),
            actor="mgr", at=T0)


def _member_with_everything(session: Session, no: str = "R1") -> int:
    """Subsidy ￥15.00 (lapses at Shanghai midnight), paid ￥20, bonus ￥10, 500 points."""
    m = add_member(session, no)
    _rule(session)
    subsidies.grant_subsidies(session, now=T0)
    stored_value.top_up(session, member_id=m, amount_cents=2_000, method="cash", actor="c", at=T0)
    stored_value.adjust(session, member_id=m, account_kind=AccountKind.BONUS, amount=1_000,
                        reason="gift", actor="mgr", at=T0)
    stored_value.adjust(session, member_id=m, account_kind=AccountKind.POINTS, amount=500,
                        reason="gift", actor="mgr", at=T0)
    return m


def _order(session: Session, m: int, order_id: str = ORDER) -> None:
    """￥44.00: subsidy ￥15, points ￥3 (300 points), stored value ￥26 (paid 20, bonus 6)."""
    result = reconcile.post_order_payments(
        session, order_id=order_id, member_id=m, offline=False, placed_at=T0 + timedelta(hours=1),
        total_cents=4_400, payments=[
            Payment(method="subsidy", amount_cents=1_500), Payment(method="points",
            amount_cents=300), Payment(method="stored_value", amount_cents=2_600)],
    )
    session.commit()
    assert result.status == "posted" and result.points_earned == 20  # on the ￥20.00 paid


def _refund_entries(session: Session, op: str) -> list[tuple[str, str, int]]:
    rows = session.exec(select(LedgerEntry).where(LedgerEntry.operation_id == op)
                        .order_by(col(LedgerEntry.id))).all()
    return [(e.account, e.kind, e.amount) for e in rows]


def test_partial_then_full_refund_gives_each_source_back(session: Session) -> None:
    m = _member_with_everything(session)
    _order(session, m)
    assert balances(session, m) == {"paid": 0, "bonus": 400, "subsidy": 0, "points": 220}
    # ￥11.00 of ￥44.00 = a quarter of each source: 500 / 150 / 375 / 75, and 5 of 20 points.
    receipt = refunds.refund_order(session, order_id=ORDER, amount_cents=1_100,
                                        reason="cold soup", actor="mgr", at=T0 + timedelta(hours=2))
    assert _refund_entries(session, receipt.receipt_no) == [
        ("paid", "refund", 500), ("bonus", "refund", 150), ("subsidy", "refund", 375),
        ("points", "refund", 75), ("points", "refund", -5),
    ]
    assert balances(session, m) == {"paid": 500, "bonus": 550, "subsidy": 375, "points": 290}
    assert [(ln.label_en, ln.amount_text) for ln in receipt.lines] == [
        ("Refund", "￥11.00"), ("Subsidy back", "￥3.75"), ("Points back", "￥0.75"),
        ("Stored value back", "￥5.00"), ("Bonus back", "￥1.50"),
    ]
    assert_invariant(session, m)
    refunds.refund_order(session, order_id=ORDER, reason="rest", actor="mgr",
                              at=T0 + timedelta(hours=3))
    # Exactly where the member stood before the order: 500 points, earned 20 taken back.
    assert balances(session, m) == {"paid": 2_000, "bonus": 1_000, "subsidy": 1_500, "points": 500}
    assert_invariant(session, m)
    audit = session.exec(select(AuditLog).where(AuditLog.action == "refund")
                         .order_by(col(AuditLog.id))).all()
    assert [a.actor for a in audit] == ["mgr", "mgr"]
    assert audit[0].after is not None and audit[0].after["refund"] == {
        "amount_cents": 1_100, "given": {"paid": 500, "bonus": 150, "subsidy": 375, "points": 75},
        "lost": {}, "points_taken_back": 5, "points_not_recovered": 0,
    }
    assert audit[0].before is not None and audit[0].before["paid_cents"] == 0
    # Nothing left: refused, nothing written.
    counts = (count_rows(session, "ledger_entry"), count_rows(session, "audit_log"))
    with pytest.raises(ConflictError, match=re.escape("only ￥0.00 left to refund")):
        refunds.refund_order(session, order_id=ORDER, reason="again", actor="mgr", at=T0)
    assert (count_rows(session, "ledger_entry"), count_rows(session, "audit_log")) == counts


def test_lapsed_subsidy_is_lost_and_shown_in_the_ledger(session: Session) -> None:
    m = _member_with_everything(session)
    _order(session, m)
    next_day = T0 + timedelta(days=1)  # Monday's lot lapsed at midnight Shanghai
    receipt = refunds.refund_order(session, order_id=ORDER, reason="wrong dish",
                                        actor="mgr", at=next_day)
    entries = _refund_entries(session, receipt.receipt_no)
    assert ("subsidy", "refund", 1_500) in entries and ("subsidy", "expiry", -1_500) in entries
    assert balances(session, m) == {"paid": 2_000, "bonus": 1_000, "subsidy": 0, "points": 500}
    assert ("Subsidy lapsed, not returned", "￥15.00") in [
        (ln.label_en, ln.amount_text) for ln in receipt.lines]
    row = session.exec(select(AuditLog).where(AuditLog.action == "refund")).one()
    assert row.after is not None and row.after["refund"]["lost"] == {"subsidy": 1_500}
    assert_invariant(session, m)


def test_points_already_spent_are_taken_back_as_far_as_possible(session: Session) -> None:
    m = _member_with_everything(session)
    _order(session, m)
    stored_value.adjust(session, member_id=m, account_kind=AccountKind.POINTS, amount=-220,
                        reason="gift", actor="mgr", at=T0 + timedelta(hours=1))
    refunds.refund_order(session, order_id=ORDER, reason="r", actor="mgr",
                              at=T0 + timedelta(hours=2))
    # 300 redeemed points come back, then the 20 earned are taken: none is lost, none invented.
    assert balances(session, m)["points"] == 280
    row = session.exec(select(AuditLog).where(AuditLog.action == "refund")).one()
    assert row.after is not None and row.after["refund"]["points_taken_back"] == 20
    assert_invariant(session, m)


def test_refusals_write_nothing(session: Session) -> None:
    m = _member_with_everything(session)
    _order(session, m)
    tables = ("ledger_entry", "ledger_lot", "audit_log", "member_account")
    counts = [count_rows(session, t) for t in tables]
    lots_before = session.execute(sa.text("SELECT sum(remaining) FROM ledger_lot")).scalar_one()
    with pytest.raises(InvalidInputError):
        refunds.refund_order(session, order_id=ORDER, reason=" ", actor="mgr", at=T0)
    with pytest.raises(InvalidInputError):
        refunds.refund_order(session, order_id=ORDER, amount_cents=0, reason="x",
                                  actor="mgr", at=T0)
    with pytest.raises(ConflictError, match=re.escape("only ￥44.00 left to refund, ￥44.01")):
        refunds.refund_order(session, order_id=ORDER, amount_cents=4_401, reason="x",
                                  actor="mgr", at=T0)
    with pytest.raises(NotFoundError):
        refunds.refund_order(session, order_id="nope", reason="x", actor="mgr", at=T0)
    assert [count_rows(session, t) for t in tables] == counts
    assert session.execute(sa.text("SELECT sum(remaining) FROM ledger_lot")).scalar_one() == (
        lots_before)
    assert balances(session, m) == {"paid": 0, "bonus": 400, "subsidy": 0, "points": 220}


step = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 1_000), st.integers(0, 600),
              st.integers(0, 3_000)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 5_000)),
    st.tuples(st.just("refund_all"), st.integers(0, 5)),
)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=15))
@example(steps=[("order", 0, 0, 100), ("order", 0, 501, 0)])  # earned point spent elsewhere
def test_any_orders_and_refunds_keep_the_ledger_whole(engine: Engine, steps: list) -> None:
    """Balances = entries after every step; per order refunds never exceed what it spent."""
    with Session(engine) as session:
        m = _member_with_everything(session, f"H{next(_ids)}")
        stored_value.top_up(session, member_id=m, amount_cents=50_000, method="cash", actor="c",
                            at=T0)
        start = balances(session, m)
        orders: list[str] = []
        for i, item in enumerate(steps):
            at = T0 + timedelta(minutes=i + 1)  # same Shanghai day: no subsidy lapses
            before = balances(session, m)
            if item[0] == "order":
                oid = f"0195f0a0-0000-7000-9000-{next(_ids):012d}"
                pays = [Payment(method=k, amount_cents=v) for k, v in
                        zip(("subsidy", "points", "stored_value"), item[1:], strict=True) if v]
                res = reconcile.post_order_payments(
                    session, order_id=oid, member_id=m, payments=pays, offline=False,
                    placed_at=at, total_cents=sum(item[1:]),
                )
                session.commit()
                if res.status == "posted" and pays:
                    orders.append(oid)  # flagged ones too: they spent what they could
                continue
            if not orders:
                continue
            oid = orders[item[1] % len(orders)]
            amount = item[2] if item[0] == "refund" else None
            try:
                refunds.refund_order(session, order_id=oid, amount_cents=amount,
                                          reason="p", actor="t", at=at)
            except (ConflictError, NotFoundError):
                assert balances(session, m) == before  # refused: nothing moved
            assert_invariant(session, m)
            for kind in AccountKind:
                spent = -sum(session.exec(select(LedgerEntry.amount).where(
                    LedgerEntry.order_id == oid, LedgerEntry.account == kind,
                    col(LedgerEntry.kind).in_([EntryKind.SPEND, EntryKind.REDEEM]))).all())
                back = sum(session.exec(select(LedgerEntry.amount).where(
                    LedgerEntry.order_id == oid, LedgerEntry.account == kind,
                    LedgerEntry.kind == EntryKind.REFUND, LedgerEntry.amount > 0)).all())
                assert 0 <= back <= spent
        # Refund everything still open: the member is exactly where they started.
        for oid in orders:
            # Fully refunded already, or it spent nothing from the balances: refused.
            with contextlib.suppress(ConflictError, NotFoundError):
                refunds.refund_order(session, order_id=oid, reason="all", actor="t",
                                          at=T0 + timedelta(hours=1))
        # Except earned points already spent when their order was refunded: the audit log
        # names each one (points_not_recovered), and they are all the difference.
        unrecovered = sum(
            a.after["refund"]["points_not_recovered"] for a in session.exec(
                select(AuditLog).where(AuditLog.member_id == m, AuditLog.action == "refund"))
            if a.after is not None)
        assert balances(session, m) == {**start, "points": start["points"] + unrecovered}
        assert_invariant(session, m)
