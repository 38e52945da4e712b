"""Hypothesis: any sequence of money operations keeps every balance equal to its entries."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.accounts import bonus_rules, points, reconcile, refunds, stored_value, subsidies
from hub.errors import ServiceError
from hub.models.account_rules import SubsidyRuleCreate, TopupBonusRuleCreate
from hub.models.accounts import AccountKind, LedgerEntry, OverdraftFlag
from protocol.payloads.order import Payment
from rules.money import percent_of
from tests.accounts.conftest import T0, add_member, assert_invariant, balances

_ids = itertools.count(1)

cents = st.integers(min_value=1, max_value=30_000)
op = st.one_of(
    st.tuples(st.just("topup"), cents),
    st.tuples(st.just("adjust_paid"), st.integers(-20_000, 20_000).filter(bool)),
    st.tuples(st.just("adjust_points"), st.integers(-500, 500).filter(bool)),
    st.tuples(st.just("order"), cents, st.sampled_from(["stored_value", "subsidy", "points",
                                                        "counter"]), st.booleans()),
    st.tuples(st.just("refund"), st.integers(1, 40_000)),
    st.tuples(st.just("grant"), st.integers(0, 3)),
    st.tuples(st.just("expire"), st.integers(0, 3)),
    st.tuples(st.just("expire_points"), st.integers(0, 800)),
)


def _setup_rules(engine: Engine) -> None:
    with Session(engine) as s:
        if subsidies.list_rules(s):
            return
        subsidies.create_rule(s, data=SubsidyRuleCreate(
            code="p", name_zh="补", name_en="Sub", employer="prop", amount_cents=1_500),
            actor="t", at=T0)
        bonus_rules.create_bonus_rule(s, data=TopupBonusRuleCreate(
            code="b", name_zh="送", name_en="Bonus", min_topup_cents=10_000, bonus_bp=1_000),
            actor="t", at=T0)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_any_sequence_keeps_balances_equal_to_entries(engine: Engine, ops: list) -> None:
    """Invariant after every step, refusals change nothing, and not a fen appears or vanishes."""
    _setup_rules(engine)
    with Session(engine) as session:
        # Earlier examples' members get no more grants and keep no subsidy: runs count only `m`.
        session.execute(sa.text("UPDATE member SET active = false WHERE employer = 'prop'"))
        session.commit()
        subsidies.expire_subsidies(session, now=T0 + timedelta(days=3650))
        m = add_member(session, f"P{next(_ids)}", employer="prop")
        orders: list[str] = []
        day = 0
        stored = subsidy = 0  # what paid + bonus and subsidy must hold, counted independently
        for step, item in enumerate(ops):
            at = T0 + timedelta(days=day, minutes=step)
            before = balances(session, m)
            try:
                if item[0] == "topup":
                    stored_value.top_up(session, member_id=m, amount_cents=item[1],
                                        method="cash", actor="t", at=at)
                    stored += item[1] + (percent_of(item[1], 1_000) if item[1] >= 10_000 else 0)
                elif item[0] == "adjust_paid":
                    stored_value.adjust(session, member_id=m, account_kind=AccountKind.PAID,
                                        amount=item[1], reason="prop", actor="t", at=at)
                    stored += item[1]
                elif item[0] == "adjust_points":
                    stored_value.adjust(session, member_id=m, account_kind=AccountKind.POINTS,
                                        amount=item[1], reason="prop", actor="t", at=at)
                elif item[0] == "order":
                    oid = f"0195f0a0-0000-7000-8000-{next(_ids):012d}"
                    res = reconcile.post_order_payments(
                        session, order_id=oid, member_id=m,
                        payments=[Payment(method=item[2], amount_cents=item[1])],
                        offline=item[3], placed_at=at, total_cents=item[1],
                    )
                    session.commit()
                    orders.append(oid)
                    flag = session.get(OverdraftFlag, res.overdraft_id or 0)
                    short = flag.shortfall if flag else {}
                    if item[2] == "stored_value":
                        stored -= item[1] - short.get("stored_value", 0)
                    elif item[2] == "subsidy":
                        subsidy -= item[1] - short.get("subsidy", 0)
                elif item[0] == "refund" and orders:
                    receipt = refunds.refund_order(
                        session, order_id=orders[-1], amount_cents=item[1], reason="p",
                        actor="t", at=at)
                    # Each source goes back to its own ledger: count what each got.
                    for e in session.exec(select(LedgerEntry).where(
                            LedgerEntry.operation_id == receipt.receipt_no)):
                        if e.account in (AccountKind.PAID, AccountKind.BONUS):
                            stored += e.amount
                        elif e.account == AccountKind.SUBSIDY:
                            subsidy += e.amount
                elif item[0] == "grant":
                    day += item[1]
                    subsidy += subsidies.grant_subsidies(
                        session, now=T0 + timedelta(days=day)
                    ).amount_cents
                elif item[0] == "expire":
                    day += item[1]
                    subsidy -= subsidies.expire_subsidies(
                        session, now=T0 + timedelta(days=day)
                    ).amount
                elif item[0] == "expire_points":
                    points.expire_points(session, now=at + timedelta(days=item[1]))
            except ServiceError:
                # A refusal changes nothing at all.
                assert balances(session, m) == before
            assert_invariant(session, m)
            now = balances(session, m)
            assert (now["paid"] + now["bonus"], now["subsidy"]) == (stored, subsidy)
