"""Month-end close: every difference between the member ledgers and the orders, to the cent.

The engine is the ingest's reconciliation (hub.accounts.reconcile.post_order_payments):
for each member order it writes the ledger spends of subsidy, points and stored value,
and an overdraft flag for whatever the balances could not cover. The close reads back
what that left for the orders placed in a month (STATEMENT_ZONE) and compares, per
order and source, what the order says was paid with what the ledger took:

- subsidy: the order's subsidy payments vs the subsidy SPEND entries;
- points: the points the order's points payment needs (``points_for_cents``) vs the
  points REDEEM entries (compared in points, shown in fen at the checkout rate);
- stored value: the order's stored-value payments vs the paid + bonus SPEND entries.

An order with no posting at all, a shortfall (with its overdraft flag) and any hand-made
change to a ledger or payment row show up as differences. Refunds are later operations
of their own (the refunds report) and are not differences.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from hub.accounts.points import cents_for_points, points_for_cents
from hub.analytics.inputs import STATEMENT_ZONE, DateRange, ReportInputError, month_range
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry, OrderPosting, OverdraftFlag
from hub.models.analytics import MonthClosure
from hub.models.orders import Order, Payment
from hub.models.sites import Site

SOURCES = ("subsidy", "points", "stored_value")
_ACCOUNT_SOURCE = {AccountKind.SUBSIDY: "subsidy", AccountKind.POINTS: "points",
                   AccountKind.PAID: "stored_value", AccountKind.BONUS: "stored_value"}


def _(message: str) -> str:
    """Mark a message for extraction; ReportInputError translates it when shown."""
    return message


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Difference:
    """One source of one order where the ledger and the order disagree (fen)."""

    order_id: str
    order_no: str
    site: str
    placed_on: date
    source: str
    order_cents: int
    ledger_cents: int
    difference_cents: int
    posted: bool
    overdraft_id: int | None


@dataclass(frozen=True, slots=True)
class MonthClose:
    """The close of a month: how many orders were compared, and every difference."""

    month: str
    orders: int
    differences: list[Difference]

    @property
    def balanced(self) -> bool:
        """No difference at all."""
        return not self.differences


def closable_month(text: str, *, today: date) -> tuple[date, date]:
    """A YYYY-MM month that has started by ``today``, else ReportInputError."""
    month = month_range(text)
    if month.start > today:
        raise ReportInputError(_("The month %(month)s has not started yet; it cannot be closed."),
                               field="month", month=f"{month.start:%Y-%m}")
    return month.start, month.end


def month_close(session: Session, *, month: str, today: date) -> MonthClose:
    """Compare the ledger spends of every order placed in the month with its payments."""
    start, end = closable_month(month, today=today)
    lo, hi = DateRange(start, end).utc_bounds(STATEMENT_ZONE)
    in_month = (col(Order.placed_at) >= lo, col(Order.placed_at) < hi)
    ids = sa.select(col(Order.id)).where(*in_month).scalar_subquery()
    paid: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SOURCES, 0))
    for order_id, method, amount in session.execute(
        sa.select(col(Payment.order_id), col(Payment.method), col(Payment.amount_cents))
        .where(col(Payment.order_id).in_(ids), col(Payment.method).in_(SOURCES))
    ):
        paid[order_id][method] += amount
    taken: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SOURCES, 0))
    for order_id, account, amount in session.execute(
        sa.select(col(LedgerEntry.order_id), col(LedgerEntry.account), col(LedgerEntry.amount))
        .where(col(LedgerEntry.order_id).in_(ids),
               col(LedgerEntry.kind).in_([EntryKind.SPEND, EntryKind.REDEEM]))
    ):
        taken[order_id][_ACCOUNT_SOURCE[AccountKind(account)]] -= amount
    posted = set(session.execute(
        sa.select(col(OrderPosting.order_id)).where(col(OrderPosting.order_id).in_(ids))
    ).scalars())
    flags = dict(session.execute(
        sa.select(col(OverdraftFlag.order_id), col(OverdraftFlag.id))
        .where(col(OverdraftFlag.order_id).in_(ids))
    ).tuples().all())
    orders = session.execute(
        sa.select(col(Order.id), col(Order.order_no), col(Order.placed_at), col(Site.code))
        .join(Site, col(Site.id) == Order.site_id).where(*in_month)
        .order_by(col(Order.placed_at), col(Order.order_no))
    ).all()
    differences: list[Difference] = []
    for order_id, order_no, placed_at, site in orders:
        for source in SOURCES:
            want, got = paid[order_id][source], taken[order_id][source]
            if source == "points":
                if points_for_cents(want) == got:
                    continue
                got = cents_for_points(got)
            if want == got:
                continue
            day = _aware(placed_at).astimezone(STATEMENT_ZONE).date()
            differences.append(Difference(order_id, order_no, site, day, source, want, got,
                                          got - want, order_id in posted, flags.get(order_id)))
    return MonthClose(f"{start:%Y-%m}", len(orders), differences)


# --- recording a close ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CloseState:
    """Whether a month is closed, and what changed since (orders that arrived late)."""

    closure: MonthClosure | None
    orders_now: int
    subsidy_net_now: int

    @property
    def changed_since(self) -> bool:
        """Orders or subsidy figures moved after the month was closed."""
        c = self.closure
        return c is not None and (c.orders, c.subsidy_net_cents) != (
            self.orders_now, self.subsidy_net_now)


class MonthNotClosed(ReportInputError):
    """A document for billing asked for a month staff have not closed."""


def close_state(session: Session, *, month: str) -> CloseState:
    """The month's closure (if any) and today's figures to compare it with."""
    from hub.analytics.money import subsidy_statement

    days = month_range(month)
    lo, hi = days.utc_bounds(STATEMENT_ZONE)
    orders = int(session.execute(sa.select(sa.func.count()).select_from(Order).where(
        col(Order.placed_at) >= lo, col(Order.placed_at) < hi)).scalar_one())
    net = subsidy_statement(session, month=days).totals["net_cents"]
    return CloseState(session.get(MonthClosure, f"{days.start:%Y-%m}"), orders, net)


def not_closed(month: str) -> MonthNotClosed:
    """The refusal of a billing document for a month that is not closed."""
    return MonthNotClosed(_("The month %(month)s is not closed yet: close it first on the "
                            "month-end close page."), field="month", month=month)


def require_closed(session: Session, *, month: str) -> MonthClosure:
    """The month's closure, else MonthNotClosed (billing documents need a closed month)."""
    days = month_range(month)
    closure = session.get(MonthClosure, f"{days.start:%Y-%m}")
    if closure is None:
        raise not_closed(f"{days.start:%Y-%m}")
    return closure


def record_close(session: Session, *, month: str, today: date, actor: str, at: datetime,
                 accept_differences: bool = False, note: str = "") -> MonthClosure:
    """Close a month that has ended: refused while it runs, when it is already closed, and
    when there are differences unless they are accepted with a note. Commits."""
    from hub.accounts.audit import record_audit
    from hub.analytics.money import subsidy_statement

    report = month_close(session, month=month, today=today)
    days = month_range(report.month)
    if days.end >= today:
        raise ReportInputError(_("The month %(month)s has not ended yet."), field="month",
                               month=report.month)
    existing = session.get(MonthClosure, report.month)
    if existing is not None:
        raise ReportInputError(_("The month %(month)s was already closed by %(who)s."),
                               field="month", month=report.month, who=existing.closed_by)
    note = note.strip()[:200]
    if report.differences and not (accept_differences and note):
        raise ReportInputError(
            _("%(n)s differences: correct them, or accept them with a note saying why."),
            field="note", n=str(len(report.differences)))
    closure = MonthClosure(
        month=report.month, closed_at=at, closed_by=actor[:64], orders=report.orders,
        differences=len(report.differences),
        subsidy_net_cents=subsidy_statement(session, month=days).totals["net_cents"],
        note=note)
    session.add(closure)
    record_audit(session, actor=actor, action="close", entity="month", entity_id=report.month,
                 at=at, after={"orders": closure.orders, "differences": closure.differences,
                               "subsidy_net_cents": closure.subsidy_net_cents},
                 note=note or None)
    session.commit()
    session.refresh(closure)
    return closure
