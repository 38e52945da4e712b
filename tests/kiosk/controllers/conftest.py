"""A real device store with a catalog and a member cache, and controllers on a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from kiosk.config import KioskConfig, parse_config
from kiosk.controllers.journey import JourneyController
from kiosk.services.bootstrap import Runtime, build_services
from kiosk.services.clock import FrozenClock
from kiosk.services.connectivity import FixedConnectivity
from protocol.member_cache import MemberCacheDelta
from protocol.payloads.catalog import CatalogSnapshot
from protocol.tokens import identifier_hash, public_key_b64, sign_coupon_token

SITE_KEY = b"site-key-for-tests-0123456789"
# fixed bytes: pytest may import this module twice (as conftest and by tests)
TOKEN_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
# Wednesday 2025-03-05 12:00 in Shanghai: lunch
LUNCH = datetime(2025, 3, 5, 4, 0, tzinfo=UTC)


PORTION = {"code": "portion", "name_zh": "份量", "name_en": "Portion", "required": True,
           "choices": [{"code": "regular", "name_zh": "标准", "name_en": "Regular"},
                       {"code": "large", "name_zh": "大份", "name_en": "Large",
                        "price_delta_cents": 300}]}
SPICE = {"code": "spice", "name_zh": "辣度", "name_en": "Spice",
         "choices": [{"code": "mild", "name_zh": "微辣", "name_en": "Mild"},
                     {"code": "hot", "name_zh": "特辣", "name_en": "Hot"}]}
OPTIONS_BY_CATEGORY: dict[str, list[dict[str, Any]]] = {
    "meat": [PORTION, SPICE], "vegetable": [PORTION]}


def _dish(i: str, zh: str, en: str, cat: str, price: int, member: int | None = None,
          tags: tuple[str, ...] = (), allergens: tuple[str, ...] = (), station: str = "wok",
          kcal: int = 400) -> dict[str, Any]:
    dish = {"id": i, "name_zh": zh, "name_en": en, "category": cat, "price_cents": price,
            "member_price_cents": member, "tags": list(tags), "allergens": list(allergens),
            "kcal": kcal, "station": station, "options": OPTIONS_BY_CATEGORY.get(cat, [])}
    if cat == "buffet":  # weighed: price (and member price) per 100 g from the scale
        dish["price_per_100g_cents"] = price
    return dish


DISHES = [
    _dish("kung-pao-chicken", "宫保鸡丁", "Kung Pao Chicken", "meat", 1800, 1600,
          ("spicy",), ("peanut", "soy")),
    _dish("braised-pork", "红烧肉", "Braised Pork Belly", "meat", 2000, 1800, ("pork",), ("soy",)),
    _dish("beef-brisket", "清炖牛腩", "Stewed Beef Brisket", "meat", 2200, None, ("halal", "beef")),
    _dish("lamb-cumin", "孜然羊肉", "Cumin Lamb", "meat", 2400, 2200, ("halal", "spicy")),
    _dish("fish-fillet", "水煮鱼", "Boiled Fish in Chilli", "meat", 2600, None,
          ("very_spicy",), ("fish",)),
    _dish("shrimp-egg", "虾仁炒蛋", "Shrimp and Egg", "meat", 1900, None, (),
          ("crustacean", "egg")),
    _dish("chicken-wings", "可乐鸡翅", "Cola Chicken Wings", "meat", 1500, None, ("halal",)),
    _dish("mapo-tofu", "麻婆豆腐", "Mapo Tofu", "vegetable", 900, None,
          ("spicy", "vegetarian"), ("soy",)),
    _dish("greens", "清炒时蔬", "Stir-fried Greens", "vegetable", 600, None, ("vegan", "halal")),
    _dish("tomato-egg", "番茄炒蛋", "Tomato and Egg", "vegetable", 800, None,
          ("vegetarian", "halal"), ("egg",)),
    _dish("eggplant", "鱼香茄子", "Yu-xiang Eggplant", "vegetable", 1000, None, ("vegan", "spicy")),
    _dish("potato-strips", "酸辣土豆丝", "Hot and Sour Potato", "vegetable", 700, None,
          ("vegan", "spicy", "halal")),
    _dish("cabbage", "手撕包菜", "Hand-torn Cabbage", "vegetable", 700, None, ("vegan",)),
    _dish("rice", "米饭", "Steamed Rice", "staple", 100, None, ("vegan", "halal"), station="rice"),
    _dish("noodles", "牛肉面", "Beef Noodle Soup", "staple", 1600, 1500, ("beef", "halal"),
          ("gluten",), station="noodle"),
    _dish("dumplings", "猪肉水饺", "Pork Dumplings", "staple", 1200, None, ("pork",),
          ("gluten",), station="noodle"),
    _dish("egg-soup", "紫菜蛋花汤", "Seaweed Egg Soup", "soup", 300, None, ("vegetarian",),
          ("egg",), station="soup"),
    _dish("corn-soup", "玉米排骨汤", "Corn and Rib Soup", "soup", 800, None, ("pork",),
          station="soup"),
    _dish("soy-milk", "豆浆", "Soy Milk", "drink", 300, None, ("vegan",), ("soy",), "drinks"),
    _dish("juice", "鲜榨橙汁", "Orange Juice", "drink", 800, 700, ("vegan",), station="drinks"),
    _dish("buffet-veg", "称重自选·素菜", "Weighed Buffet: Vegetables", "buffet", 250, 230,
          ("vegetarian",), station="buffet"),
    _dish("buffet-meat", "称重自选·荤菜", "Weighed Buffet: Meat", "buffet", 398, None,
          station="buffet"),
]

COUPON_TERMS: dict[str, Any] = {
    "five-off": {"name_zh": "满20减5元券", "name_en": "￥5 off ￥20", "kind": "amount_off",
                 "amount_cents": 500, "min_spend_cents": 2000},
    "free-drink": {"name_zh": "免费饮品券", "name_en": "Free drink", "kind": "free_dish",
                   "dish_id": "juice"},
}

CATALOG: dict[str, Any] = {
    "version": 1,
    "generated_at": "2025-03-01T00:00:00Z",
    "meal_periods": [
        {"code": "breakfast", "name_zh": "早餐", "name_en": "Breakfast",
         "start": "06:30", "end": "09:30"},
        {"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
         "start": "11:00", "end": "13:30"},
        {"code": "dinner", "name_zh": "晚餐", "name_en": "Dinner",
         "start": "17:00", "end": "19:30"},
    ],
    "dishes": DISHES,
    "menus": [
        {"meal_period": "lunch", "items": [{"dish_id": d["id"]} for d in DISHES]},
        {"meal_period": "dinner", "items": [{"dish_id": d["id"]} for d in DISHES[:10]]},
        {"meal_period": "breakfast", "items": [{"dish_id": "soy-milk"}, {"dish_id": "egg-soup"}]},
    ],
    "set_meals": [
        {"kind": "fixed", "id": "combo-kungpao", "name_zh": "宫保鸡丁套餐",
         "name_en": "Kung Pao Combo", "price_cents": 1700,
         "dish_ids": ["kung-pao-chicken", "rice"]},
        {"kind": "build", "id": "two-meat-one-veg", "name_zh": "两荤一素",
         "name_en": "2 meat + 1 veg + rice", "price_cents": 2000, "slots": [
             {"category": "meat", "count": 2}, {"category": "vegetable", "count": 1},
             {"category": "staple", "count": 1}]},
    ],
    "categories": [
        {"code": c, "name_zh": zh, "name_en": en, "sort": sort}
        for c, zh, en, sort in (("meat", "荤菜", "Meat Dishes", 20),
                                ("vegetable", "素菜", "Vegetable Dishes", 30),
                                ("staple", "主食", "Rice & Staples", 40),
                                ("soup", "汤", "Soups", 60), ("drink", "饮品", "Drinks", 90),
                                ("buffet", "称重自选", "Weighed Buffet", 100))
    ],
    "stations": [
        {"code": c, "name_zh": zh, "name_en": en}
        for c, zh, en in (("wok", "炒锅", "Wok"), ("rice", "米饭", "Rice"),
                          ("noodle", "面档", "Noodle Bar"), ("soup", "汤档", "Soups"),
                          ("drinks", "饮品", "Drinks"), ("buffet", "自选", "Buffet"))
    ],
    "offers": {
        # The hub's coupon_template rows, as its catalog builder sends them.
        "coupon_templates": [
            {"code": code, **terms} for code, terms in COUPON_TERMS.items()
        ],
        "tiers": [
            {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "member_price": True,
             "points_multiplier_pct": 150},
            {"code": "standard", "name_zh": "普通会员", "name_en": "Standard",
             "member_price": False},
        ],
    },
}

MEMBERS = [
    # (member id, card number, name, tier, balance, subsidy, points, offline limit)
    ("m-1001", "0012345678", "张伟", "gold", 5000, 1200, 800, 1000),
    ("m-1002", "0087654321", "李娜", "standard", 300, 0, 0, 1000),
    ("m-1003", "0011110000", "王芳", "standard", 9000, 0, 0, 1000),
    ("m-1004", "0022220000", "赵敏", "gold", 500, 0, 0, 3000),
]
# what the member cache adds for some members: bonus balance, dietary profile, lost card
PROFILES: dict[str, dict[str, Any]] = {
    "m-1003": {"blocked": True},
    "m-1004": {"bonus_cents": 2000, "preferences": ["halal"], "allergens": ["peanut"]},
}


def card_hash(card: str) -> str:
    """The keyed hash the hub puts in the member cache for a card number."""
    return identifier_hash("card", card, SITE_KEY)


def apply_catalog(store: DeviceStore, data: dict[str, Any]) -> None:
    """Apply a catalog snapshot the way the agent does."""
    applier = DownlinkApplier(store.conn, site_id="site-1")
    applier.apply_catalog(CatalogSnapshot.model_validate(data))


def seed(store: DeviceStore) -> None:
    """Catalog v1 and a full member cache with card and member-code hashes."""
    apply_catalog(store, CATALOG)
    upserts = []
    for mid, card, name, tier, bal, sub, pts, lim in MEMBERS:
        for digest in (card_hash(card), identifier_hash("member", mid, SITE_KEY)):
            upserts.append({"identifier_hash": digest, "member_id": mid, "display_name": name,
                            "tier": tier, "balance_cents": bal, "subsidy_cents": sub,
                            "points": pts, "offline_limit_cents": lim,
                            **PROFILES.get(mid, {})})
    applier = DownlinkApplier(store.conn, site_id="site-1")
    applier.apply_member_delta(MemberCacheDelta.model_validate({
        "from_version": 0, "to_version": 1, "full": True,
        "generated_at": "2025-03-01T00:00:00Z", "upserts": upserts}))


def kiosk_config(tmp_path: Path, **extra: Any) -> KioskConfig:
    """A config like docs/kiosk.md's example, on tmp files."""
    key_file = tmp_path / "site.key"
    key_file.write_bytes(SITE_KEY)
    raw: dict[str, Any] = {
        "site_id": "site-1", "device_id": "kiosk-1", "store_path": str(tmp_path / "store.db"),
        "canteen_name_zh": "第一食堂", "canteen_name_en": "Canteen One",
        "idle_seconds": 60, "recommendations": 4,
        "member_ids": {"token_keys": {"k1": public_key_b64(TOKEN_KEY)},
                       "site_key_file": str(key_file)},
        "station_minutes": {"wok": 4, "noodle": 6},
    }
    raw.update(extra)
    return parse_config(raw)


class Kiosk:
    """A wired kiosk for tests: runtime, journey, clock, connectivity."""

    def __init__(self, runtime: Runtime, clock: FrozenClock, net: FixedConnectivity) -> None:
        self.runtime = runtime
        self.services = runtime.services
        self.store = runtime.services.store
        self.clock = clock
        self.net = net
        self.journey = JourneyController(runtime.services)


def make_kiosk(tmp_path: Path, **extra: Any) -> Kiosk:
    """Build a seeded kiosk (hardware from ``extra['hardware']`` when given)."""
    config = kiosk_config(tmp_path, **extra)
    with DeviceStore(config.store_path, site_id="site-1", device_id="kiosk-1") as store:
        seed(store)
    clock = FrozenClock(LUNCH)
    net = FixedConnectivity(True)
    runtime = build_services(config, clock=clock, connectivity=net)
    return Kiosk(runtime, clock, net)


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    """A seeded kiosk without hardware."""
    k = make_kiosk(tmp_path)
    yield k
    k.runtime.stop()


GOLD_CARD = "0012345678"


def order_dish(j: JourneyController, dish_id: str, portion: str | None = "regular",
               qty: int = 1) -> None:
    """Open a dish, pick its portion, add it."""
    assert j.open_dish(dish_id), j.state.message
    if portion:
        j.detail.choose("portion", portion)
    j.detail.set_qty(qty)
    assert j.add_dish(), j.state.message


def coupon(template: str = "five-off", member: str = "m-1001", coupon_id: str = "c-1",
           days: float = 3) -> str:
    """A coupon QR code signed like the hub does."""
    return sign_coupon_token(coupon_id=coupon_id, template_code=template, member_id=member,
                             expires_at=LUNCH + timedelta(days=days), key_id="k1",
                             private_key=TOKEN_KEY)


def cart_with(kiosk: Kiosk, card: str = GOLD_CARD, *dishes: str) -> JourneyController:
    """A member at the cart with these dishes (regular portions)."""
    j = kiosk.journey
    j.start()
    j.identify("card", card)
    for dish in dishes or ("braised-pork", "greens"):
        order_dish(j, dish, portion="regular" if dish != "juice" else None)
    j.open_cart()
    return j
