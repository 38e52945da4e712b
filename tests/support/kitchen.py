"""Orders and events for the kitchen tests, built with the real protocol models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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
