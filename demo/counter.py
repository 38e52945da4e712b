"""Orders placed at the kiosks vs orders the hub has ingested, for the live counter line."""

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


def device_totals(devices: Iterable[DemoDevice]) -> Totals:
    """Each kiosk's own totals, read from its device store."""
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
            out[dev.code] = (0, 0)
    return out


def hub_totals(hub_db: Path) -> Totals:
    """Orders the hub has committed, per device code (read-only on the hub's SQLite file)."""
    try:
        conn = sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute(
            "SELECT d.code, count(*), coalesce(sum(o.total_cents), 0) FROM orders o"
            " JOIN device d ON d.id = o.device_id GROUP BY d.code").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {str(code): (int(n), int(c)) for code, n, c in rows}


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

    def __str__(self) -> str:
        """`placed 12 (￥345.00) · hub ingested 11 (￥320.00) · bumped at hub 8`."""
        return (f"kiosks placed {self.placed} (￥{self.placed_cents / 100:.2f}) · "
                f"hub ingested {self.ingested} (￥{self.ingested_cents / 100:.2f}) · "
                f"tickets ready at hub {self.bumped}")


def counter_line(kiosks: Iterable[DemoDevice], hub_db: Path) -> CounterLine:
    """Sum both sides over the demo kiosks."""
    kiosks = list(kiosks)
    dev = device_totals(kiosks)
    hub = hub_totals(hub_db)
    codes = [k.code for k in kiosks]
    return CounterLine(
        sum(dev[c][0] for c in codes), sum(dev[c][1] for c in codes),
        sum(hub.get(c, (0, 0))[0] for c in codes), sum(hub.get(c, (0, 0))[1] for c in codes),
        bumped_at_hub(hub_db),
    )
