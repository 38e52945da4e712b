"""Ingest side of a kiosk's pre-booking pick-up: the order marked with ``booking_id``.

A kiosk hands a booked meal over from its downlinked copy of the day's bookings (also with
the hub unreachable) and records an order paid by the booking (payment method ``booking``,
which moves no money at ingest: ``hub.accounts.reconcile`` only notes it). This
``order.placed`` handler then picks the booking up on the hub, in the batch's transaction:
``hub.supply.bookings.pick_up`` charges what the booking held, once, under the booking's
own id, at the order's time. A second pick-up of the same booking (another kiosk, or the
desk's API before it) is refused: nothing is charged again, the booking stays with its
first pick-up, and the refusal is counted and logged with both orders' ids. So are a
booking that is unknown, cancelled or released as a no-show, for another member, or for
another day.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from hub.errors import ConflictError
from hub.models.supply_bookings import Booking, BookingStatus
from hub.supply.bookings import pick_up
from protocol import OrderPlaced

if TYPE_CHECKING:
    from hub.ingest.handlers import Stored

log = logging.getLogger(__name__)


def pick_up_bookings(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """Each order with a ``booking_id`` picks its booking up (charged once), or is refused."""
    wanted = [(e, o) for e in events
              if (o := e.envelope.payload_as(OrderPlaced)).booking_id is not None]
    if not wanted:
        return
    with Session(bind=conn) as session:
        for e, order in wanted:
            booking = session.exec(
                select(Booking).where(Booking.uid == order.booking_id)).first()
            outcome = _refusal(booking, e.member_id)
            if outcome is None and booking is not None and booking.id is not None:
                try:
                    pick_up(session, booking_id=booking.id, now=order.placed_at,
                            actor=f"ingest:{e.envelope.device}")
                    outcome = "picked_up"
                except ConflictError as err:  # another day: nothing was written
                    outcome = "refused"
                    log.warning("order %s: booking %s not picked up: %s", order.order_id,
                                order.booking_id, err)
            counts[f"supply.booking_{outcome}"] += 1
            if outcome not in ("picked_up", "refused"):
                log.warning("order %s kept, booking %s not picked up again: %s",
                            order.order_id, order.booking_id, outcome)
        session.flush()


def _refusal(booking: Booking | None, member_id: int | None) -> str | None:
    if booking is None:
        return "unknown"
    if member_id is None or booking.member_id != member_id:
        return "other_member"
    if booking.status == BookingStatus.PICKED_UP:
        return "double"  # a second pick-up: the first one stands, nothing charged
    if booking.status != BookingStatus.BOOKED:
        return str(booking.status)  # cancelled / no_show
    return None
