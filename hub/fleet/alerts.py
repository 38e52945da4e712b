"""Fleet alerts: offline during opening hours, printer out of paper, outbox growing, clock skew.

``evaluate`` compares every device's latest state with the rules and opens an alert when
one starts to hold (one open alert per device and kind) and closes it when it stops.
Opening hours are the site's meal periods in its own time zone: a kiosk switched off at
night is not an alert, one that drops off the network at lunch is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.db_types import utcnow
from hub.fleet.health import OFFLINE, as_utc
from hub.models.devices import Device
from hub.models.fleet_health import DeviceState, FleetAlert, HeartbeatBucket
from hub.models.sites import MealPeriod, Site

T_ALERT = FleetAlert.__table__  # type: ignore[attr-defined]
T_STATE = DeviceState.__table__  # type: ignore[attr-defined]
T_BUCKET = HeartbeatBucket.__table__  # type: ignore[attr-defined]
T_DEVICE = Device.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]
T_PERIOD = MealPeriod.__table__  # type: ignore[attr-defined]

KINDS = ("offline", "paper_out", "outbox_growing", "clock_skew")


@dataclass(frozen=True)
class Thresholds:
    """When a condition becomes an alert."""

    offline_s: int = 300
    skew_s: int = 120
    oldest_unsent_s: int = 900
    growing_buckets: int = 3  # queue grew across this many 5-minute buckets in a row


def in_period(now_local: time, start: time, end: time) -> bool:
    """Whether a local time falls in a window that may cross midnight."""
    if start <= end:
        return start <= now_local < end
    return now_local >= start or now_local < end


def open_sites(conn: Connection, now: datetime) -> set[int]:
    """Ids of the sites inside one of their meal periods at ``now``."""
    periods: dict[int, list[tuple[time, time]]] = {}
    for row in conn.execute(sa.select(T_PERIOD.c.site_id, T_PERIOD.c.start, T_PERIOD.c.end)):
        periods.setdefault(row.site_id, []).append((row.start, row.end))
    out = set()
    for site_id, tz in conn.execute(sa.select(T_SITE.c.id, T_SITE.c.timezone)):
        local = now.astimezone(ZoneInfo(tz)).time()
        if any(in_period(local, s, e) for s, e in periods.get(site_id, [])):
            out.add(site_id)
    return out


def _growing(conn: Connection, device_id: int, n: int) -> bool:
    rows = conn.execute(
        sa.select(T_BUCKET.c.queue_last).where(T_BUCKET.c.device_id == device_id)
        .order_by(T_BUCKET.c.bucket_start.desc()).limit(n)
    ).scalars().all()
    if len(rows) < n:
        return False
    rows = list(reversed(rows))
    return all(b > a for a, b in itertools.pairwise(rows))


def conditions(conn: Connection, now: datetime, th: Thresholds) -> dict[tuple[int, str], str]:
    """(device id, kind) -> detail, for every alert condition holding now."""
    open_now = open_sites(conn, now)
    out: dict[tuple[int, str], str] = {}
    rows = conn.execute(
        sa.select(T_STATE, T_DEVICE.c.site_id)
        .join(T_DEVICE, T_DEVICE.c.id == T_STATE.c.device_id)
        .where(T_DEVICE.c.active)
    ).mappings()
    for r in rows:
        dev = r["device_id"]
        since = as_utc(r["presence_since"])
        last = as_utc(r["heartbeat_at"])
        offline = r["presence"] == OFFLINE
        if offline and since is not None and now - since >= timedelta(seconds=th.offline_s) \
                and r["site_id"] in open_now:
            out[(dev, "offline")] = f"offline since {since:%Y-%m-%d %H:%M} UTC"
        if r["printer"] == "paper_out" and not offline:
            out[(dev, "paper_out")] = "receipt printer out of paper"
        age = r["oldest_unsent_age_s"]
        if (age is not None and age >= th.oldest_unsent_s) or _growing(
                conn, dev, th.growing_buckets):
            out[(dev, "outbox_growing")] = (
                f"{r['queue_depth']} events waiting, oldest {age or 0} s")
        skew = r["clock_skew_s"]
        if skew is not None and abs(skew) >= th.skew_s and last is not None:
            out[(dev, "clock_skew")] = f"device clock off by {skew} s"
    return out


def evaluate(conn: Connection, *, now: datetime | None = None,
             thresholds: Thresholds | None = None) -> tuple[int, int]:
    """Open alerts whose condition started, close those that ended; (opened, closed)."""
    now = now or utcnow()
    holding = conditions(conn, now, thresholds or Thresholds())
    current = {(r.device_id, r.kind): r.id for r in conn.execute(
        sa.select(T_ALERT.c.id, T_ALERT.c.device_id, T_ALERT.c.kind)
        .where(T_ALERT.c.closed_at.is_(None)))}
    new = [{"device_id": d, "kind": k, "detail": detail[:300], "opened_at": now}
           for (d, k), detail in sorted(holding.items()) if (d, k) not in current]
    if new:
        conn.execute(sa.insert(T_ALERT), new)
    ended = [aid for key, aid in current.items() if key not in holding]
    if ended:
        conn.execute(sa.update(T_ALERT).where(T_ALERT.c.id.in_(ended)).values(closed_at=now))
    return len(new), len(ended)


def open_alerts(conn: Connection, *, device_id: int | None = None) -> list[dict[str, Any]]:
    """Open alerts, newest first (of one device when given)."""
    stmt = sa.select(T_ALERT).where(T_ALERT.c.closed_at.is_(None))
    if device_id is not None:
        stmt = stmt.where(T_ALERT.c.device_id == device_id)
    return [dict(r) for r in conn.execute(stmt.order_by(T_ALERT.c.opened_at.desc())).mappings()]
