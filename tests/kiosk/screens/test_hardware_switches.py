"""The hub's hardware switches on the diner screens, pushed while the window runs: no card
tile on the identify screen while the card reader is off, and a done screen that says no
receipt is printed here while the printer is off (kiosk.controllers.remote)."""

from __future__ import annotations

import pytest

from tests.kiosk.controllers.conftest import order_dish
from tests.kiosk.screens.conftest import push_config
from tests.kiosk.screens.driver import Driver

pytestmark = pytest.mark.screen


def test_card_reader_and_printer_switched_off_and_on_again(fresh: Driver) -> None:
    ui = fresh
    printer = ui.sims["printer"]
    printed = len(printer.documents)
    services = ui.kiosk.services
    try:
        push_config(ui, card_reader_enabled=False, printer_enabled=False)
        assert ui.wait_until(lambda: not ui.journey.state.cards
                             and not services.receipts.enabled, 5)
        ui.journey.start()
        ui.settle()
        identify = ui.screen("identify")
        assert identify.ids.card_tile.parent is None  # no "tap your card" offered
        assert identify.ids.prompt.text == "请出示会员码，或以访客身份点餐"
        assert "饭卡" not in "".join(ui.texts(identify))
        ui.screenshot("kiosk-identify-no-card-zh", docs=False)

        ui.tap_id("guest", "identify")
        order_dish(ui.journey, "greens")
        ui.journey.open_cart()
        assert ui.journey.checkout(), ui.journey.state.message
        ui.settle()
        done = ui.screen("done")
        assert ui.root.manager.current == "done" and done.order_no
        assert done.ids.receipt.text == "本机不打印小票，请记住您的取餐号。" and done.receipt_ok
        assert ui.root.toast_text == ""  # no fault pop-up
        ui.screenshot("kiosk-done-no-receipt-zh", docs=False)
        assert len(printer.documents) == printed
        ui.journey.finish()
    finally:
        push_config(ui)  # the switches left out: the kiosk's own hardware again
        ui.wait_until(lambda: ui.journey.state.cards and services.receipts.enabled, 5)
        ui.journey.reset()
        ui.settle()
    ui.journey.start()
    ui.settle()
    identify = ui.screen("identify")
    tiles = [tile.title for tile in reversed(identify.ids.tiles.children)]
    assert tiles == ["会员码", "饭卡", "刷脸"], tiles  # back in its place
    assert identify.ids.prompt.text == "请出示会员码、刷饭卡，或以访客身份点餐"
    ui.journey.reset()
    ui.settle()
