"""Money reports: income by payment type per day and site, and the monthly subsidy statement.

Inputs are checked first (hub.analytics.inputs), so a refused report has computed nothing.
Days are each site's local business days; a subsidy month is a month of STATEMENT_ZONE.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.analytics.inputs import STATEMENT_ZONE, DateRange, SiteRef
from hub.analytics.orders import PAYMENT_METHODS
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry
from hub.models.members import Member
from hub.models.orders import Order, Payment


@dataclass(frozen=True, slots=True)
class IncomeRow:
    """One site's income on one day: fen per payment method, and the day's total."""

    day: date
    site: str
    orders: int
    by_method: dict[str, int]
    total_cents: int


@dataclass(frozen=True, slots=True)
class IncomeReport:
    """Income per payment type per day and site, with the totals of the whole range."""

    start: date
    end: date
    methods: tuple[str, ...]
    rows: list[IncomeRow]
    totals: dict[str, int]
    total_cents: int


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def income_by_payment(session: Session, *, days: DateRange, sites: list[SiteRef]
                      ) -> IncomeReport:
    """Sum every payment of the sites' orders placed in the range, per local day and method."""
    cents: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(
        PAYMENT_METHODS, 0))
    orders: dict[tuple[date, str], set[str]] = defaultdict(set)
    for site in sites:
        lo, hi = days.utc_bounds(site.zone)
        found = session.exec(
            select(Order.id, Order.placed_at, Payment.method, Payment.amount_cents)
            .join(Payment, col(Payment.order_id) == Order.id)
            .where(Order.site_id == site.id, col(Order.placed_at) >= lo,
                   col(Order.placed_at) < hi)
        )
        for order_id, placed_at, method, amount in found:
            key = (_aware(placed_at).astimezone(site.zone).date(), site.code)
            bucket = cents[key]
            bucket[method] = bucket.get(method, 0) + amount
            orders[key].add(order_id)
    methods = tuple(dict.fromkeys(
        [*PAYMENT_METHODS, *(m for b in cents.values() for m in b)]))
    rows = [IncomeRow(day, site, len(orders[(day, site)]),
                      {m: cents[(day, site)].get(m, 0) for m in methods},
                      sum(cents[(day, site)].values()))
            for day, site in sorted(cents)]
    totals = {m: sum(r.by_method[m] for r in rows) for m in methods}
    return IncomeReport(days.start, days.end, methods, rows, totals, sum(totals.values()))


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One employer's department: members served, orders, subsidy spent, refunded, net."""

    employer: str
    department: str
    members: int
    orders: int
    spent_cents: int
    refunded_cents: int
    net_cents: int


@dataclass(frozen=True, slots=True)
class SubsidyStatement:
    """The subsidy spent per employer and department in one month (what the employer is billed)."""

    month: str
    rows: list[StatementRow]
    totals: dict[str, int] = field(default_factory=dict)


def subsidy_statement(session: Session, *, month: DateRange) -> SubsidyStatement:
    """Subsidy spends and refunds of the month from the ledger, per employer and department."""
    lo, hi = month.utc_bounds(STATEMENT_ZONE)
    found = session.execute(
        sa.select(col(LedgerEntry.member_id), col(LedgerEntry.order_id), col(LedgerEntry.kind),
                  col(LedgerEntry.amount), col(Member.employer), col(Member.department))
        .join(Member, col(Member.id) == LedgerEntry.member_id)
        .where(col(LedgerEntry.account) == AccountKind.SUBSIDY,
               col(LedgerEntry.kind).in_([EntryKind.SPEND, EntryKind.REFUND]),
               col(LedgerEntry.created_at) >= lo, col(LedgerEntry.created_at) < hi)
    )
    spent: dict[tuple[str, str], int] = defaultdict(int)
    back: dict[tuple[str, str], int] = defaultdict(int)
    members: dict[tuple[str, str], set[int]] = defaultdict(set)
    orders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for member_id, order_id, kind, amount, employer, department in found:
        key = (employer or "", department or "")
        if kind == EntryKind.SPEND:
            spent[key] -= amount  # spends are negative entries
            members[key].add(member_id)
            if order_id:
                orders[key].add(order_id)
        else:
            back[key] += amount
    keys = sorted(set(spent) | set(back))
    rows = [StatementRow(e, d, len(members[(e, d)]), len(orders[(e, d)]), spent[(e, d)],
                         back[(e, d)], spent[(e, d)] - back[(e, d)]) for e, d in keys]
    totals = {"members": len(set().union(*members.values())) if members else 0,
              "orders": sum(r.orders for r in rows),
              "spent_cents": sum(r.spent_cents for r in rows),
              "refunded_cents": sum(r.refunded_cents for r in rows),
              "net_cents": sum(r.net_cents for r in rows)}
    return SubsidyStatement(f"{month.start:%Y-%m}", rows, totals)
