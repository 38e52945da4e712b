"""Hardware for the diner journey: readers and camera as threads delivering events, the scale."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hardware.camera.decode import decode_qr
from hardware.camera.sources import OpenCvCamera, ReplayCamera
from hardware.readers.devices import BarcodeScanner, LineCardReader, Rdm6300Reader
from hardware.scale import ContinuousScale, Weight
from kiosk.services.errors import WeightNotReady

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceEvent:
    """A card tapped or a code scanned (by the scanner or the camera)."""

    kind: Literal["card", "code"]
    value: str


Listener = Callable[[DeviceEvent], None]


class DeviceEvents:
    """Reader threads put events on a thread-safe queue; the UI drains it on its main thread.

    ``on_event`` callbacks run on the reader's thread: a Kivy screen must hop to the main
    thread itself (``@mainthread`` / ``Clock.create_trigger``); or call ``drain()`` from a
    Kivy clock tick instead.
    """

    def __init__(
        self,
        readers: list[LineCardReader | Rdm6300Reader | BarcodeScanner] | None = None,
        camera: OpenCvCamera | ReplayCamera | None = None,
        camera_interval_s: float = 0.1,
    ) -> None:
        """Nothing starts until start()."""
        self.readers = list(readers or [])
        self.camera = camera
        self.camera_interval_s = camera_interval_s
        self.events: queue.Queue[DeviceEvent] = queue.Queue()
        self.listeners: list[Listener] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._camera_on = threading.Event()
        # The hub's card_reader_enabled switch (kiosk.controllers.remote): while off, every
        # card tap is dropped here, where every tap passes (the reader's port stays open and
        # its reads are thrown away, so no tap made while off is acted on after).
        self.cards_enabled = True

    def set_cards(self, on: bool) -> None:
        """Act on card taps again (True) or ignore them (False)."""
        if on != self.cards_enabled:
            log.info("card reader %s by config", "enabled" if on else "disabled")
        self.cards_enabled = on

    def emit(self, event: DeviceEvent) -> None:
        """Queue an event and tell the listeners (also used by tests and the demo)."""
        if event.kind == "card" and not self.cards_enabled:
            log.info("card tap ignored: the card reader is disabled by config")
            return
        self.events.put(event)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not kill the reader thread
                log.exception("device event listener failed")

    def drain(self) -> list[DeviceEvent]:
        """Every event waiting, oldest first (call from the UI thread)."""
        out: list[DeviceEvent] = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return out
            if event.kind != "card" or self.cards_enabled:  # a tap queued before a switch-off
                out.append(event)

    def start(self) -> None:
        """Start the readers and one forwarding thread each, and the camera loop."""
        self._stop.clear()
        for reader in self.readers:
            reader.start()
            self._spawn(self._pump_reader, reader)
        if self.camera is not None:
            self._spawn(self._pump_camera, self.camera)

    def scan_with_camera(self, on: bool) -> None:
        """Look for QR codes only while the identify screen is up (saves CPU, privacy)."""
        if on:
            self._camera_on.set()
        else:
            self._camera_on.clear()

    def _spawn(self, target: Callable[..., None], arg: object) -> None:
        thread = threading.Thread(target=target, args=(arg,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump_reader(self, reader: LineCardReader | Rdm6300Reader | BarcodeScanner) -> None:
        while not self._stop.is_set():
            read = reader.read(timeout=0.2)
            if read is not None:
                self.emit(DeviceEvent(read.kind, read.value))

    def _pump_camera(self, camera: OpenCvCamera | ReplayCamera) -> None:
        last: str | None = None
        while not self._stop.is_set():
            if not self._camera_on.wait(0.2):
                last = None
                continue
            frame = camera.read()
            if frame is not None:
                for payload in decode_qr(frame):
                    if payload != last:  # one event per code shown, not one per frame
                        last = payload
                        self.emit(DeviceEvent("code", payload))
            self._stop.wait(self.camera_interval_s)

    def stop(self) -> None:
        """Stop threads and devices."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for reader in self.readers:
            reader.stop()
        if self.camera is not None:
            self.camera.close()


FRESH_READING_S = 0.5
"""A stable reading younger than this is the plate on the scale now."""


class ScaleService:
    """The buffet scale: a stable net weight in grams, or a clear refusal."""

    def __init__(self, scale: ContinuousScale | None) -> None:
        """``scale`` None: this kiosk sells no weighed dishes."""
        self.scale = scale
        # The hub's scale_enabled switch (kiosk.controllers.remote): while off the port is
        # closed and nothing is read; the catalog hides the weighed dishes meanwhile.
        self.enabled = True
        self._started = False

    def start(self) -> None:
        """Open the port (unless the scale is switched off)."""
        self._started = True
        if self.scale is not None and self.enabled:
            self.scale.start()

    def stop(self) -> None:
        """Close the port."""
        self._started = False
        if self.scale is not None:
            self.scale.stop()

    def set_enabled(self, on: bool) -> None:
        """Switch the scale on or off (closes or reopens its port once started)."""
        if on == self.enabled:
            return
        self.enabled = on
        if self.scale is None or not self._started:
            return
        if on:
            self.scale.start()
        else:
            self.scale.stop()
            self.scale.latest = None  # a plate weighed before the switch is not read later

    def latest(self) -> Weight | None:
        """The last reading, without waiting (None: no scale, switched off, nothing read)."""
        if not self.enabled:
            return None
        return self.scale.latest if self.scale is not None else None

    def stable_grams(self, timeout: float = 3.0) -> int:
        """The next settled net weight (> 0 g, not overloaded); WeightNotReady otherwise."""
        if not self.enabled:
            raise WeightNotReady("scale disabled by config")
        if self.scale is None:
            raise WeightNotReady("no scale on this kiosk")
        weight = self.scale.latest
        # A plate that has already settled is weighed at once; otherwise wait for it to settle.
        fresh = weight is not None and time.monotonic() - weight.at < FRESH_READING_S
        if not (fresh and weight is not None and weight.stable
                and self.scale.state == "connected"):
            weight = self.scale.wait_stable(timeout)
        if weight is None:
            raise WeightNotReady("the weight did not settle")
        if weight.overload or weight.net_g <= 0:
            raise WeightNotReady(f"unusable weight {weight.net_g} g (overload={weight.overload})")
        return weight.net_g
