"""A small, deterministic CRM history: one site, a few dishes, members with known habits.

Each member is built so that exactly the shipped rules named in ``EXPECTED`` tag them at
``AT`` (frozen time), which the CRM tests check on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.models import Dish, Member, Order, OrderLine, OrderLineModifier, Site
from hub.models.accounts import MemberAccount
from hub.settings import Settings
from tests.support.hub_db import migrated_engine

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday; 20:00 in Shanghai
SHANGHAI = timedelta(hours=8)
DISHES = {  # code -> (category, station, tags)
    "mapo-tofu": ("meat", "hot", ["spicy"]),
    "kung-pao": ("meat", "hot", ["spicy"]),
    "rice": ("staple", "main", []),
    "mango-pudding": ("snack", "snack", ["dessert"]),
    "greens": ("vegetable", "main", ["vegan"]),
}


@dataclass
class History:
    """Ids of what was inserted, by name."""

    site_id: int = 0
    dishes: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    orders: dict[str, list[str]] = field(default_factory=dict)


def _local(day_offset: int, hour: int) -> datetime:
    """A UTC time ``day_offset`` days before AT's local day, at ``hour`` local time."""
    local_day = (AT + SHANGHAI).date() - timedelta(days=day_offset)
    return datetime(local_day.year, local_day.month, local_day.day, hour, tzinfo=UTC) - SHANGHAI


def _weekend(d: datetime) -> bool:
    return (d + SHANGHAI).weekday() >= 5


def build(conn: Connection) -> History:
    """Insert the history; returns the ids."""
    h = History()
    h.site_id = conn.execute(sa.insert(Site.__table__).values(  # type: ignore[attr-defined]
        code="crm-site", name_zh="测试食堂", name_en="Test canteen", timezone="Asia/Shanghai",
        active=True, created_at=AT - timedelta(days=400)).returning(
        Site.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
    for code, (cat, station, tags) in DISHES.items():
        h.dishes[code] = conn.execute(sa.insert(Dish.__table__).values(  # type: ignore[attr-defined]
            code=code, name_zh=code, name_en=code, description_zh="", description_en="",
            category=cat, price_cents=1000, tags=tags, allergens=[], station=station,
            active=True, created_at=AT - timedelta(days=400),
        ).returning(Dish.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]

    def member(name: str, **kw: Any) -> int:
        values = {"member_no": f"M-{name}", "name": name, "dietary_preferences": [],
                  "allergens": [], "active": True, "created_at": AT - timedelta(days=400)}
        values.update(kw)
        mid = conn.execute(sa.insert(Member.__table__).values(**values)  # type: ignore[attr-defined]
                           .returning(Member.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
        h.members[name] = mid
        h.orders[name] = []
        return int(mid)

    def order(name: str, placed: datetime, dishes: list[str], *, period: str = "lunch",
              total: int = 1500, modifiers: tuple[str, ...] = ()) -> None:
        oid = str(uuid.uuid4())
        conn.execute(sa.insert(Order.__table__).values(  # type: ignore[attr-defined]
            id=oid, order_no=f"A{len(h.orders[name]):03d}", site_id=h.site_id,
            member_id=h.members[name], placed_at=placed, meal_period=period,
            subtotal_cents=total, discount_cents=0, total_cents=total, paid=True,
            offline=False, received_at=placed))
        for n, code in enumerate(dishes, 1):
            line_id = conn.execute(sa.insert(OrderLine.__table__).values(  # type: ignore[attr-defined]
                order_id=oid, line_no=n, dish_id=h.dishes[code], dish_code=code, name_zh=code,
                name_en=code, qty=1, unit_price_cents=total // len(dishes),
                line_total_cents=total // len(dishes), station=DISHES[code][1],
            ).returning(OrderLine.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
            if n == 1:
                for mod in modifiers:
                    conn.execute(sa.insert(OrderLineModifier.__table__).values(  # type: ignore[attr-defined]
                        order_line_id=line_id, code=mod, name_zh=mod, name_en=mod,
                        price_delta_cents=0))
        h.orders[name].append(oid)

    # regular: 14 weekday lunches in the last 30 days, plain food; gold tier, dept "IT".
    member("regular", department="IT")
    weekdays = [o for o in range(1, 30) if not _weekend(_local(o, 12))][:14]
    for o in weekdays:
        order("regular", _local(o, 12), ["rice", "greens"], total=1200)
    # spicy: a spicy dish in each of the last three orders (an older plain one before).
    member("spicy")
    order("spicy", _local(21, 12), ["rice"], total=800)
    for o in (9, 7, 3):
        order("spicy", _local(o, 12), ["mapo-tofu", "rice"], total=1400)
    # weekend: five weekend dinners over the last 60 days.
    member("weekend")
    sat_sun = [o for o in range(1, 60) if _weekend(_local(o, 18))][:5]
    for o in sat_sun:
        order("weekend", _local(o, 18), ["greens"], period="dinner", total=1300)
    # sweet: four of five recent orders with a dessert.
    member("sweet")
    for i, o in enumerate((25, 20, 15, 10, 5)):
        order("sweet", _local(o, 15), ["mango-pudding"] if i else ["rice"],
              period="afternoon", total=900)
    # whale: few, very large orders -> top 20 % by 90-day spend.
    member("whale", department="Sales")
    for o in (40, 20):
        order("whale", _local(o, 19), ["kung-pao", "rice"], period="dinner", total=30000)
    # fading: came almost daily 31-120 days ago, only once in the last 30.
    member("fading")
    for o in range(35, 115, 4):
        order("fading", _local(o, 12), ["rice"], total=1000)
    order("fading", _local(10, 12), ["rice"], total=1000)
    # newbie: first visit 5 days ago; birthday in March.
    member("newbie", birthday=date(1999, 3, 2))
    order("newbie", _local(5, 12), ["greens"], total=800)
    # herbless: "no coriander" on three orders (the kiosk's group_choice form once).
    member("herbless")
    for o, mod in ((50, "no_coriander"), (30, "herbs_no_coriander"), (12, "no_coriander")):
        order("herbless", _local(o, 12), ["rice"], total=1000, modifiers=(mod,))
    # dormant: one visit long ago; never tagged by anything; tier silver.
    member("dormant", department="IT")
    order("dormant", _local(200, 12), ["rice"], total=1000)
    # guest orders (no member) exist too and must never count.
    conn.execute(sa.insert(Order.__table__).values(  # type: ignore[attr-defined]
        id=str(uuid.uuid4()), order_no="G1", site_id=h.site_id, member_id=None,
        placed_at=_local(2, 12), meal_period="lunch", subtotal_cents=500, discount_cents=0,
        total_cents=500, paid=True, offline=False, received_at=_local(2, 12)))
    acc = MemberAccount.__table__  # type: ignore[attr-defined]
    conn.execute(sa.insert(acc), [
        {"member_id": h.members["regular"], "tier_code": "gold", "updated_at": AT},
        {"member_id": h.members["dormant"], "tier_code": "silver", "updated_at": AT},
    ])
    return h


# A rule matching "regular" (14 visits) and "fading" (21) whatever today's date: the history
# is older than a month, so pages that evaluate at the real now can still show matches.
LONG_WINDOW_RULE = ('{"kind": "metric", "metric": "visits", "window_days": 3000, "op": ">=",'
                    ' "value": 10}')

EXPECTED = {  # rule code -> the members it tags at AT
    "monthly_regular": {"regular"},
    "likes_spicy": {"spicy"},
    "weekday_lunch_regular": {"regular"},
    "weekend_diner": {"weekend"},
    "dessert_lover": {"sweet"},
    "big_spender": {"whale"},
    "churn_risk": {"fading"},
    "new_member": {"newbie"},
    "birthday_month": {"newbie"},
    "no_coriander": {"herbless"},
}


@contextmanager
def backend_engine(backend: str, directory: Path) -> Iterator[Engine]:
    """A migrated hub database on SQLite (in ``directory``) or in a private PostgreSQL
    schema (dropped afterwards; the test is skipped when PostgreSQL is not there)."""
    if backend == "sqlite":
        engine = migrated_engine(directory)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    from tests.conftest import PG_DSN, PG_URL, postgres_reachable

    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(_env_file=None, data_dir=directory, database_url=PG_URL,
                        db_schema=schema, demo_mode=True)
    engine = make_engine(settings)
    try:
        upgrade_to_head(engine, schema=schema)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
