"""A canteen with a demand history in the hub database: a site, its meal periods, dishes and
the synthetic canteen's portions stored as ingested orders (one order per dish, meal period
and day, the portions as the line's quantity), for the forecast and booking tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from hub.models.dishes import Dish
from hub.models.members import Member
from hub.models.orders import Order, OrderLine
from hub.models.sites import MealPeriod, Site
from hub.supply.synthetic import SyntheticCanteen, canteen_demand

PERIODS = (("breakfast", "早餐", "Breakfast", time(7, 0), time(9, 0)),
           ("lunch", "午餐", "Lunch", time(11, 0), time(13, 30)),
           ("dinner", "晚餐", "Dinner", time(17, 0), time(19, 0)))
DISH_NAMES = (("红烧肉", "Braised pork"), ("番茄炒蛋", "Tomato and egg"),
              ("宫保鸡丁", "Kung pao chicken"), ("清炒时蔬", "Stir-fried greens"),
              ("麻婆豆腐", "Mapo tofu"), ("牛肉面", "Beef noodles"))


@dataclass
class DemandSite:
    site_id: int
    period_ids: list[int]
    dish_ids: list[int]
    canteen: SyntheticCanteen


def make_site(session: Session, *, code: str = "SUP1", periods: int = 3) -> tuple[int, list[int]]:
    site = Site(code=code, name_zh="一号食堂", name_en="Canteen One", timezone="Asia/Shanghai")
    session.add(site)
    session.flush()
    assert site.id is not None
    ids = []
    for pcode, zh, en, start, end in PERIODS[:periods]:
        period = MealPeriod(site_id=site.id, code=pcode, name_zh=zh, name_en=en, start=start,
                            end=end)
        session.add(period)
        session.flush()
        assert period.id is not None
        ids.append(period.id)
    return site.id, ids


def make_dishes(session: Session, count: int, *, price_cents: int = 1500) -> list[int]:
    ids = []
    for i in range(count):
        zh, en = DISH_NAMES[i % len(DISH_NAMES)]
        dish = Dish(code=f"SD{i + 1:03d}", name_zh=f"{zh}{i + 1}", name_en=f"{en} {i + 1}",
                    category="hot", price_cents=price_cents)
        session.add(dish)
        session.flush()
        assert dish.id is not None
        ids.append(dish.id)
    return ids


def make_member(session: Session, member_no: str = "M0001") -> int:
    member = Member(member_no=member_no, name="张三")
    session.add(member)
    session.flush()
    assert member.id is not None
    return member.id


def load_demand(session: Session, *, dishes: int = 4, periods: int = 2, days: int = 84,
                end: date = date(2026, 10, 20), seed: int = 3) -> DemandSite:
    """The synthetic canteen's history up to `end` as stored orders; committed."""
    site_id, period_ids = make_site(session, periods=periods)
    dish_ids = make_dishes(session, dishes)
    canteen = canteen_demand(dishes=dishes, sites=1, periods=periods, days=days, end=end,
                             seed=seed)
    zone = ZoneInfo("Asia/Shanghai")
    for row, (dish, _site, period) in enumerate(canteen.keys):
        dish_id = dish_ids[dish - 1]
        pcode, *_rest, start, _end = PERIODS[period - 1]
        for col, day in enumerate(canteen.days):
            qty = int(canteen.values[row, col])
            if qty <= 0:
                continue
            oid = str(uuid.UUID(int=(row << 20) + col + 1))
            placed = datetime.combine(day, start, zone).replace(minute=30)
            session.add(Order(id=oid, order_no=f"S{row}-{col}", site_id=site_id,
                              placed_at=placed, meal_period=pcode, subtotal_cents=qty * 1500,
                              total_cents=qty * 1500, paid=True))
            session.add(OrderLine(order_id=oid, line_no=1, dish_id=dish_id,
                                  dish_code=f"SD{dish:03d}", name_zh="菜", name_en="dish",
                                  qty=qty, unit_price_cents=1500, line_total_cents=qty * 1500))
    session.commit()
    return DemandSite(site_id, period_ids, dish_ids, canteen)
