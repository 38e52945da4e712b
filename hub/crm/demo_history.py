"""The demo's CRM personas: a few members whose orders make every shipped rule tag someone.

The demo's general history (hub.recommend.history, 28 days for every seeded member) is too
short for a churn pattern and holds no modifiers or dessert habits, so this adds eight new
members, each with a plain, believable history ending ``now`` at one site of the demo:
a weekday-lunch regular, a spicy-food fan, a weekend diner, a dessert lover, a big spender,
a fading regular (churn risk), a new member with a birthday this month, and a diner who
always asks for no coriander. Dishes come from the site's own catalogue (by their tags,
category or station). Nothing is written when the personas exist already; run it after the
general history (which leaves members created later alone). ``canteen-hub crm demo-history``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from hub.analytics.rollups import add_orders as add_to_rollups
from hub.db_types import utcnow
from hub.models import Dish, Member, Order, OrderLine, OrderLineModifier, Site

DishRow = Any  # a catalogue row: id, code, name_zh, name_en, price_cents, station, tags, category


@dataclass(frozen=True)
class Persona:
    """One demo member and the shape of their orders."""

    no: str
    name: str
    department: str


PERSONAS = (
    Persona("CRM0001", "周常乐", "财务部"),
    Persona("CRM0002", "辣小川", "研发部"),
    Persona("CRM0003", "孙周末", "安保部"),
    Persona("CRM0004", "甜甜", "市场部"),
    Persona("CRM0005", "钱多多", "销售部"),
    Persona("CRM0006", "林渐远", "研发部"),
    Persona("CRM0007", "白新新", "人事部"),
    Persona("CRM0008", "江不香", "行政部"),
)


def catalogue_dishes(conn: Connection) -> dict[str, list[DishRow]]:
    """The site catalogue's active dishes by kind: spicy, dessert, mild, staple, noodles."""
    d = Dish.__table__  # type: ignore[attr-defined]
    rows = conn.execute(sa.select(d.c.id, d.c.code, d.c.name_zh, d.c.name_en, d.c.price_cents,
                                  d.c.station, d.c.tags, d.c.category)
                        .where(d.c.active.is_(True)).order_by(d.c.code)).all()

    def pick(test: Callable[[DishRow], bool]
             ) -> list[DishRow]:
        return [r for r in rows if test(r)]

    return {
        "spicy": pick(lambda r: "spicy" in (r.tags or [])),
        "dessert": pick(lambda r: "dessert" in (r.tags or []) or r.category == "dessert"),
        "mild": pick(lambda r: r.category in ("meat", "vegetable")
                     and "spicy" not in (r.tags or [])),
        "staple": pick(lambda r: r.category == "staple"),
        "noodles": pick(lambda r: r.category == "noodles"),
    }


def seed_crm_personas(engine: Engine, site_code: str, *, now: datetime | None = None) -> int:
    """Write the personas and their orders at ``site_code``; the number of orders written
    (0 when they exist already). Raises LookupError for an unknown site or a catalogue
    without the dishes the personas need."""
    now = now or utcnow()
    with engine.begin() as conn:
        s = Site.__table__  # type: ignore[attr-defined]
        site = conn.execute(sa.select(s.c.id, s.c.timezone).where(s.c.code == site_code)).first()
        if site is None:
            raise LookupError(f"no site {site_code!r}")
        m = Member.__table__  # type: ignore[attr-defined]
        if conn.execute(sa.select(m.c.id).where(m.c.member_no == PERSONAS[0].no)).first():
            return 0
        dishes = catalogue_dishes(conn)
        missing = [k for k, v in dishes.items() if not v]
        if missing:
            raise LookupError(f"the catalogue has no {', '.join(missing)} dishes")
        return _write(conn, int(site.id), ZoneInfo(site.timezone), now, dishes)


def _write(conn: Connection, site_id: int, tz: ZoneInfo, now: datetime,
           dishes: dict[str, list[DishRow]]) -> int:
    today = now.astimezone(tz).date()
    m = Member.__table__  # type: ignore[attr-defined]
    template = conn.execute(sa.select(m.c.employer, m.c.organisation_id)
                            .where(m.c.employer.is_not(None)).order_by(m.c.id)).first()
    ids: dict[str, int] = {}
    for p in PERSONAS:
        birthday = (date(1996, today.month, min(today.day, 28)) if p.no == "CRM0007"
                    else date(1988, (today.month + 5) % 12 + 1, 11))
        ids[p.no] = conn.execute(sa.insert(m).values(
            member_no=p.no, name=p.name, department=p.department,
            employer=template.employer if template else None,
            organisation_id=template.organisation_id if template else None,
            birthday=birthday, dietary_preferences=[], allergens=[], active=True,
            consent_data_at=now - timedelta(days=200),
            consent_marketing_at=now - timedelta(days=200),
            created_at=now - timedelta(days=200)).returning(m.c.id)).scalar_one()
    written = 0

    def order(no: str, days_ago: int, hour: int, picked: Sequence[DishRow],
              modifier: bool = False) -> None:
        nonlocal written
        day = today - timedelta(days=days_ago)
        placed = datetime(day.year, day.month, day.day, hour, 10 + written % 40,
                          tzinfo=tz).astimezone(UTC)
        period = "breakfast" if hour < 10 else "lunch" if hour < 15 else "dinner"
        total = sum(int(d.price_cents) for d in picked)
        oid = str(uuid.uuid4())
        conn.execute(sa.insert(Order.__table__).values(  # type: ignore[attr-defined]
            id=oid, order_no=f"C{written:05d}", site_id=site_id, member_id=ids[no],
            placed_at=placed, meal_period=period, subtotal_cents=total, discount_cents=0,
            total_cents=total, paid=True, offline=False, received_at=placed))
        for n, d in enumerate(picked, start=1):
            line = conn.execute(sa.insert(OrderLine.__table__).values(  # type: ignore[attr-defined]
                order_id=oid, line_no=n, dish_id=d.id, dish_code=d.code, name_zh=d.name_zh,
                name_en=d.name_en, qty=1, unit_price_cents=d.price_cents,
                line_total_cents=d.price_cents, station=d.station,
            ).returning(OrderLine.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
            if modifier and n == 1:
                conn.execute(sa.insert(OrderLineModifier.__table__).values(  # type: ignore[attr-defined]
                    order_line_id=line, code="no_coriander", name_zh="不要香菜",
                    name_en="No coriander", price_delta_cents=0))
        written += 1
        # The dashboard's sales rollups, as ingest keeps them for the orders it stores.
        add_to_rollups(conn, [{"id": oid, "site_id": site_id, "placed_at": placed,
                               "meal_period": period, "total_cents": total}],
                       [{"order_id": oid, "dish_code": d.code, "station": d.station,
                         "qty": 1, "line_total_cents": int(d.price_cents), "dish_id": d.id,
                         "name_zh": d.name_zh, "name_en": d.name_en} for d in picked],
                       [], {site_id: tz})

    def nth(kind: str, i: int) -> DishRow:
        return dishes[kind][i % len(dishes[kind])]

    def weekday(days_ago: int) -> bool:
        return (today - timedelta(days=days_ago)).weekday() < 5

    # A weekday-lunch regular: 14 weekday lunches in the last 30 days.
    for i, ago in enumerate([a for a in range(1, 30) if weekday(a)][:14]):
        order("CRM0001", ago, 12, [nth("mild", i), nth("staple", 0)])
    # A spicy-food fan: the last three orders each with a spicy dish.
    order("CRM0002", 20, 12, [nth("mild", 3), nth("staple", 0)])
    for i, ago in enumerate((9, 6, 2)):
        order("CRM0002", ago, 12, [nth("spicy", i), nth("staple", 0)])
    # A weekend diner: five weekend dinners in the last 60 days.
    for i, ago in enumerate([a for a in range(1, 60) if not weekday(a)][:5]):
        order("CRM0003", ago, 18, [nth("noodles", i)])
    # A dessert lover: four of five recent visits with a dessert.
    for i, ago in enumerate((25, 19, 13, 8, 3)):
        order("CRM0004", ago, 12, [nth("mild", i), nth("staple", 0)]
              + ([nth("dessert", i)] if i else []))
    # A big spender: hosts a table most weeks (many dishes per order) for three months.
    for i, ago in enumerate(range(2, 88, 6)):
        order("CRM0005", ago, 18, [nth("mild", i + k) for k in range(6)]
              + [nth("spicy", i), nth("staple", 0)])
    # A fading regular: nearly every other day 35-115 days ago, once in the last 30.
    for i, ago in enumerate(range(35, 116, 3)):
        order("CRM0006", ago, 12, [nth("mild", i), nth("staple", 0)])
    order("CRM0006", 12, 12, [nth("noodles", 0)])
    # A new member (first visit five days ago) whose birthday is this month.
    order("CRM0007", 5, 12, [nth("mild", 1), nth("staple", 0)])
    order("CRM0007", 1, 12, [nth("noodles", 1)])
    # "No coriander" on three orders.
    for i, ago in enumerate((40, 22, 11)):
        order("CRM0008", ago, 12, [nth("noodles", i)], modifier=True)
    return written
