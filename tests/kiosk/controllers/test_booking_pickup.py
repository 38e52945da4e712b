"""Pre-booking pick-up on the journey: offered to the member who booked, by the booking's QR
too, handed over once (an order paid by the booking), refused a second time."""

from __future__ import annotations

from typing import Any

from edge_agent.downlinks import DownlinkApplier
from kiosk.controllers.journey import JourneyController, Step
from kiosk.services.devices import DeviceEvent
from protocol.payloads.bookings import BookingsSnapshot
from tests.kiosk.controllers.conftest import GOLD_CARD, LUNCH, Kiosk

UID = "5f0c6b3e-2d1a-4c8e-9b7a-1e2f3a4b5c6d"
OTHER = "5f0c6b3e-2d1a-4c8e-9b7a-1e2f3a4b5c6e"


def bookings(version: int = 1, day: str = "2025-03-05", **over: Any) -> BookingsSnapshot:
    """The hub's copy of the day: m-1001 booked 2 Kung Pao chicken for lunch, and dinner."""
    rows = [
        {"booking_id": UID, "member_id": "m-1001", "meal_period": "lunch", "kind": "dish",
         "dish_id": "kung-pao-chicken", "qty": 2, "price_cents": 3200,
         "name_zh": "宫保鸡丁", "name_en": "Kung Pao Chicken", **over},
        {"booking_id": OTHER, "member_id": "m-1001", "meal_period": "dinner", "kind": "meal",
         "price_cents": 1000, "name_zh": "一份餐", "name_en": "A meal"},
    ]
    return BookingsSnapshot.model_validate({"version": version, "generated_at": LUNCH,
                                            "service_date": day, "bookings": rows})


def applied(kiosk: Kiosk, snap: BookingsSnapshot) -> JourneyController:
    DownlinkApplier(kiosk.store.conn, site_id="site-1").apply_bookings(snap)
    return kiosk.journey


def test_member_is_offered_the_booking_and_picks_it_up_once(kiosk: Kiosk) -> None:
    j = applied(kiosk, bookings())
    j.start()
    assert j.identify("card", GOLD_CARD)
    assert j.state.booking is not None and j.state.booking.booking_id == UID  # not dinner's
    assert j.state.booking.button.en == "Pick up your booking: Kung Pao Chicken ×2"
    assert j.pick_up_booking()
    assert j.state.step is Step.DONE and j.state.booking is None
    done = j.done.state
    assert done.booking_pickup and done.paid and done.order_no
    assert kiosk.store.order_totals() == (1, 3200)
    row = kiosk.store.conn.execute("SELECT payload FROM orders").fetchone()[0]
    assert f'"booking_id":"{UID}"' in row and '"method":"booking"' in row
    j.finish()

    # Identifying again: nothing left to pick up; the booking's QR is refused, naming the order.
    j.start()
    assert j.identify("card", GOLD_CARD) and j.state.booking is None
    j.on_device_event(DeviceEvent("code", f"BK1:{UID}"))
    assert j.state.step is Step.MENU and j.state.message is not None
    assert done.order_no in j.state.message.en and "已经取过" in j.state.message.zh
    assert kiosk.store.order_totals() == (1, 3200)


def test_booking_qr_at_idle_hands_over_without_a_member_card(kiosk: Kiosk) -> None:
    j = applied(kiosk, bookings())
    j.on_device_event(DeviceEvent("code", f"BK1:{UID}"))
    assert j.state.step is Step.DONE, j.state.message
    assert j.done.state.booking_pickup
    j.finish()
    # Dinner's booking is not handed over at lunch; an unknown one is not found.
    j.on_device_event(DeviceEvent("code", f"BK1:{OTHER}"))
    assert j.state.message is not None and "another meal" in j.state.message.en
    j.on_device_event(DeviceEvent("code", "BK1:00000000-0000-4000-8000-000000000000"))
    assert j.state.message is not None and "could not find" in j.state.message.en
    assert kiosk.store.order_totals() == (1, 3200)


def test_picked_up_elsewhere_or_yesterdays_copy_offers_nothing(kiosk: Kiosk) -> None:
    j = applied(kiosk, bookings(day="2025-03-04"))  # yesterday's copy: nothing today
    j.start()
    assert j.identify("card", GOLD_CARD) and j.state.booking is None
    j.finish()
    j = applied(kiosk, bookings(version=2, status="picked_up"))  # the hub says: taken
    j.start()
    assert j.identify("card", GOLD_CARD) and j.state.booking is None
    assert not j.pick_up_booking(f"BK1:{UID}")
    assert j.state.message is not None and j.state.message.en == (
        "This booking was already picked up.")
    assert kiosk.store.order_totals() == (0, 0)
