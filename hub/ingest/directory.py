"""What the writer looks up at the hub: sites, devices, dishes and members, cached briefly."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.db_sets import chunks, in_set
from hub.models import Device, Dish, Member, Site

# Long enough to spare the database a lookup per message, short enough that a
# device deactivated by an admin is refused within the minute.
CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A registered device and its site, as ingest needs them."""

    device_id: int
    site_id: int
    site_code: str
    tz: ZoneInfo
    active: bool


@dataclass(frozen=True, slots=True)
class HubDish:
    """A dish's hub-side price, for re-pricing ingested orders."""

    dish_id: int
    category: str
    price_cents: int
    member_price_cents: int | None


class Directory:
    """Cached lookups by code; an unknown code is asked again every time (it may be registered)."""

    def __init__(self, *, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._devices: dict[tuple[str, str], KnownDevice] = {}
        self._dishes: dict[str, HubDish] = {}
        self._loaded_at = 0.0

    def _expire(self) -> None:
        if time.monotonic() - self._loaded_at > self.ttl:
            self._devices.clear()
            self._dishes.clear()
            self._loaded_at = time.monotonic()

    def devices(self, conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[
        tuple[str, str], KnownDevice
    ]:
        """(site code, device code) -> KnownDevice for those registered at the hub."""
        self._expire()
        missing = {k for k in keys if k not in self._devices}
        if missing:
            codes = {device for _, device in missing}
            dev, site = Device.__table__.c, Site.__table__.c  # type: ignore[attr-defined]
            rows = conn.execute(
                sa.select(dev.id, dev.code, dev.active, site.id, site.code, site.timezone)
                .join_from(dev.id.table, site.id.table, dev.site_id == site.id)
                .where(dev.code.in_(codes))
            )
            for dev_id, dev_code, active, site_id, site_code, tz in rows:
                self._devices[(site_code, dev_code)] = KnownDevice(
                    dev_id, site_id, site_code, ZoneInfo(tz), bool(active)
                )
        return {k: self._devices[k] for k in keys if k in self._devices}

    def dishes(self, conn: Connection, codes: Iterable[str]) -> dict[str, HubDish]:
        """Dish code -> HubDish for the codes the hub knows."""
        self._expire()
        missing = {c for c in codes if c not in self._dishes}
        if missing:
            d = Dish.__table__.c  # type: ignore[attr-defined]
            rows = conn.execute(
                sa.select(d.id, d.code, d.category, d.price_cents, d.member_price_cents)
                .where(d.code.in_(missing))
            )
            for dish_id, code, category, price, member_price in rows:
                self._dishes[code] = HubDish(dish_id, category, price, member_price)
        return {c: self._dishes[c] for c in codes if c in self._dishes}

    @staticmethod
    def members(conn: Connection, numbers: Iterable[str]) -> dict[str, int]:
        """Member number -> member row id (not cached: members come and go)."""
        wanted = set(numbers)
        if not wanted:
            return {}
        m = Member.__table__.c  # type: ignore[attr-defined]
        found: dict[str, int] = {}
        for chunk in chunks(conn, sorted(wanted)):
            rows = conn.execute(sa.select(m.member_no, m.id)
                                .where(in_set(conn, m.member_no, chunk)))
            found.update((str(no), int(mid)) for no, mid in rows)
        return found
