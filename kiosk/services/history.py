"""Queries over this device's own order history: popularity, kitchen queue, the last meal.

Defined here, in the kiosk, on purpose: they are the kiosk's questions, read-only, over
tables the device store owns (``orders.payload`` is the OrderPlaced JSON).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from edge_agent.store import DeviceStore


@dataclass(frozen=True)
class PastOrder:
    """A member's earlier order, for the "how was your last meal?" prompt."""

    order_id: str
    order_no: str
    placed_at: datetime


class OrderHistory:
    """Read-only queries on the device store's orders and feedback tables."""

    def __init__(self, store: DeviceStore, timezone: str) -> None:
        """Use the store's connection (same thread as the controllers)."""
        self.store = store
        self.tz = ZoneInfo(timezone)

    def popularity(self, period: str, weekday: int | None = None, days: int = 56,
                   now: datetime | None = None) -> Counter[str]:
        """Units sold per dish in this meal period (optionally one local weekday, Mon=0)."""
        since = ((now or datetime.now(UTC)) - timedelta(days=days)).astimezone(UTC).isoformat()
        rows = self.store.conn.execute(
            "SELECT o.placed_at, json_extract(l.value, '$.dish_id'), json_extract(l.value, '$.qty')"
            " FROM orders o, json_each(o.payload, '$.lines') l"
            " WHERE json_extract(o.payload, '$.meal_period') = ? AND o.placed_at >= ?",
            (period, since),
        )
        counts: Counter[str] = Counter()
        for placed_at, dish_id, qty in rows:
            if weekday is not None:
                local = datetime.fromisoformat(placed_at).astimezone(self.tz)
                if local.weekday() != weekday:
                    continue
            counts[str(dish_id)] += int(qty)
        return counts

    def orders_per_station(self, since: datetime) -> Counter[str]:
        """How many orders placed since ``since`` have a line for each station."""
        rows = self.store.conn.execute(
            "SELECT DISTINCT o.order_id, json_extract(l.value, '$.station')"
            " FROM orders o, json_each(o.payload, '$.lines') l WHERE o.placed_at >= ?",
            (since.astimezone(UTC).isoformat(),),
        )
        return Counter(str(station) for _order, station in rows)

    def order_dishes(self, order_id: str) -> list[tuple[str, str, str]]:
        """(dish id, name zh, name en) of each dish of an order on this device, once each."""
        rows = self.store.conn.execute(
            "SELECT json_extract(l.value, '$.dish_id'), json_extract(l.value, '$.name_zh'),"
            " json_extract(l.value, '$.name_en') FROM orders o, json_each(o.payload, '$.lines') l"
            " WHERE o.order_id = ? ORDER BY l.key",
            (order_id,),
        )
        seen: dict[str, tuple[str, str, str]] = {}
        for dish_id, zh, en in rows:
            seen.setdefault(str(dish_id), (str(dish_id), str(zh), str(en)))
        return list(seen.values())

    def last_unrated_order(self, member_id: str) -> PastOrder | None:
        """The member's latest order on this device if it has no feedback yet."""
        row = self.store.conn.execute(
            "SELECT order_id, order_no, placed_at FROM orders WHERE member_id = ?"
            " ORDER BY placed_at DESC LIMIT 1",
            (member_id,),
        ).fetchone()
        if row is None:
            return None
        rated = self.store.conn.execute(
            "SELECT 1 FROM feedback WHERE json_extract(payload, '$.order_id') = ? LIMIT 1",
            (row[0],),
        ).fetchone()
        if rated is not None:
            return None
        return PastOrder(str(row[0]), str(row[1]), datetime.fromisoformat(row[2]))


def estimate_ready(
    history: OrderHistory,
    stations: set[str],
    now: datetime,
    station_minutes: dict[str, float],
    default_minutes: float,
    window_minutes: float = 15.0,
) -> datetime:
    """Ready time: for each station of the order, (orders for it in the last window, this
    one included) x that station's average minutes; the slowest station decides.

    Simple on purpose: the kiosk does not know what the kitchen has finished, so orders
    older than the window count as served.
    """
    queue = history.orders_per_station(now - timedelta(minutes=window_minutes))
    minutes = max(
        (max(queue.get(s, 0), 1) * station_minutes.get(s, default_minutes) for s in stations),
        default=default_minutes,
    )
    return now + timedelta(minutes=minutes)
