"""The hub's hardware switches (``printer_enabled``, ``scale_enabled``, ``card_reader_enabled``
in ``device.config``) acted on by the kiosk without a restart: the real controllers, the
agent's config store and command runner, and the printer, scale and card reader simulators
on pseudo-terminals."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge_agent.commands import CommandRunner
from edge_agent.downlinks import DownlinkApplier
from hardware.sim.card import CardReaderSimulator
from hardware.sim.printer import PrinterSimulator
from hardware.sim.scale import ScaleSimulator
from kiosk.controllers.journey import JourneyController, Step
from kiosk.controllers.remote import RemoteLink
from kiosk.services.devices import DeviceEvent
from protocol import encode, make_envelope, parse
from protocol.ids import new_message_id
from protocol.payloads.command import CommandResult
from tests.kiosk.controllers.conftest import GOLD_CARD, Kiosk, make_kiosk, order_dish

SITE, DEVICE = "site-1", "kiosk-1"
OTHER_CARD = "0087654321"  # 李娜


@dataclass
class Sims:
    printer: PrinterSimulator
    scale: ScaleSimulator
    card: CardReaderSimulator


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    devices = Sims(PrinterSimulator(tmp_path / "printer"), ScaleSimulator(tmp_path / "scale"),
                   CardReaderSimulator(tmp_path / "card", protocol="line"))
    for sim in (devices.printer, devices.scale, devices.card):
        sim.start()
    yield devices
    for sim in (devices.printer, devices.scale, devices.card):
        sim.stop()


@pytest.fixture
def kiosk(tmp_path: Path, sims: Sims) -> Iterator[Kiosk]:
    k = make_kiosk(tmp_path, hardware={
        "devices": {
            "receipt": {"type": "escpos_serial", "port": str(sims.printer.path)},
            "scale": {"type": "scale_continuous", "port": str(sims.scale.path),
                      "stable_window_s": 0.5},
            "card": {"type": "card_line", "port": str(sims.card.path), "debounce_s": 0.5},
        },
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")},
    }, roles={"card_reader": "card", "scale": "scale"})
    k.runtime.start()
    yield k
    k.runtime.stop()


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


class Hub:
    """Pushes device configs and commands the way the agent receives them from the broker."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk
        self.applier = DownlinkApplier(kiosk.store.conn, site_id=SITE)
        self.runner = CommandRunner(kiosk.store.conn, site_id=SITE, device_id=DEVICE,
                                    handlers={})
        self.remote = RemoteLink(kiosk.journey)
        self.version = 1

    def push(self, **fields: Any) -> None:
        """A new config version, applied by the kiosk at its next tick."""
        self.version += 1
        env = make_envelope("device.config", {"version": self.version, "idle_reset_s": 60,
                                              **fields}, site=SITE, device="hub")
        self.applier.handle(env.topic(to_device=DEVICE), encode(env))
        self.remote.poll()
        assert self.remote.config_version == self.version and not self.remote.config_refusal

    def command(self, name: str) -> CommandResult:
        cid = new_message_id()
        env = make_envelope("device.command", {
            "command_id": cid, "device": DEVICE, "name": name,
            "expires_at": datetime.now(UTC) + timedelta(minutes=5)}, site=SITE, device="hub")
        assert self.runner.handle(env.topic(to_device=DEVICE), encode(env)) == "queued"
        self.remote.poll()  # the journey's background is inline here
        assert self.runner.poll() == 1
        rows = self.kiosk.store.conn.execute(
            "SELECT topic, body FROM outbox WHERE kind = 'device.command_result'").fetchall()
        found = [parse(bytes(b), topic=t).payload_as(CommandResult) for t, b in rows]
        return next(r for r in found if r.command_id == cid)

    def diagnostics(self) -> dict[str, tuple[str, str]]:
        return {r.key: (r.value.zh, r.value.en) for r in self.remote.diagnostics()}


def checkout_greens(j: JourneyController) -> None:
    j.start()
    j.identify("guest")
    order_dish(j, "greens")
    j.open_cart()
    assert j.checkout(), j.state.message


def jobs(kiosk: Kiosk) -> list[str]:
    """The job keys in the durable print queue (the order ids of the receipts queued)."""
    printing = kiosk.services.receipts.printing
    assert printing is not None
    with closing(sqlite3.connect(printing.queue.path)) as db:
        return [r[0] for r in db.execute("SELECT job_key FROM print_job ORDER BY id")]


def test_printer_off_prints_nothing_tells_the_diner_and_nothing_piles_up(
        kiosk: Kiosk, sims: Sims) -> None:
    hub, j, printer = Hub(kiosk), kiosk.journey, sims.printer
    hub.push(printer_enabled=False)

    checkout_greens(j)
    done = j.done.state
    assert j.state.step is Step.DONE and done.order_no == "A001"  # the number still shows
    assert not done.printing
    assert (done.printer_message.zh, done.printer_message.en) == (
        "本机不打印小票，请记住您的取餐号。",
        "No receipt is printed at this kiosk. Please remember your order number.")
    assert j.state.message is None  # told on the done screen, no fault pop-up
    assert kiosk.store.order_totals() == (1, 600)
    assert jobs(kiosk) == []  # nothing queued to come out later

    page = hub.command("print_test_page")
    again = hub.command("reprint_last_receipt")
    assert (page.status, page.detail) == ("failed", "printer disabled by config")
    assert (again.status, again.detail) == ("failed", "printer disabled by config")
    assert hub.diagnostics()["printer"] == ("已由配置停用", "Disabled by config")
    # Not a byte of a receipt or a page reached the printer.
    assert printer.documents == [] and printer.torn == [] and printer.discarded_items == 0
    j.finish()

    hub.push(printer_enabled=True)  # back on: only what is ordered from now prints
    assert hub.diagnostics()["printer"][1] in ("Ready", "Not checked yet")
    checkout_greens(j)
    assert j.done.state.order_no == "A002" and j.done.state.printer_message is None
    assert printer.wait_documents(1)
    assert "A002" in printer.documents[0].text
    assert jobs(kiosk) == [j.done.state.order_id]
    j.finish()
    nothing_old = hub.command("reprint_last_receipt")
    assert (nothing_old.status, nothing_old.detail) == ("ok", "receipt A002 printed")
    assert printer.wait_documents(2)
    assert all("A001" not in d.text for d in printer.documents)
    hub.push()  # a config without the switch: the kiosk's own hardware decides (printer on)
    assert hub.command("print_test_page").status == "ok"


def test_scale_off_takes_weighed_dishes_off_the_menu_and_closes_the_scale(
        kiosk: Kiosk, sims: Sims) -> None:
    hub, j = Hub(kiosk), kiosk.journey
    scale = kiosk.services.scale.scale
    assert scale is not None and scale.wait_connected(5)
    sims.scale.place(333, settle_s=0.2)
    assert wait_for(lambda: (w := j.live_weight()) is not None and w.net_g == 333)

    hub.push(scale_enabled=False)
    assert scale.state == "stopped" and j.live_weight() is None  # the port is closed
    j.start()
    j.identify("guest")
    shown = {c.code for c in j.menu.state.categories}
    assert "buffet" not in shown and {"meat", "vegetable"} <= shown
    dishes = {d.dish_id for c in j.menu.state.categories for d in c.dishes}
    assert not dishes & {"buffet-veg", "buffet-meat"}
    assert all(not d.per_100g for d in j.menu.state.recommended)
    assert not j.open_dish("buffet-meat")
    assert (j.state.message.zh, j.state.message.en) == (
        "抱歉，这道菜已售罄。", "Sorry, this dish is sold out.")  # as any dish not on sale
    assert j.state.step is Step.MENU and len(j.session.cart) == 0
    assert hub.diagnostics()["scale"] == ("已由配置停用", "Disabled by config")
    j.finish()

    hub.push(scale_enabled=True)
    assert scale.wait_connected(5)
    sims.scale.place(250, settle_s=0.2)
    j.start()
    j.identify("guest")
    assert "buffet" in {c.code for c in j.menu.state.categories}
    assert j.open_dish("buffet-meat"), j.state.message
    assert wait_for(lambda: (w := j.live_weight()) is not None and w.net_g == 250 and w.stable)
    assert j.add_dish(), j.state.message
    assert j.session.cart.lines and next(iter(j.session.cart.lines.values())).grams == 250
    assert hub.diagnostics()["scale"] == ("已连接", "Connected")


def test_card_reader_off_ignores_taps_and_the_identify_screen_stops_offering_them(
        kiosk: Kiosk, sims: Sims) -> None:
    hub, j = Hub(kiosk), kiosk.journey
    events = kiosk.services.events
    assert events is not None
    reader = events.readers[0]
    assert reader.wait_connected(5)

    def taps() -> list[DeviceEvent]:
        """What reaches the journey (as the diner window drains it every tick)."""
        drained = events.drain()
        for event in drained:
            j.on_device_event(event)
        return drained

    hub.push(card_reader_enabled=False)
    assert j.state.cards is False
    assert sims.card.tap(GOLD_CARD)
    # The reader read it and handed it on (the port stays open); the kiosk did nothing.
    assert wait_for(lambda: reader.counts["accepted"] == 1 and reader.reads.empty())
    assert taps() == [] and j.state.step is Step.IDLE and j.state.member is None
    assert hub.diagnostics()["card_reader"] == ("已由配置停用", "Disabled by config")
    j.start()
    assert j.identify("guest") and j.state.guest  # the other ways still work
    j.finish()

    hub.push(card_reader_enabled=True)
    assert j.state.cards is True
    assert sims.card.tap(OTHER_CARD)
    got: list[DeviceEvent] = []
    assert wait_for(lambda: got.extend(taps()) or got)
    assert got == [DeviceEvent("card", OTHER_CARD)]  # the tap made while off never comes
    assert j.state.step is Step.MENU and j.state.member.name == "李娜"
    assert hub.diagnostics()["card_reader"] == ("已连接", "Connected")
    hw = dict(kiosk.store.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'hw.%'"))
    assert hw["hw.card_reader"] == "connected"  # for the heartbeat, at once


def test_switches_stay_as_pushed_across_resets_and_are_reported(kiosk: Kiosk) -> None:
    hub, j = Hub(kiosk), kiosk.journey
    hub.push(printer_enabled=False, scale_enabled=False, card_reader_enabled=False)
    hw = dict(kiosk.store.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'hw.%'"))
    assert (hw["hw.card_reader"], hw["hw.scale"]) == ("disabled", "disabled")
    j.start()
    j.finish()  # an idle reset keeps the kiosk's settings
    assert j.state.cards is False and not kiosk.services.receipts.enabled
    assert not kiosk.services.catalog.sells_weighed and not kiosk.services.scale.enabled
    rows = hub.diagnostics()
    assert rows["printer"] == rows["scale"] == rows["card_reader"] == (
        "已由配置停用", "Disabled by config")
    # Each version is the device's whole settings, not a patch: a switch left out (or null)
    # is the kiosk's own hardware configuration again, i.e. on.
    hub.push(printer_enabled=None, scale_enabled=True)
    assert kiosk.services.receipts.enabled and kiosk.services.scale.enabled
    assert j.state.cards is True and kiosk.services.events.cards_enabled
