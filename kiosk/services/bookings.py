"""Pre-booking pick-up (报餐取餐) at the kiosk, from the device's copy of the day's bookings.

The hub sends the site's bookings of the day down as the retained ``bookings.snapshot``
(protocol.payloads.bookings), so this works with the hub unreachable. A booking is found by
its pick-up QR (``BK1:{booking id}``) or by the member who identified; picking it up records
an order of the booked dishes marked with the booking's id and paid by the booking (method
``booking``: what the booking held is charged by the hub when it ingests the order). The
store refuses a second pick-up of the same booking on this device inside the order's own
transaction; the hub refuses one made on another kiosk (docs/supply.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from edge_agent.errors import BookingAlreadyPickedUp, StoreError
from edge_agent.store import DeviceStore, RecordedOrder
from kiosk.i18n import Text
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import Clock
from kiosk.services.errors import BookingNotFound, BookingNotNow, BookingTaken, OrderNotRecorded
from protocol.payloads.bookings import BOOKING_QR_PREFIX, BookedMeal
from protocol.payloads.catalog import FixedSetMeal

log = logging.getLogger(__name__)

DEFAULT_STATION = "main"
PAID_BY_BOOKING = Text("预订餐已付款，请凭订单号取餐",
                       "Paid with your booking: collect it with this number")


@dataclass(frozen=True)
class BookingView:
    """A booking the diner may pick up now: its id and what it is, in both languages."""

    booking_id: str
    member_id: str
    what: Text  # "宫保鸡丁 ×2" / "Kung Pao chicken ×2"

    @property
    def button(self) -> Text:
        """The menu's pick-up button."""
        return Text(f"领取预订：{self.what.zh}", f"Pick up your booking: {self.what.en}")


def is_booking_code(raw: str) -> bool:
    """True for a booking's pick-up QR (``BK1:...``)."""
    return raw.strip().startswith(BOOKING_QR_PREFIX)


def view(booking: BookedMeal) -> BookingView:
    """What the kiosk shows of a booking."""
    n = booking.qty
    return BookingView(booking.booking_id, booking.member_id,
                       Text(f"{booking.name_zh} ×{n}", f"{booking.name_en} ×{n}"))


class BookingDesk:
    """Finds the day's bookings in the store and records their pick-up as an order."""

    def __init__(self, store: DeviceStore, catalog: CatalogService, clock: Clock) -> None:
        """Reads the store's copy on every call (a few hundred bookings a day at most)."""
        self.store = store
        self.catalog = catalog
        self.clock = clock

    def _today(self) -> list[BookedMeal]:
        snap = self.store.bookings()
        day = self.catalog.local_time(self.clock.now()).date().isoformat()
        if snap is None or snap.service_date != day:
            return []  # none received yet, or yesterday's copy: nothing to hand over
        return list(snap.bookings)

    def open_for(self, member_id: str, period: str) -> list[BookingView]:
        """The member's bookings of this meal period not yet picked up (here or, as far as
        the hub knew when it sent the copy, anywhere)."""
        return [view(b) for b in self._today()
                if b.member_id == member_id and b.meal_period == period
                and b.status == "booked" and self.store.booking_order(b.booking_id) is None]

    def find(self, booking_id: str, period: str | None) -> BookedMeal:
        """The booking to hand over now; refused when unknown, for another meal, or taken."""
        booking_id = booking_id.strip().removeprefix(BOOKING_QR_PREFIX)
        booking = next((b for b in self._today() if b.booking_id == booking_id), None)
        if booking is None:
            raise BookingNotFound(booking_id)
        if booking.status == "picked_up":
            raise BookingTaken(booking_id, None)
        taken = self.store.booking_order(booking_id)
        if taken is not None:
            raise BookingTaken(booking_id, taken)
        if period is None or booking.meal_period != period:
            raise BookingNotNow(booking.meal_period)
        return booking

    def pick_up(self, booking: BookedMeal, *, order_id: str) -> RecordedOrder:
        """Record the booking's order (kitchen lines, paid by the booking); one per booking."""
        try:
            return self.store.record_order(self.draft(booking, order_id=order_id))
        except BookingAlreadyPickedUp as err:
            raise BookingTaken(booking.booking_id, err.order_no) from err
        except StoreError as err:
            log.error("booking %s pick-up not recorded: %s", booking.booking_id, err)
            raise OrderNotRecorded(str(err)) from err

    def draft(self, booking: BookedMeal, *, order_id: str) -> dict[str, Any]:
        """The OrderPlaced fields of a pick-up: the booked dishes at the booked price."""
        lines = self._lines(booking)
        total = booking.price_cents
        return {
            "order_id": order_id,
            "meal_period": booking.meal_period,
            "member_id": booking.member_id,
            "lines": lines,
            "subtotal_cents": total,
            "discount_cents": 0,
            "total_cents": total,
            "payments": [{"method": "booking", "amount_cents": total,
                          "reference": booking.booking_id}],
            "paid": True,
            "offline": False,
            "booking_id": booking.booking_id,
        }

    def _lines(self, booking: BookedMeal) -> list[dict[str, Any]]:
        """One line at the booked price; a fixed set meal's other dishes follow at 0 so the
        kitchen sees every dish; "a meal" is one line of its own."""
        snap = self.catalog.snapshot
        dishes = {d.id: d for d in snap.dishes} if snap is not None else {}
        qty, unit = booking.qty, booking.price_cents // booking.qty  # held: qty x unit
        if unit * qty != booking.price_cents:  # not a whole unit price: one line of it all
            qty, unit = 1, booking.price_cents

        def line(dish_id: str, zh: str, en: str, price: int) -> dict[str, Any]:
            dish = dishes.get(dish_id)
            station = dish.station if dish is not None else DEFAULT_STATION
            return {"dish_id": dish_id, "name_zh": zh, "name_en": en, "qty": qty,
                    "unit_price_cents": price, "line_total_cents": qty * price,
                    "station": station}

        if booking.kind == "dish" and booking.dish_id is not None:
            return [line(booking.dish_id, booking.name_zh, booking.name_en, unit)]
        if booking.kind == "set_meal" and snap is not None:
            sm = next((s for s in snap.set_meals if s.id == booking.set_meal_id), None)
            if isinstance(sm, FixedSetMeal) and all(d in dishes for d in sm.dish_ids):
                out = []
                for n, dish_id in enumerate(sm.dish_ids):
                    d = dishes[dish_id]
                    out.append(line(dish_id, d.name_zh, d.name_en, unit if n == 0 else 0))
                return out
        code = booking.set_meal_id or "booked-meal"
        station = snap.stations[0].code if snap is not None and snap.stations else DEFAULT_STATION
        return [{"dish_id": code, "name_zh": booking.name_zh, "name_en": booking.name_en,
                 "qty": qty, "unit_price_cents": unit, "line_total_cents": qty * unit,
                 "station": station}]
