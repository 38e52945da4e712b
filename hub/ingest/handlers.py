"""Per-type side effects of an ingested uplink, run inside the batch's transaction.

The writer stores the rows every event type has (the idempotency log, orders with lines
and payments, feedback) in bulk; then, for the events stored *now* (never for a
duplicate or a conflict), it runs the handlers registered here for their type, on the
same connection before the commit. So an event, its order, the member's ledger, the
coupon and the kitchen timeline commit together or not at all, and a redelivered
message changes nothing. This table is the one place that says what each type does.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlmodel import Session

from hub.accounts.ledger import lock_accounts
from hub.accounts.reconcile import post_order_payments
from hub.coupons.redeem import Redemption, redeem_coupon
from hub.crm.cases_ingest import mark_messages_shown, record_feedback
from hub.crm.jobs import retag_on_ingest
from hub.face.service import ingest_enrolments
from hub.fleet.commands import record_results as record_command_results
from hub.ingest.directory import KnownDevice
from hub.supply.backflush import backflush
from hub.supply.booking_pickups import pick_up_bookings
from hub.supply.kitchen_portions import record_kitchen_portions
from hub.tracking.service import record as record_tracking
from protocol import Envelope, OrderPlaced

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stored:
    """An event stored in this batch, its device, and (orders) the hub's member id."""

    envelope: Envelope
    device: KnownDevice
    member_id: int | None = None


Handler = Callable[[Connection, Sequence[Stored], Counter[str]], None]


def track(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """order.placed / order.state -> the order's kitchen timeline (hub.tracking)."""
    done = record_tracking(conn, [e.envelope for e in events], bulk=True)
    counts["tracking.new"] += done.new


def post_payments(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """A member order's subsidy, points and stored value -> the member's ledger."""
    members = [(e, e.envelope.payload_as(OrderPlaced)) for e in events]
    members = [(e, o) for e, o in members if o.member_id is not None]
    if not members:
        return  # guests: nothing to post
    unknown = []
    with Session(bind=conn) as session:
        # Every account this batch posts to, locked first in member id order (issue 20).
        lock_accounts(session, member_ids=[e.member_id for e, _ in members
                                           if e.member_id is not None],
                      at=min(o.placed_at for _, o in members))
        for e, order in members:
            if e.member_id is None:
                # The order is kept (member_id NULL); accounts' own word for it.
                counts["accounts.unknown_member"] += 1
                unknown.append(f"{order.order_id} ({order.member_id})")
                continue
            result = post_order_payments(
                session, order_id=order.order_id, member_id=e.member_id,
                payments=order.payments, offline=order.offline, placed_at=order.placed_at,
                total_cents=order.total_cents, meal_period=order.meal_period,
                actor=f"ingest:{e.envelope.device}",
            )
            counts[f"accounts.{result.status}"] += 1
            if result.overdraft_id is not None:
                counts["accounts.overdraft"] += 1
        session.flush()
    if unknown:
        log.warning("%d orders of members unknown at the hub kept without posting "
                    "(unknown_member): %s", len(unknown), ", ".join(unknown[:5]))


def redeem_coupons(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """Each coupon payment (reference = coupon id) -> the coupon used once; doubles reported."""
    wanted = []
    for e in events:
        order = e.envelope.payload_as(OrderPlaced)
        for pay in order.payments:
            if pay.method == "coupon":
                wanted.append((e, order, pay.reference))
    if not wanted:
        return
    # Coupon rows locked in ascending id order (a stable sort: one coupon's orders keep
    # the batch's order, so the first to arrive still redeems it) (issue 20).
    wanted.sort(key=lambda w: int(w[2]) if w[2] and w[2].isascii() and w[2].isdigit() else -1)
    with Session(bind=conn) as session:
        for e, order, reference in wanted:
            if reference is None or not reference.isdigit():
                counts["coupons.bad_reference"] += 1
                log.warning("order %s: coupon payment without a coupon id (%r)",
                            order.order_id, reference)
                continue
            outcome = redeem_coupon(session, coupon_id=int(reference), order_id=order.order_id,
                                    device_id=e.envelope.device, redeemed_at=order.placed_at)
            counts[f"coupons.{outcome.value}"] += 1
            if outcome in (Redemption.DOUBLE, Redemption.UNKNOWN):
                log.warning("order %s kept; coupon %s redemption is %s",
                            order.order_id, reference, outcome.value)
        session.flush()


# Uplink type -> side effects beyond the rows the writer stores for it. A type missing
# here (and not a heartbeat) is dead-lettered as unsupported.
HANDLERS: dict[str, tuple[Handler, ...]] = {
    # retag_on_ingest last: CRM tags and scores of the batch's members (savepoint).
    # pick_up_bookings after post_payments: the batch's accounts are locked by then.
    "order.placed": (track, post_payments, redeem_coupons, pick_up_bookings, backflush,
                     mark_messages_shown, retag_on_ingest),
    "order.state": (track,),
    "device.command_result": (record_command_results,),  # fleet remote commands
    "feedback.given": (record_feedback,),  # per-dish ratings, complaint cases (CRM)
    "face.enrolled": (ingest_enrolments,),  # consented face templates (issue 18)
    "portions.recorded": (record_kitchen_portions,),  # KDS: cooked, left over (issue 17)
}


def run_handlers(conn: Connection, stored: Sequence[Stored], counts: Counter[str]) -> None:
    """Run every handler of each type on the events of that type stored in this batch."""
    by_type: dict[str, list[Stored]] = {}
    for s in stored:
        by_type.setdefault(s.envelope.type, []).append(s)
    for type_, events in by_type.items():
        for handler in HANDLERS.get(type_, ()):
            handler(conn, events, counts)
