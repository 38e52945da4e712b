"""The kiosk's end of the fleet: remote commands the agent hands over, and pushed settings.

The edge agent checks each ``device.command`` (addressed to this device, not expired, once
only) and hands ``print_test_page``, ``reprint_last_receipt`` and ``open_diagnostics`` to the
app through the device store (``edge_agent.commands``); :class:`RemoteLink` runs them and
answers in the store, and the agent sends the answer to the hub as a
``device.command_result`` through its outbox.

Pushed settings: the agent keeps the newest valid ``device.config`` (validated with
``protocol.payloads.config.DeviceConfig``, the schema the hub validates with; a bad one is
refused there and the last good one kept). :class:`RemoteLink` lays it over the kiosk's own
configuration (validated again as a ``KioskConfig``) and applies it without a restart: the
idle reset, the languages offered and the default one, large text, the menu layout and the
three hardware switches (:func:`apply_switches`). Settings that fail that check are refused
and the last good ones stay.

Everything here runs on the controllers' thread (``poll`` from the journey's clock tick);
printing, which is slow, runs through the journey's background runner.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from edge_agent.agent import APP_VERSION
from edge_agent.commands import answer_kiosk_request, kiosk_requests
from edge_agent.errors import EdgeError
from edge_agent.model_store import read_active
from hardware.printer.receipt import Payment, Receipt, ReceiptLine
from hardware.printer.status import PrinterFault
from hardware.readers.devices import BarcodeScanner
from kiosk.config import KioskConfig
from kiosk.controllers.journey import Step
from kiosk.i18n import Text, _
from kiosk.services.receipts import TEST_PAGE_PREFIX, PrintResult
from protocol.payloads.command import DeviceCommand
from protocol.payloads.config import DeviceConfig

log = logging.getLogger(__name__)

CONFIG_APPLIED = "kiosk_config"
"""Hardware status (``hw.kiosk_config``, so the heartbeat carries it): the device-config
version the app runs with, or ``<version> refused: <why>``."""
HARDWARE_EVERY_S = 10.0
"""How often the readers' and the scale's link state is recorded for the heartbeat."""
LAYOUTS = ("grid", "list")
DISABLED_BY_CONFIG = _("Disabled by config")
"""The diagnostics value of a device the hub's settings switched off."""


@dataclass(frozen=True)
class DiagRow:
    """One line of the diagnostics screen: what, and its state, in both languages."""

    key: str
    label: Text
    value: Text
    ok: bool | None = None  # None: neutral; False: shown as a problem


class ConfigRefused(ValueError):
    """Pushed settings the kiosk cannot run with; the last good ones stay."""


PRINTER_DISABLED = "printer disabled by config"
"""The answer to ``print_test_page`` / ``reprint_last_receipt`` while the printer is off."""


@dataclass(frozen=True)
class Switches:
    """The hub's hardware switches as the kiosk runs them (None in the config: on, i.e. the
    kiosk's own hardware configuration decides)."""

    printer: bool = True
    scale: bool = True
    card_reader: bool = True

    @classmethod
    def of(cls, pushed: DeviceConfig) -> Switches:
        """The switches of a pushed config."""
        return cls(printer=pushed.printer_enabled is not False,
                   scale=pushed.scale_enabled is not False,
                   card_reader=pushed.card_reader_enabled is not False)


def apply_switches(journey: Any, switches: Switches) -> None:
    """Turn printer, scale and card reader on or off at the one service each is used through.

    Printer: ``ReceiptService.enabled`` (nothing queued or printed; the done screen says no
    receipt is printed here). Scale: ``ScaleService.set_enabled`` closes its port and
    ``CatalogService.sells_weighed`` leaves the weighed dishes off the menu. Card reader:
    ``DeviceEvents.set_cards`` drops every card tap; the journey's ``cards`` tells the
    identify screen not to offer a tap.
    """
    s = journey.s
    s.receipts.enabled = switches.printer
    s.scale.set_enabled(switches.scale)
    if s.catalog.sells_weighed != switches.scale:
        s.catalog.sells_weighed = switches.scale
        if journey.state.step is not Step.IDLE:
            journey.menu.load()  # a diner at the menu sees the weighed dishes go or come back
    if s.events is not None:
        s.events.set_cards(switches.card_reader)
    if journey.state.cards != switches.card_reader:
        journey._update(cards=switches.card_reader)


def settings_from(base: KioskConfig, pushed: DeviceConfig) -> KioskConfig:
    """The kiosk configuration with the hub's settings laid over it, validated again."""
    changes: dict[str, Any] = {"idle_seconds": float(pushed.idle_reset_s)}
    if pushed.languages is not None:
        changes["languages"] = tuple(pushed.languages)
    if pushed.default_language is not None:
        changes["default_language"] = pushed.default_language
    elif pushed.languages is not None and base.default_language not in pushed.languages:
        changes["default_language"] = pushed.languages[0]
    if pushed.large_text is not None:
        changes["large_text"] = pushed.large_text
    data = base.model_dump()
    data.update(changes)
    try:
        return KioskConfig.model_validate(data)
    except ValidationError as err:
        why = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                        for e in err.errors())
        raise ConfigRefused(why) from err


def test_page(config: KioskConfig, command_id: str, now: datetime) -> Receipt:
    """A printer test page: the kiosk's name and identity, no money."""
    name = f"{config.canteen_name_zh} {config.canteen_name_en}"[:60]
    return Receipt(
        canteen_name=name, order_no="TEST", order_id=f"{TEST_PAGE_PREFIX}{command_id}"[:64],
        created_at=now, timezone=config.timezone,
        lines=(ReceiptLine(name_zh="打印测试页", name_en="Printer test page", qty=1,
                           unit_price_cents=0),),
        payment=Payment(),
        notes=(f"设备 Device {config.device_id} / 食堂 Site {config.site_id}",
               "能看清本页即打印正常 If you can read this, the printer works"),
    )


def _link_state(state: str) -> Text:
    """A serial device's link state (``hardware.serial_link``) for the diagnostics screen."""
    return {"connected": _("Connected"), "connecting": _("Connecting"),
            "disconnected": _("Disconnected"), "stopped": _("Stopped")}.get(
                state, Text(state, state))


def _print_detail(result: PrintResult, what: str) -> tuple[bool, str]:
    if result.printed:
        return True, f"{what} printed"
    faults = ",".join(f.value for f in result.faults) or "not printed"
    return False, f"printer: {faults}"


class RemoteLink:
    """Runs the kiosk's remote commands and applies pushed settings; ``poll`` every tick."""

    def __init__(self, journey: Any) -> None:
        """``journey``: the JourneyController (its services, idle timer and background)."""
        self.journey = journey
        self.s = journey.s
        self.base_config: KioskConfig = self.s.config  # the kiosk's own file
        self.config_version: int | None = None  # applied (or refused) device-config version
        self.config_refusal: str | None = None
        self.layout = "grid"
        self.switches = Switches()
        self._running: set[str] = set()
        self._hw_seen: dict[str, str] = {}
        self._next_hw = 0.0
        # Set by the screens: open the diagnostics view (True when it opened).
        self.show_diagnostics: Callable[[], bool] | None = None
        self.layout_changed: Callable[[str], None] | None = None

    # ---- every tick --------------------------------------------------------------------

    def poll(self) -> None:
        """Apply newer settings; start the commands the agent handed over."""
        try:
            self.apply_config()
            self._commands()
            self._record_hardware()
        except EdgeError as err:  # the store is busy or broken: try again next tick
            log.warning("remote link: %s", err)

    # ---- settings ----------------------------------------------------------------------

    def apply_config(self) -> bool:
        """Apply the agent's newest device config if the app does not run it yet."""
        pushed = self.s.store.device_config()
        if pushed is None or pushed.version == self.config_version:
            return False
        self.config_version = pushed.version
        try:
            config = settings_from(self.base_config, pushed)
        except ConfigRefused as err:
            self.config_refusal = f"{pushed.version} refused: {err}"[:200]
            log.warning("device config %s refused, last good kept: %s", pushed.version, err)
            self.s.store.set_hardware_status(CONFIG_APPLIED, self.config_refusal)
            return False
        self.config_refusal = None
        self.s.config = config  # the journey reads languages and defaults from here
        self.journey.idle.timeout = timedelta(seconds=config.idle_seconds)
        layout = pushed.layout or "grid"
        if layout != self.layout:
            self.layout = layout
            if self.layout_changed is not None:
                self.layout_changed(layout)
        journey = self.journey
        switches = Switches.of(pushed)
        if switches != self.switches:
            self.switches = switches
            apply_switches(journey, switches)
            self._next_hw = 0.0  # the heartbeat says "disabled" (or the link state) at once
        if journey.state.step is Step.IDLE:
            journey.reset()  # the attract screen shows the new default language at once
        elif journey.state.lang not in config.languages:
            journey._update(lang=config.default_language)
        self.s.store.set_hardware_status(CONFIG_APPLIED, str(pushed.version))
        log.info("device config %s applied: idle %ss, languages %s, layout %s, %s",
                 pushed.version, config.idle_seconds, ",".join(config.languages), layout,
                 self.switches)
        return True

    # ---- hardware presence -------------------------------------------------------------

    def _record_hardware(self) -> None:
        """Record the card reader's, scanner's and scale's link state (``hw.*``) when it
        changes, for the heartbeat's presence fields."""
        now = time.monotonic()
        if now < self._next_hw:
            return
        self._next_hw = now + HARDWARE_EVERY_S
        scanner, card = self._reader_devices()
        scale = self.s.scale.scale
        off = {"card_reader": not self.switches.card_reader, "scale": not self.switches.scale}
        for name, device in (("card_reader", card), ("scanner", scanner), ("scale", scale)):
            state = "absent" if device is None else str(getattr(device, "state", "stopped"))
            if device is not None and off.get(name):
                state = "disabled"  # there, switched off by the hub's settings
            if self._hw_seen.get(name) != state:
                self.s.store.set_hardware_status(name, state)
                self._hw_seen[name] = state

    def _reader_devices(self) -> tuple[Any, Any]:
        events = self.s.events
        readers = list(events.readers) if events is not None else []
        scanner = next((r for r in readers if isinstance(r, BarcodeScanner)), None)
        card = next((r for r in readers if not isinstance(r, BarcodeScanner)), None)
        return scanner, card

    # ---- commands ----------------------------------------------------------------------

    def _commands(self) -> None:
        now = datetime.now(UTC)  # expiry is wall-clock time, as the agent and the hub see it
        for cmd in kiosk_requests(self.s.store.conn):
            if cmd.command_id in self._running or cmd.expires_at <= now:
                continue  # running, or the agent answers it "expired"
            self._running.add(cmd.command_id)
            try:
                self._start(cmd)
            except Exception as err:  # a command must never take the kiosk down
                log.exception("remote command %s failed", cmd.name)
                self._answer(cmd, False, f"{type(err).__name__}: {err}")

    def _start(self, cmd: DeviceCommand) -> None:
        receipts = self.s.receipts
        if cmd.name == "open_diagnostics":
            self._answer(cmd, *self.open_diagnostics())
        elif cmd.name in ("print_test_page", "reprint_last_receipt") and not receipts.enabled:
            self._answer(cmd, False, PRINTER_DISABLED)
        elif cmd.name == "print_test_page":
            page = test_page(self.s.config, cmd.command_id, datetime.now(UTC))
            self.journey.background.submit(
                "test-page", lambda: receipts.print_receipt(page),
                lambda r: self._printed(cmd, r, "test page"))
        elif cmd.name == "reprint_last_receipt":
            self.journey.background.submit(
                "reprint", receipts.reprint_last, lambda r: self._reprinted(cmd, r))
        else:
            self._answer(cmd, False, f"{cmd.name} is not a kiosk command")

    def open_diagnostics(self) -> tuple[bool, str]:
        """Show the diagnostics screen, unless a diner is ordering."""
        if self.journey.state.step is not Step.IDLE:
            return False, "a diner is ordering; try again when the kiosk is idle"
        if self.show_diagnostics is None or not self.show_diagnostics():
            return False, "this kiosk has no screen to show diagnostics on"
        printing = self.s.receipts.printing
        if printing is not None and self.s.receipts.enabled:  # ask it now, off the UI thread
            self.journey.background.submit("printer-status", printing.poll_status,
                                           lambda _status: None)
        return True, "diagnostics shown"

    def _printed(self, cmd: DeviceCommand, result: PrintResult, what: str) -> None:
        if result.disabled:  # switched off while the job waited
            self._answer(cmd, False, PRINTER_DISABLED)
            return
        self._record_printer(result)
        self._answer(cmd, *_print_detail(result, what))

    def _reprinted(self, cmd: DeviceCommand, found: tuple[str | None, PrintResult]) -> None:
        order_no, result = found
        if result.disabled:
            self._answer(cmd, False, PRINTER_DISABLED)
            return
        if order_no is None and not result.faults:
            self._answer(cmd, False, "no receipt printed yet")
            return
        self._record_printer(result)
        self._answer(cmd, *_print_detail(result, f"receipt {order_no}"))

    def _record_printer(self, result: PrintResult) -> None:
        if result.faults == (PrinterFault.DISCONNECTED,) and self.s.receipts.printing is None:
            return
        try:
            self.s.store.set_hardware_status(
                "printer", "" if result.printed else ",".join(f.value for f in result.faults))
        except EdgeError as err:
            log.warning("printer status not stored: %s", err)

    def _answer(self, cmd: DeviceCommand, ok: bool, detail: str) -> None:
        try:
            answer_kiosk_request(self.s.store.conn, cmd.command_id, ok=ok, detail=detail)
        finally:
            self._running.discard(cmd.command_id)
        log.info("remote command %s %s: %s", cmd.name, "ok" if ok else "failed", detail)

    # ---- diagnostics -------------------------------------------------------------------

    def diagnostics(self) -> tuple[DiagRow, ...]:
        """What the diagnostics screen shows, read now from the store and the devices."""
        s = self.s
        conn = s.store.conn
        versions = s.store.versions()
        active = read_active(conn)
        none = _("None")

        def plain(value: object) -> Text:
            return Text(str(value), str(value))

        def version(kind: str) -> Text:
            return plain(versions[kind]) if kind in versions else _("Not received yet")

        config_value = version("config")
        if self.config_refusal:
            config_value = _("{version}: refused, last good kept",
                             version=self.config_refusal.split(" ", 1)[0])
        link = s.store.agent_link()
        if link is None:
            broker, broker_ok = _("No agent running"), False
        else:
            since = time.strftime("%H:%M:%S", time.localtime(link.changed_at))
            broker = (_("Connected since {since}", since=since) if link.connected
                      else _("Disconnected since {since}", since=since))
            broker_ok = link.connected
        depth, oldest = conn.execute("SELECT count(*), min(created_at) FROM outbox").fetchone()
        outbox = plain(depth) if not depth else _(
            "{n} waiting, oldest {s} s", n=depth, s=max(0, int(time.time() - float(oldest))))
        return (
            DiagRow("device", _("Device"), plain(s.config.device_id)),
            DiagRow("site", _("Site"), plain(s.config.site_id)),
            DiagRow("app", _("App version"), plain(APP_VERSION)),
            DiagRow("catalog", _("Catalogue version"), version("catalog")),
            DiagRow("model", _("Model version"),
                    plain(active.version) if active is not None else none),
            DiagRow("config", _("Settings version"), config_value,
                    None if not self.config_refusal else False),
            DiagRow("broker", _("Broker"), broker, broker_ok),
            DiagRow("outbox", _("Outbox"), outbox, depth < 100),
            DiagRow("printer", _("Printer"), *self._printer()),
            *self._readers(),
            DiagRow("scale", _("Scale"), *self._scale()),
        )

    def _printer(self) -> tuple[Text, bool | None]:
        printing = self.s.receipts.printing
        if printing is None:
            return _("None"), None
        if not self.s.receipts.enabled:
            return DISABLED_BY_CONFIG, None
        faults: set[PrinterFault] = set()
        for status in printing.last_status.values():
            faults |= set(status.faults)
        if not printing.last_status:
            stored = self.s.store.conn.execute(
                "SELECT value FROM meta WHERE key = 'hw.printer'").fetchone()
            if stored is None:
                return _("Not checked yet"), None
            known = {f.value: f for f in PrinterFault}
            faults = {known[c] for c in str(stored[0]).split(",") if c in known}
        if not faults:
            return _("Ready"), True
        order = list(PrinterFault)
        shown = sorted(faults, key=order.index)
        return Text("、".join(f.message_zh for f in shown),
                    "; ".join(f.message_en for f in shown)), False

    def _readers(self) -> list[DiagRow]:
        scanner, card = self._reader_devices()
        rows = []
        for key, label, reader in (("scanner", _("Scanner"), scanner),
                                   ("card_reader", _("Card reader"), card)):
            if reader is None:
                rows.append(DiagRow(key, label, _("None")))
                continue
            if key == "card_reader" and not self._cards_on():
                rows.append(DiagRow(key, label, DISABLED_BY_CONFIG))
                continue
            state = str(getattr(reader, "state", "stopped"))
            rows.append(DiagRow(key, label, _link_state(state), state == "connected"))
        return rows

    def _cards_on(self) -> bool:
        events = self.s.events
        return events is None or events.cards_enabled

    def _scale(self) -> tuple[Text, bool | None]:
        scale = self.s.scale.scale
        if scale is None:
            return _("None"), None
        if not self.s.scale.enabled:
            return DISABLED_BY_CONFIG, None
        state = str(scale.state)
        return _link_state(state), state == "connected"
