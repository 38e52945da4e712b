"""The console's order list and order detail: plain data read from orders and their neighbours.

Kitchen timelines come through hub.tracking's read side, what is left to refund through
hub.accounts.refunds' own bucket arithmetic: no money rule is restated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hub.accounts.refunds import Bucket, buckets_of
from hub.analytics.inputs import DateRange, SiteRef, placed_in_site_days
from hub.models.accounts import EntryKind, LedgerEntry
from hub.models.devices import Device
from hub.models.feedback import Feedback
from hub.models.members import Member
from hub.models.orders import Order, OrderLine, OrderLineModifier, Payment
from hub.models.sites import Site
from hub.models.tracking import OrderTrack
from hub.tracking.queries import Timeline, timeline

PAYMENT_METHODS = ("subsidy", "coupon", "points", "stored_value", "counter")
"""The wire's payment methods, in the order reports show them."""

KITCHEN_STATES = ("placed", "in_preparation", "ready", "collected", "cancelled")
STATUSES = (*KITCHEN_STATES, "unpaid", "refunded")
"""Order statuses the list filters on: the kitchen's state, to pay at the counter, refunded."""


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What narrows the order list; None means any."""

    sites: list[SiteRef] | None = None
    device: str | None = None
    meal_period: str | None = None
    member: str | None = None  # member number
    status: str | None = None
    payment: str | None = None
    days: DateRange | None = None


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order of the list."""

    id: str
    order_no: str
    placed_at: datetime
    site: str
    device: str | None
    member_no: str | None
    meal_period: str | None
    total_cents: int
    paid: bool
    state: str | None
    methods: list[str] = field(default_factory=list)
    placed_local: datetime | None = None  # placed_at in the site's own time zone


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """An order with its lines, payments, ledger entries, kitchen timeline and feedback."""

    order: OrderRow
    subtotal_cents: int
    discount_cents: int
    offline: bool
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    refundable_cents: int
    refunded_cents: int
    timeline: Timeline | None
    feedback: list[Feedback]


def _where(f: OrderFilter) -> list[Any]:
    conds: list[Any] = []
    if f.sites is not None:
        if f.days is None:
            conds.append(col(Order.site_id).in_([s.id for s in f.sites] or [-1]))
        else:
            conds.append(placed_in_site_days(f.days, f.sites))
    if f.device:
        conds.append(col(Order.device_id).in_(select(Device.id).where(Device.code == f.device)))
    if f.meal_period:
        conds.append(Order.meal_period == f.meal_period)
    if f.member:
        conds.append(col(Order.member_id).in_(
            select(Member.id).where(Member.member_no == f.member)))
    if f.payment:
        conds.append(col(Order.id).in_(select(Payment.order_id).where(
            Payment.method == f.payment, col(Payment.amount_cents) > 0)))
    if f.status in KITCHEN_STATES:
        conds.append(col(Order.id).in_(
            select(OrderTrack.order_id).where(OrderTrack.state == f.status)))
    elif f.status == "unpaid":
        conds.append(col(Order.paid).is_(False))
    elif f.status == "refunded":
        conds.append(col(Order.id).in_(select(LedgerEntry.order_id).where(
            LedgerEntry.kind == EntryKind.REFUND, col(LedgerEntry.amount) > 0)))
    return conds


def _rows_stmt() -> sa.Select[Any]:
    return (
        sa.select(Order, col(Site.code), col(Device.code), col(Member.member_no),
               col(OrderTrack.state), col(Site.timezone))
        .join(Site, col(Site.id) == Order.site_id)
        .outerjoin(Device, col(Device.id) == Order.device_id)
        .outerjoin(Member, col(Member.id) == Order.member_id)
        .outerjoin(OrderTrack, col(OrderTrack.order_id) == Order.id)
    )


def _row(o: Order, site: str, device: str | None, member_no: str | None, state: str | None,
         methods: list[str], zone: str) -> OrderRow:
    placed = o.placed_at if o.placed_at.tzinfo is not None else o.placed_at.replace(tzinfo=UTC)
    return OrderRow(o.id, o.order_no, o.placed_at, site, device, member_no, o.meal_period,
                    o.total_cents, o.paid, state, methods, placed.astimezone(ZoneInfo(zone)))


def list_orders(session: Session, f: OrderFilter, *, limit: int, offset: int
                ) -> tuple[list[OrderRow], int]:
    """A page of orders, newest first, and how many match."""
    conds = _where(f)
    total = session.exec(select(func.count()).select_from(Order).where(*conds)).one()
    found = session.execute(
        _rows_stmt().where(*conds)
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
        .limit(limit).offset(offset)
    ).all()
    ids = [o.id for o, *_ in found]
    methods: dict[str, list[str]] = {}
    if ids:
        for order_id, method in session.exec(
            select(Payment.order_id, Payment.method)
            .where(col(Payment.order_id).in_(ids), col(Payment.amount_cents) > 0)
            .order_by(col(Payment.id))
        ).all():
            methods.setdefault(order_id, []).append(method)
    rows = [_row(o, s, d, m, st, methods.get(o.id, []), z) for o, s, d, m, st, z in found]
    return rows, int(total)


def order_detail(session: Session, order_id: str) -> OrderDetail | None:
    """Everything the console shows of one order, or None when no such order exists."""
    found = session.execute(_rows_stmt().where(col(Order.id) == order_id)).first()
    if found is None:
        return None
    o, site, device, member_no, state, zone = found
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order_id)
                         .order_by(col(OrderLine.line_no))).all()
    mods: dict[int, list[OrderLineModifier]] = {}
    line_ids = [ln.id for ln in lines if ln.id is not None]
    if line_ids:
        for m in session.exec(select(OrderLineModifier)
                              .where(col(OrderLineModifier.order_line_id).in_(line_ids))):
            mods.setdefault(m.order_line_id, []).append(m)
    payments = session.exec(select(Payment).where(Payment.order_id == order_id)
                            .order_by(col(Payment.id))).all()
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id)
                           .order_by(col(LedgerEntry.id))).all()
    buckets = buckets_of(entries)
    # Valued as the refund service values them (points at the checkout rate).
    refundable = sum(b.weight for b in buckets)
    spent = sum(Bucket(b.account, b.lot_id, b.spent, b.spent).weight for b in buckets)
    feedback = session.exec(select(Feedback).where(Feedback.order_id == order_id)
                            .order_by(col(Feedback.id))).all()
    return OrderDetail(
        order=_row(o, site, device, member_no, state,
                   [p.method for p in payments if p.amount_cents > 0], zone),
        subtotal_cents=o.subtotal_cents, discount_cents=o.discount_cents, offline=o.offline,
        lines=[{"line_no": ln.line_no, "dish_code": ln.dish_code, "name_zh": ln.name_zh,
                "name_en": ln.name_en, "qty": ln.qty, "unit_price_cents": ln.unit_price_cents,
                "weight_g": ln.weight_g, "line_total_cents": ln.line_total_cents,
                "station": ln.station,
                "modifiers": [{"name_zh": m.name_zh, "name_en": m.name_en,
                               "price_delta_cents": m.price_delta_cents}
                              for m in mods.get(ln.id or 0, [])]}
               for ln in lines],
        payments=[{"method": p.method, "amount_cents": p.amount_cents,
                   "reference": p.reference} for p in payments],
        ledger=[{"at": e.created_at, "account": e.account, "kind": e.kind, "amount": e.amount,
                 "actor": e.actor, "reason": e.reason, "operation_id": e.operation_id}
                for e in entries],
        refundable_cents=max(refundable, 0), refunded_cents=spent - refundable,
        timeline=timeline(session, order_id), feedback=list(feedback),
    )
