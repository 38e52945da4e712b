"""The admin shell's landing page: a few counts a manager checks first thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.db_types import utcnow
from hub.models import Device, Dish, Member, Order, Site


@dataclass(frozen=True)
class DashboardCounts:
    """What the dashboard shows."""

    dishes: int
    dishes_on_sale: int
    members: int
    sites: int
    devices: int
    orders_today: int


def local_midnight_utc(now: datetime, zone: str) -> datetime:
    """The start of ``now``'s day in ``zone``, as an aware UTC datetime."""
    tz = ZoneInfo(zone)
    local_day = now.astimezone(tz).date()
    return datetime.combine(local_day, time(0), tzinfo=tz).astimezone(UTC)


def dashboard_counts(engine: Engine, *, now: datetime | None = None) -> DashboardCounts:
    """Count the catalogue, people, places and today's orders (each site's own today)."""
    now = now or utcnow()

    def count(session: Session, *where: object, model: type) -> int:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)  # type: ignore[arg-type]
        return int(session.execute(stmt).scalar_one())

    with Session(engine) as session:
        orders_today = 0
        # "Today" is local to each canteen: a hub may serve sites in several time zones.
        for site in session.execute(select(Site)).scalars():
            since = local_midnight_utc(now, site.timezone)
            orders_today += count(
                session, Order.site_id == site.id, Order.placed_at >= since, model=Order
            )
        return DashboardCounts(
            dishes=count(session, model=Dish),
            dishes_on_sale=count(session, Dish.active.is_(True), model=Dish),  # type: ignore[attr-defined]
            members=count(session, model=Member),
            sites=count(session, model=Site),
            devices=count(session, model=Device),
            orders_today=orders_today,
        )
