"""Kitchen test helpers: orders and events built with the real protocol models, a stand-in
for the hub's tracking ingest, and conditions to wait on."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from demo.broker import PrivateBroker
from edge_agent.kitchen.link import display_topic
from hub.tracking.service import record
from protocol import Envelope, make_envelope, new_order_id
from protocol.payloads.kitchen import OrderStateChanged

T0 = datetime(2025, 3, 1, 4, 30, tzinfo=UTC)


def draft(*lines: tuple[str, str, str, str, int], member: str | None = None,
          notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """An order draft for DeviceStore.record_order: lines of (dish, zh, en, station, qty);
    ``notes`` are the lines' notes, in order (missing ones are left out)."""
    out: list[dict[str, Any]] = []
    total = 0
    for i, (dish, zh, en, station, qty) in enumerate(lines):
        line: dict[str, Any] = {"dish_id": dish, "name_zh": zh, "name_en": en, "qty": qty,
                                "unit_price_cents": 500, "line_total_cents": 500 * qty,
                                "station": station, "modifiers": []}
        if i < len(notes) and notes[i]:
            line["note"] = notes[i]
        out.append(line)
        total += 500 * qty
    return {"meal_period": "lunch", "member_id": member, "lines": out,
            "subtotal_cents": total, "total_cents": total,
            "payments": [{"method": "stored_value", "amount_cents": total}], "paid": True}


LUNCH = (
    ("kung-pao-chicken", "宫保鸡丁", "Kung Pao Chicken", "wok", 2),
    ("beef-noodles", "红烧牛肉面", "Braised Beef Noodles", "noodles", 1),
)


def state(order_id: str, state: str, minutes: float, station: str | None = None,
          stations: tuple[str, ...] = ("wok", "noodles"), device: str = "kds-1",
          order_no: str = "A001", recall: bool = False) -> Envelope:
    """An order.state envelope ``minutes`` after T0 (``recall``: a cook's recall)."""
    ev = OrderStateChanged(order_id=order_id, order_no=order_no, state=state,
                           at=T0 + timedelta(minutes=minutes), station=station,
                           stations=stations, recall=recall)
    return make_envelope("order.state", ev, site="site-1", device=device)


def placed(order_id: str | None = None, order_no: str = "A001",
           placed_at: datetime = T0) -> Envelope:
    """An order.placed envelope (at T0 unless given) with a wok and a noodles line."""
    d = draft(*LUNCH)
    payload = {**d, "order_id": order_id or new_order_id(), "order_no": order_no,
               "placed_at": placed_at}
    return make_envelope("order.placed", payload, site="site-1", device="kiosk-1")


STATION_NAMES = (("wok", "炒锅", "Wok"), ("noodles", "面档", "Noodle Bar"))


def named_catalog(version: int = 1, stations: tuple[tuple[str, str, str], ...] = STATION_NAMES
                  ) -> Any:
    """A catalog with the LUNCH dishes and bilingual station names, as the hub sends it."""
    from protocol import CatalogSnapshot

    return CatalogSnapshot.model_validate({
        "version": version, "generated_at": T0, "meal_periods": [],
        "dishes": [{"id": d, "name_zh": zh, "name_en": en, "category": "hot",
                    "price_cents": 500, "station": st} for d, zh, en, st, _ in LUNCH],
        "stations": [{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in stations],
    })

class HubTracker:
    """Stands in for the ingest dispatch: applies kitchen events to the hub tracking tables."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def apply_envelope(self, env: Envelope) -> bool:
        with self.engine.begin() as conn:
            return record(conn, [env]).new > 0

    def close(self) -> None:
        pass


def wait_online(broker: PrivateBroker, device: str, timeout: float = 30.0) -> None:
    """Until the kitchen device's retained presence says online (its subscription exists)."""
    from paho.mqtt import subscribe

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = subscribe.simple(display_topic("site-1", device), hostname=broker.host,
                               port=broker.port, retained=True)
        if b'"online"' in bytes(msg.payload):
            return
        time.sleep(0.1)
    raise AssertionError(f"{device} never came online")


def resent_everything(*stores: Path, times: int = 3) -> bool:
    """Whether every event queued in these device stores was published at least `times` times.

    With no hub on the site nothing is acknowledged, so the agents keep re-sending: once this
    holds, the displays have been handed every replay at least twice.
    """
    for db in stores:
        conn = sqlite3.connect(db, timeout=10)
        try:
            low = conn.execute("SELECT min(attempts) FROM outbox").fetchone()[0]
        finally:
            conn.close()
        if low is not None and low < times:
            return False
    return True
