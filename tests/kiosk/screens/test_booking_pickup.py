"""Pre-booking pick-up through the real window: the member's card offers it (Chinese), the
booking's QR under the scanner hands it over (English); each order number shown once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edge_agent.downlinks import DownlinkApplier
from protocol.payloads.bookings import BookingsSnapshot
from tests.kiosk.controllers.conftest import LUNCH
from tests.kiosk.screens.conftest import CARD_GOLD
from tests.kiosk.screens.driver import Driver

pytestmark = pytest.mark.screen

ZH_UID = "7a1c0d2e-3f4a-4b5c-8d6e-7f8091a2b3c4"
EN_UID = "7a1c0d2e-3f4a-4b5c-8d6e-7f8091a2b3c5"


def _apply(ui: Driver, version: int, rows: list[dict[str, object]]) -> None:
    snap = BookingsSnapshot.model_validate({
        "version": version, "generated_at": LUNCH,
        "service_date": ui.kiosk.clock.now().astimezone(ui.kiosk.services.catalog.tz)
        .date().isoformat(), "bookings": rows})
    DownlinkApplier(ui.kiosk.store.conn, site_id="site-1").apply_bookings(snap)


@pytest.fixture
def booked(fresh: Driver) -> Iterator[Driver]:
    """张伟 (gold card) booked 2 Kung Pao chicken, 赵敏 a set meal; both for lunch."""
    _apply(fresh, 10_000, [
        {"booking_id": ZH_UID, "member_id": "m-1001", "meal_period": "lunch", "kind": "dish",
         "dish_id": "kung-pao-chicken", "qty": 2, "price_cents": 3200,
         "name_zh": "宫保鸡丁", "name_en": "Kung Pao Chicken"},
        {"booking_id": EN_UID, "member_id": "m-1004", "meal_period": "lunch", "kind": "meal",
         "price_cents": 1500, "name_zh": "一份餐", "name_en": "A meal"},
    ])
    yield fresh
    _apply(fresh, 10_001, [])  # the other screen tests see no bookings
    fresh.journey.reset()


def _rate_and_finish(ui: Driver) -> None:
    """Rate the pick-up (so later tests do not see an unrated meal) and go back to idle."""
    ui.journey.give_feedback()
    ui.journey.rate(5)
    ui.journey.submit_feedback()
    ui.settle()
    assert ui.root.manager.current == "idle"


def test_member_picks_up_the_booking_in_chinese_qr_in_english(booked: Driver) -> None:
    ui = booked
    ui.tap_id("start", "idle")
    assert ui.sims["card"].tap(CARD_GOLD)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu"), ui.journey.state.message
    ui.settle()
    menu = ui.screen("menu")
    button = menu.ids.pick_up_booking
    assert button.text == "领取预订：宫保鸡丁 ×2" and button.opacity == 1
    ui.screenshot("kiosk-booking-pickup-zh")  # the menu offers the booking
    ui.tap(button)
    assert ui.wait_until(lambda: ui.root.manager.current == "done"), ui.journey.state.message
    done = ui.screen("done")
    ui.settle()
    order_no = done.ids.order_no.text
    assert order_no and done.ids.receipt.text == "预订餐已付款，请凭订单号取餐"
    assert done.ids.pay_note.text == ""
    _rate_and_finish(ui)

    # Again with the card: nothing left to pick up (the button is gone).
    ui.tap_id("start", "idle")
    assert ui.sims["card"].tap(CARD_GOLD)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu")
    ui.settle()
    assert menu.ids.pick_up_booking.opacity == 0
    ui.tap_id("start_over", "root")

    # 赵敏 shows her booking's QR at the attract screen, in English.
    ui.journey.set_language("en")
    assert ui.sims["scanner"].scan(f"BK1:{EN_UID}")
    assert ui.wait_until(lambda: ui.root.manager.current == "done"), ui.journey.state.message
    ui.settle()
    assert done.ids.order_no.text and done.ids.order_no.text != order_no
    assert done.ids.receipt.text == "Paid with your booking: collect it with this number"
    ui.screenshot("kiosk-booking-pickup-en")  # handed over: the order number
    _rate_and_finish(ui)

    # The same QR a second time is refused with a friendly message.
    ui.journey.set_language("en")
    assert ui.sims["scanner"].scan(f"BK1:{EN_UID}")
    assert ui.wait_until(lambda: ui.journey.state.message is not None), ui.journey.state.step
    assert "already picked up" in ui.journey.state.message.en
    assert ui.root.manager.current == "identify"
