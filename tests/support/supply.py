"""A small canteen for the supply tests: site, kiosks, dishes on a lunch menu, ingredients,
suppliers and recipes, in a hub database migrated the hub's own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo.broker import PrivateBroker
from edge_agent.config import AgentConfig
from hub.db import make_engine
from hub.ingest.classify import Inbound
from hub.migrate import upgrade_to_head
from hub.models import Device, DeviceKind, Dish, MealPeriod, Menu, MenuItem, Site
from hub.models.supply import Ingredient, RecipeLine, Supplier, SupplySite, Unit
from hub.settings import Settings
from protocol import CatalogSnapshot, encode, make_envelope, new_order_id

SITE = "site1"
PERIOD = "lunch"

# code, zh, en, price, station, per-100g price (weighed) or None
DISHES = (
    ("d-kungpao", "宫保鸡丁", "Kung Pao chicken", 1800, "wok", None),
    ("d-tomato-egg", "番茄炒蛋", "Tomato and egg", 900, "wok", None),
    ("d-rice", "米饭", "Steamed rice", 100, "staple", None),
    ("d-buffet", "自选素菜", "Vegetable buffet", 0, "buffet", 250),
)
# code, zh, en, unit, supplier code, pack size, low stock, main
INGREDIENTS = (
    ("chicken", "鸡腿肉", "Chicken thigh", Unit.GRAM, "farm", 5000.0, 2000.0, True),
    ("egg", "鸡蛋", "Egg", Unit.PIECE, "farm", 30.0, 30.0, True),
    ("tomato", "番茄", "Tomato", Unit.GRAM, "veg", 10000.0, 1000.0, False),
    ("rice", "大米", "Rice", Unit.GRAM, "grain", 25000.0, 5000.0, False),
    ("greens", "青菜", "Greens", Unit.GRAM, "veg", 5000.0, 0.0, True),
)
SUPPLIERS = (
    ("farm", "绿源农场", "Green Source Farm", 2),
    ("veg", "城南菜场", "South Market Greens", 1),
    ("grain", "丰收粮油", "Harvest Grain & Oil", 3),
)
RECIPES = {
    "d-kungpao": {"chicken": 150.0},
    "d-tomato-egg": {"egg": 2.0, "tomato": 120.0},
    "d-rice": {"rice": 100.0},
    "d-buffet": {"greens": 80.0},  # per 100 g taken
}


@dataclass
class Canteen:
    """Ids of what ``make_canteen`` made."""

    engine: Engine
    site_id: int
    dishes: dict[str, int] = field(default_factory=dict)
    ingredients: dict[str, int] = field(default_factory=dict)
    suppliers: dict[str, int] = field(default_factory=dict)


def make_canteen(settings: Settings, *, devices: tuple[str, ...] = ("k1", "k2"),
                 publish_origin: bool = True) -> Canteen:
    """Migrate the hub database and add the canteen."""
    engine = make_engine(settings)
    upgrade_to_head(engine, schema=settings.db_schema)
    with Session(engine) as s:
        site = Site(code=SITE, name_zh="一食堂", name_en="Canteen 1")
        s.add(site)
        s.flush()
        assert site.id is not None
        out = Canteen(engine, site.id)
        for code in devices:
            s.add(Device(code=code, kind=DeviceKind.KIOSK, site_id=site.id))
        period = MealPeriod(site_id=site.id, code=PERIOD, name_zh="午餐", name_en="Lunch",
                            start=time(0, 0), end=time(23, 59))
        s.add(period)
        s.flush()
        assert period.id is not None
        menu = Menu(site_id=site.id, meal_period_id=period.id)
        for code, zh, en, price, station, per100 in DISHES:
            dish = Dish(code=code, name_zh=zh, name_en=en, category="hot", price_cents=price,
                        price_per_100g_cents=per100, station=station)
            s.add(dish)
            s.flush()
            assert dish.id is not None
            out.dishes[code] = dish.id
        for code, zh, en, lead in SUPPLIERS:
            sup = Supplier(code=code, name_zh=zh, name_en=en, lead_time_days=lead)
            s.add(sup)
            s.flush()
            assert sup.id is not None
            out.suppliers[code] = sup.id
        for code, zh, en, unit, sup_code, pack, low, main in INGREDIENTS:
            ing = Ingredient(code=code, name_zh=zh, name_en=en, unit=unit,
                             supplier_id=out.suppliers[sup_code], pack_size=pack,
                             low_stock=low, main=main)
            s.add(ing)
            s.flush()
            assert ing.id is not None
            out.ingredients[code] = ing.id
        for dish_code, lines in RECIPES.items():
            for ing_code, qty in lines.items():
                s.add(RecipeLine(dish_id=out.dishes[dish_code],
                                 ingredient_id=out.ingredients[ing_code], qty=qty))
        s.add(SupplySite(site_id=site.id, publish_origin=publish_origin))
        s.flush()
        s.add(menu)
        s.flush()
        assert menu.id is not None
        for n, code in enumerate(out.dishes):
            s.add(MenuItem(menu_id=menu.id, dish_id=out.dishes[code], sort_order=n))
        s.commit()
    return out


def order_message(device: str, placed_at: datetime, lines: list[tuple[str, int, int | None]],
                  *, site: str = SITE, period: str = PERIOD) -> Inbound:
    """An order.placed from a kiosk: (dish code, qty, weight_g) per line, paid in full."""
    prices = {code: (per100 or price) for code, _zh, _en, price, _s, per100 in DISHES}
    names = {code: (zh, en, st) for code, zh, en, _p, st, _w in DISHES}
    wire_lines: list[dict[str, Any]] = []
    for code, qty, weight in lines:
        zh, en, station = names[code]
        unit = prices[code]
        total = unit * qty if weight is None else unit * weight // 100
        wire_lines.append({"dish_id": code, "name_zh": zh, "name_en": en, "qty": qty,
                           "unit_price_cents": unit, "weight_g": weight,
                           "line_total_cents": total, "station": station})
    total = sum(int(line["line_total_cents"]) for line in wire_lines)
    oid = new_order_id()
    payload = {"order_id": oid, "order_no": f"A{abs(hash(oid)) % 1000:03d}",
               "placed_at": placed_at, "meal_period": period, "lines": wire_lines,
               "subtotal_cents": total, "total_cents": total, "paid": True,
               "payments": [{"method": "subsidy", "amount_cents": total}] if total else []}
    env = make_envelope("order.placed", payload, site=site, device=device)
    return Inbound(env.topic(), encode(env))


# ---- devices of the site, for the sold-out tests -----------------------------------------

def site_catalog(version: int = 1) -> CatalogSnapshot:
    """The kiosks' catalog of the canteen (lunch all day), as the hub would send it."""
    return CatalogSnapshot.model_validate({
        "version": version, "generated_at": datetime.now(UTC),
        "meal_periods": [{"code": PERIOD, "name_zh": "午餐", "name_en": "Lunch",
                          "start": "00:00", "end": "23:59"}],
        "dishes": [{"id": code, "name_zh": zh, "name_en": en, "category": "hot",
                    "price_cents": price, "station": st} for code, zh, en, price, st, w in DISHES
                   if w is None],
        "menus": [{"meal_period": PERIOD,
                   "items": [{"dish_id": code} for code, *_r, w in DISHES if w is None]}],
    })


def device_config(tmp: Path, broker: PrivateBroker, device: str) -> AgentConfig:
    """An agent of the canteen's site on the private broker, its store in tmp."""
    return AgentConfig.model_validate({
        "site_id": SITE, "device_id": device, "store_path": str(tmp / f"{device}.db"),
        "heartbeat_interval_s": 5.0,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_s": 5,
                   "reconnect_min_s": 0.1, "reconnect_max_s": 1.0},
    })


def kiosk_draft(dish: str, qty: int) -> dict[str, Any]:
    """An order draft of one dish for lunch, paid by subsidy, as the kiosk records it."""
    price = next(p for code, _zh, _en, p, _s, _w in DISHES if code == dish)
    zh, en, st = next((z, e, s) for code, z, e, _p, s, _w in DISHES if code == dish)
    total = price * qty
    return {"meal_period": PERIOD, "paid": True, "subtotal_cents": total, "total_cents": total,
            "lines": [{"dish_id": dish, "name_zh": zh, "name_en": en, "qty": qty,
                       "unit_price_cents": price, "line_total_cents": total, "station": st}],
            "payments": [{"method": "subsidy", "amount_cents": total}]}
