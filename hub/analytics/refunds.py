"""Refunds per local day and site, per source, as the refund ledger entries record them.

A refund (hub.accounts.refunds) writes one positive REFUND entry per source it gives back
to: subsidy, redeemed points, stored value paid and bonus. Those entries are the report;
the order they belong to gives the site, the site's zone the local day. Earned points
taken back (negative REFUND entries) are not money returned and are not counted; coupons
are not in the ledger, so they do not appear.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from hub.accounts.points import cents_for_points
from hub.analytics.inputs import DateRange, SiteRef
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry
from hub.models.orders import Order

SOURCES = (AccountKind.SUBSIDY, AccountKind.PAID, AccountKind.BONUS, AccountKind.POINTS)


@dataclass(frozen=True, slots=True)
class RefundRow:
    """One site's refunds on one day: fen per source (points: their fen value), and points."""

    day: date
    site: str
    orders: int
    by_source: dict[str, int]
    points: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class RefundsReport:
    """Refunds per day and site over a range, and the range's totals."""

    start: date
    end: date
    sources: tuple[str, ...]
    rows: list[RefundRow]
    totals: dict[str, int]
    points: int
    total_cents: int


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def refunds_report(session: Session, *, days: DateRange, sites: list[SiteRef]) -> RefundsReport:
    """The positive REFUND entries written in the range, per site's local day and source."""
    cents: dict[tuple[date, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(map(str, SOURCES), 0))
    points: dict[tuple[date, str], int] = defaultdict(int)
    orders: dict[tuple[date, str], set[str]] = defaultdict(set)
    for site in sites:
        lo, hi = days.utc_bounds(site.zone)
        found = session.execute(
            sa.select(col(LedgerEntry.order_id), col(LedgerEntry.account),
                      col(LedgerEntry.amount), col(LedgerEntry.created_at))
            .join(Order, col(Order.id) == LedgerEntry.order_id)
            .where(col(Order.site_id) == site.id, col(LedgerEntry.kind) == EntryKind.REFUND,
                   col(LedgerEntry.amount) > 0, col(LedgerEntry.created_at) >= lo,
                   col(LedgerEntry.created_at) < hi)
        )
        for order_id, account, amount, at in found:
            key = (_aware(at).astimezone(site.zone).date(), site.code)
            if account == AccountKind.POINTS:
                points[key] += amount
                amount = cents_for_points(amount)
            cents[key][str(account)] += amount
            orders[key].add(order_id)
    sources = tuple(map(str, SOURCES))
    rows = [RefundRow(day, site, len(orders[(day, site)]), dict(cents[(day, site)]),
                      points[(day, site)], sum(cents[(day, site)].values()))
            for day, site in sorted(cents)]
    totals = {s: sum(r.by_source[s] for r in rows) for s in sources}
    return RefundsReport(days.start, days.end, sources, rows, totals,
                         sum(r.points for r in rows), sum(totals.values()))
