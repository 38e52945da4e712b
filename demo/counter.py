"""Orders placed at the kiosks vs orders the hub has ingested, for the live counter line.

Both sides are read from durable state, never from a child's memory: each kiosk's device
store and the hub's database. So the line stays true across restarts of any child (or of
the demo): a restarted diner, agent or ingest worker changes nothing it counts. A side that
cannot be read this time (a store busy) keeps its last reading instead of showing zero.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from demo.site import DemoDevice
from edge_agent.errors import EdgeError
from edge_agent.store import DeviceStore
from hub.seed.sites import TIMEZONE

Totals = dict[str, tuple[int, int]]
"""Device code -> (orders, sum of total_cents)."""


def _read_devices(devices: Iterable[DemoDevice]) -> Totals:
    """Each kiosk's own totals from its device store; a store that cannot be read is left out."""
    out: Totals = {}
    for dev in devices:
        if not dev.store.exists():
            out[dev.code] = (0, 0)
            continue
        try:
            with DeviceStore(dev.store, site_id=dev.site, device_id=dev.code,
                             timezone=TIMEZONE) as store:
                out[dev.code] = store.order_totals()
        except (EdgeError, sqlite3.Error):
            continue
    return out


def device_totals(devices: Iterable[DemoDevice]) -> Totals:
    """Each kiosk's own totals, read from its device store (0 for one that cannot be read)."""
    devices = list(devices)
    read = _read_devices(devices)
    return {d.code: read.get(d.code, (0, 0)) for d in devices}


def _read_hub(hub_db: Path) -> Totals | None:
    """Orders the hub has committed per device code; None when the database cannot be read."""
    try:
        conn = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute(
            "SELECT d.code, count(*), coalesce(sum(o.total_cents), 0) FROM orders o"
            " JOIN device d ON d.id = o.device_id GROUP BY d.code").fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return {str(code): (int(n), int(c)) for code, n, c in rows}


def hub_totals(hub_db: Path) -> Totals:
    """Orders the hub has committed, per device code (read-only on the hub's SQLite file)."""
    return _read_hub(hub_db) or {}


def bumped_at_hub(hub_db: Path) -> int:
    """Tickets the hub's tracking has seen bumped (ready), 0 when it cannot tell."""
    try:
        conn = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return 0
    try:
        (n,) = conn.execute(
            "SELECT count(*) FROM order_track_event WHERE state = 'ready'").fetchone()
        return int(n)
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


@dataclass(frozen=True)
class CounterLine:
    """One line of the live counter."""

    placed: int
    placed_cents: int
    ingested: int
    ingested_cents: int
    bumped: int
    stale: bool = False

    def __str__(self) -> str:
        """`kiosks placed 12 (￥345.00) · hub ingested 11 (￥320.00) · tickets ready at hub 8`."""
        line = (f"kiosks placed {self.placed} (￥{self.placed_cents / 100:.2f}) · "
                f"hub ingested {self.ingested} (￥{self.ingested_cents / 100:.2f}) · "
                f"tickets ready at hub {self.bumped}")
        return line + (" (a store was busy: its last reading shown)" if self.stale else "")


class LiveCounter:
    """Reads both sides each time; a side it cannot read keeps its last reading (flagged)."""

    def __init__(self, kiosks: Iterable[DemoDevice], hub_db: Path) -> None:
        self.kiosks = list(kiosks)
        self.hub_db = hub_db
        self._dev: Totals = {}
        self._hub: Totals = {}
        self._bumped = 0

    def read(self) -> CounterLine:
        """One line from the device stores and the hub's database as they are now."""
        codes = [k.code for k in self.kiosks]
        dev = _read_devices(self.kiosks)
        hub = _read_hub(self.hub_db)
        stale = hub is None or any(c not in dev for c in codes)
        self._dev.update(dev)
        if hub is not None:
            self._hub = hub
            self._bumped = bumped_at_hub(self.hub_db) or self._bumped
        zero = (0, 0)
        return CounterLine(
            sum(self._dev.get(c, zero)[0] for c in codes),
            sum(self._dev.get(c, zero)[1] for c in codes),
            sum(self._hub.get(c, zero)[0] for c in codes),
            sum(self._hub.get(c, zero)[1] for c in codes),
            self._bumped, stale,
        )


def counter_line(kiosks: Iterable[DemoDevice], hub_db: Path) -> CounterLine:
    """Sum both sides over the demo kiosks (one reading)."""
    return LiveCounter(kiosks, hub_db).read()
