"""The demo canteens' supply (issue 17): suppliers, ingredients, recipes of the seeded dishes
and a first delivery into each site's stock, so the stock, traceability and purchasing pages
have something to show. Deterministic; called by ``hub.seed.load.seed_demo`` in its
transaction (nothing is committed here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from hub.models.supply import (
    GoodsReceipt,
    Ingredient,
    MovementKind,
    RecipeLine,
    StockLot,
    StockMovement,
    Supplier,
    SupplySite,
    Unit,
)

# code, zh, en, lead time (days)
SUPPLIERS = (
    ("green-farm", "绿源农场", "Green Source Farm", 2),
    ("south-market", "城南菜场", "South Market Greens", 1),
    ("harvest-grain", "丰收粮油", "Harvest Grain & Oil", 3),
)
# code, zh, en, unit, supplier, pack size, low-stock level, main, first delivery, shelf days
INGREDIENTS = (
    ("chicken", "鸡腿肉", "Chicken thigh", Unit.GRAM, "green-farm", 5000, 4000, True, 20000, 4),
    ("pork", "猪肉", "Pork", Unit.GRAM, "green-farm", 5000, 4000, True, 20000, 4),
    ("beef", "牛肉", "Beef", Unit.GRAM, "green-farm", 5000, 3000, True, 10000, 4),
    ("egg", "鸡蛋", "Egg", Unit.PIECE, "green-farm", 360, 120, True, 720, 20),
    ("tofu", "豆腐", "Tofu", Unit.GRAM, "south-market", 5000, 2000, True, 10000, 2),
    ("tomato", "番茄", "Tomato", Unit.GRAM, "south-market", 10000, 3000, False, 20000, 5),
    ("greens", "青菜", "Greens", Unit.GRAM, "south-market", 5000, 3000, True, 15000, 2),
    ("potato", "土豆", "Potato", Unit.GRAM, "south-market", 10000, 3000, False, 20000, 14),
    ("peanut", "花生米", "Peanuts", Unit.GRAM, "harvest-grain", 5000, 500, False, 5000, 180),
    ("rice", "大米", "Rice", Unit.GRAM, "harvest-grain", 25000, 10000, False, 50000, 180),
    ("oil", "食用油", "Cooking oil", Unit.MILLILITRE, "harvest-grain", 5000, 2000, False,
     20000, 365),
)
# dish code -> ingredient -> quantity per portion (dishes the seed does not have are skipped)
RECIPES = {
    "kung-pao-chicken": {"chicken": 150, "peanut": 30, "oil": 15},
    "chongqing-chicken": {"chicken": 180, "oil": 25},
    "curry-chicken": {"chicken": 150, "potato": 80, "oil": 10},
    "braised-chicken-leg": {"chicken": 220, "oil": 10},
    "hongshao-rou": {"pork": 180, "oil": 10},
    "yuxiang-pork": {"pork": 120, "oil": 15},
    "twice-cooked-pork": {"pork": 150, "oil": 15},
    "green-pepper-pork": {"pork": 120, "oil": 12},
    "beef-potato": {"beef": 120, "potato": 100, "oil": 10},
    "black-pepper-beef": {"beef": 150, "oil": 12},
    "mapo-tofu": {"tofu": 200, "pork": 30, "oil": 15},
    "homestyle-tofu": {"tofu": 200, "oil": 15},
    "tomato-egg": {"egg": 2, "tomato": 150, "oil": 10},
    "chive-egg": {"egg": 2, "oil": 10},
    "seasonal-greens": {"greens": 200, "oil": 10},
    "shiitake-bok-choy": {"greens": 180, "oil": 10},
    "sour-spicy-potato": {"potato": 200, "oil": 12},
}


def _id(row: Supplier | Ingredient | GoodsReceipt) -> int:
    assert row.id is not None  # flushed
    return row.id


def seed_supply(session: Session, *, dish_ids: dict[str, int], site_ids: list[int],
                at: datetime) -> int:
    """Write the demo's supply rows; returns how many recipe lines were written."""
    suppliers = {}
    for code, zh, en, lead in SUPPLIERS:
        sup = Supplier(code=code, name_zh=zh, name_en=en, lead_time_days=lead, created_at=at)
        session.add(sup)
        session.flush()
        suppliers[code] = sup
    ingredients = {}
    for code, zh, en, unit, sup_code, pack, low, main, _first, _shelf in INGREDIENTS:
        ing = Ingredient(code=code, name_zh=zh, name_en=en, unit=unit,
                         supplier_id=_id(suppliers[sup_code]), pack_size=float(pack),
                         low_stock=float(low), main=main, created_at=at)
        session.add(ing)
        session.flush()
        ingredients[code] = ing
    lines = 0
    for dish_code, uses in RECIPES.items():
        if dish_code not in dish_ids:
            continue
        for ing_code, qty in uses.items():
            session.add(RecipeLine(dish_id=dish_ids[dish_code],
                                   ingredient_id=_id(ingredients[ing_code]), qty=float(qty)))
            lines += 1
    received = at - timedelta(days=1)
    for site_id in site_ids:
        session.add(SupplySite(site_id=site_id, publish_origin=True))
        for sup_code, sup in suppliers.items():
            receipt = GoodsReceipt(site_id=site_id, supplier_id=_id(sup), received_at=received,
                                   reference=f"DEMO-{sup_code}", received_by="demo")
            session.add(receipt)
            session.flush()
            for code, _zh, _en, _u, s_code, _p, _l, _m, first, shelf in INGREDIENTS:
                if s_code != sup_code:
                    continue
                lot = StockLot(receipt_id=_id(receipt), site_id=site_id,
                               ingredient_id=_id(ingredients[code]),
                               lot_code=f"{code.upper()[:3]}-{received:%m%d}",
                               produced_on=received.date() - timedelta(days=1),
                               expires_on=received.date() + timedelta(days=shelf),
                               qty=float(first), received_at=received)
                session.add(lot)
                session.flush()
                session.add(StockMovement(site_id=site_id, ingredient_id=_id(ingredients[code]),
                                          kind=MovementKind.RECEIPT, qty=float(first),
                                          at=received, business_date=received.date(),
                                          lot_id=lot.id))
    return lines
