"""One canteen's pricing data, loaded twice: as a kiosk's catalog snapshot and as hub tables.

The kiosk side is the real device store, CatalogService and OrderService (the code path of
checkout); the hub side is an SQLite hub database priced by hub.ingest.reprice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

import hub.models
import hub.models.accounts  # noqa: F401
from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from hub.ingest.reprice import Review, hub_inputs, load_pricing, reprice_order
from hub.models import Dish, SetMeal, SetMealItem, SetMealSlot, Site
from hub.models.account_rules import TierDefinition
from hub.models.coupons import Coupon, CouponTemplate, Promotion, PromotionKind
from hub.models.ingest import CatalogVersion
from hub.models.members import Member
from hub.models.set_meals import SetMealKind
from kiosk.services.cart import Cart, CartLine, ChosenOption
from kiosk.services.catalog import CatalogService, unit_prices
from kiosk.services.clock import FrozenClock
from kiosk.services.connectivity import FixedConnectivity
from kiosk.services.coupons import CouponDesk, rules_coupon
from kiosk.services.ordering import OrderService, new_checkout_id
from protocol.member_cache import CachedMember
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.order import OrderPlaced
from protocol.tokens import CouponClaim
from rules.pricing import price_order
from rules.results import PricedOrder

# Wednesday 2025-03-05 12:00 in Shanghai: lunch
NOW = datetime(2025, 3, 5, 4, 0, tzinfo=UTC)
CATALOG_VERSION = 7

# (code, category, price, member price, weighed per 100 g)
DISHES: list[tuple[str, str, int, int | None, bool]] = [
    ("kung-pao", "meat", 1800, 1600, False),
    ("braised-pork", "meat", 2000, 1800, False),
    ("brisket", "meat", 2200, None, False),
    ("greens", "vegetable", 600, None, False),
    ("mapo-tofu", "vegetable", 900, 850, False),
    ("rice", "staple", 100, None, False),
    ("noodles", "staple", 1600, 1500, False),
    ("juice", "drink", 800, 700, False),
    ("soy-milk", "drink", 300, None, False),
    ("buffet-veg", "buffet", 250, 230, True),
    ("buffet-meat", "buffet", 398, None, True),
]
LARGE = {"code": "portion", "name_zh": "份量", "name_en": "Portion",
         "choices": [{"code": "regular", "name_zh": "标准", "name_en": "Regular"},
                     {"code": "large", "name_zh": "大份", "name_en": "Large",
                      "price_delta_cents": 300}]}
TIERS = [("gold", True, 150), ("standard", False, 100)]
FIXED = ("combo-kungpao", 1700, ["kung-pao", "rice"])
BUILD = ("two-meat-one-veg", 2000, [("meat", 2), ("vegetable", 1), ("staple", 1)])
TEMPLATES: dict[str, dict[str, Any]] = {
    "five-off": {"kind": "amount_off", "amount_cents": 500, "min_spend_cents": 2000},
    "drinks-20": {"kind": "percent_off", "percent_bp": 2000, "max_off_cents": 300,
                  "categories": ["drink", "meat"]},
    "free-juice": {"kind": "free_dish", "dish_id": "juice"},
}
MEMBERS = {
    # member no: (tier, paid balance, subsidy, points)
    "m-gold": ("gold", 5000, 1200, 800),
    "m-std": ("standard", 3000, 0, 0),
}


@dataclass
class Offers:
    """The promotions of one test: member day percent, spend-save (code, threshold, save)."""

    member_day_bp: int | None = None
    spend_save: Sequence[tuple[str, int, int, bool]] = ()
    set_price_override: int | None = None  # a set_meal_price promotion on the build set


@dataclass
class Line:
    """A cart line to buy: dish, qty, grams (weighed), large portion."""

    dish: str
    qty: int = 1
    grams: int | None = None
    large: bool = False


@dataclass
class Case:
    """One order: loose lines, set meals (offer, lines), member, coupon template, points."""

    lines: Sequence[Line] = ()
    sets: Sequence[tuple[str, Sequence[Line]]] = ()
    member: str | None = None
    coupon: str | None = None
    use_points: bool = False
    offers: Offers = field(default_factory=Offers)


def snapshot(offers: Offers) -> CatalogSnapshot:
    """The kiosk's catalog: the same dishes, set meals, promotions and tiers as the hub."""
    dishes = []
    for code, cat, price, member, weighed in DISHES:
        d: dict[str, Any] = {"id": code, "name_zh": code, "name_en": code, "category": cat,
                             "price_cents": price, "member_price_cents": member,
                             "station": "wok", "options": [LARGE] if cat == "meat" else []}
        if weighed:
            d["price_per_100g_cents"] = price
        dishes.append(d)
    build_price = offers.set_price_override or BUILD[1]
    spend = [{"code": c, "threshold_cents": t, "save_cents": s, "members_only": m}
             for c, t, s, m in offers.spend_save]
    return CatalogSnapshot.model_validate({
        "version": CATALOG_VERSION, "generated_at": "2025-03-01T00:00:00Z",
        "meal_periods": [{"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
                          "start": "11:00", "end": "13:30"}],
        "dishes": dishes,
        "menus": [{"meal_period": "lunch", "items": [{"dish_id": d[0]} for d in DISHES]}],
        "set_meals": [
            {"kind": "fixed", "id": FIXED[0], "name_zh": "套餐", "name_en": "Combo",
             "price_cents": FIXED[1], "dish_ids": FIXED[2]},
            {"kind": "build", "id": BUILD[0], "name_zh": "两荤一素", "name_en": "2+1",
             "price_cents": build_price,
             "slots": [{"category": c, "count": n} for c, n in BUILD[2]]},
        ],
        "offers": {
            "member_day": {"percent_bp": offers.member_day_bp} if offers.member_day_bp else None,
            "spend_save": spend,
            "tiers": [{"code": c, "name_zh": c, "name_en": c, "member_price": mp,
                       "points_multiplier_pct": mult} for c, mp, mult in TIERS],
            "coupon_templates": [{"code": c, "name_zh": c, "name_en": c, **terms}
                                 for c, terms in TEMPLATES.items()],
        },
    })


class KioskSide:
    """A real device store and OrderService on a frozen clock, priced from the snapshot."""

    def __init__(self, path: Path, offers: Offers) -> None:
        """Apply the catalog the way the agent does."""
        self.store = DeviceStore(path, site_id="site-1", device_id="kiosk-1", clock=lambda: NOW)
        DownlinkApplier(self.store.conn, site_id="site-1").apply_catalog(snapshot(offers))
        self.catalog = CatalogService(self.store, "Asia/Shanghai")
        self.orders = OrderService(self.store, self.catalog, FrozenClock(NOW),
                                   FixedConnectivity(True), remainder_to_counter=True)
        self.coupons = CouponDesk(self.store, FrozenClock(NOW), token_keys={},
                                  catalog=self.catalog)

    def cart(self, case: Case) -> Cart:
        """The cart the screens would build: prices from the catalog (kiosk's unit_prices)."""
        cart = Cart()
        for line in case.lines:
            cart.add(self.line(cart, line))
        for offer, picks in case.sets:
            made = [self.line(cart, ln) for ln in picks]
            cart.add_set(offer, (offer, offer), [(self.slot(offer, ln), ln) for ln in made])
        return cart

    def line(self, cart: Cart, spec: Line) -> CartLine:
        """One cart line of ``spec``."""
        dish = self.catalog.dish(spec.dish)
        assert dish is not None
        price, member = unit_prices(dish)
        options = (ChosenOption("portion", "large", "大份", "Large", 300),) if spec.large else ()
        return CartLine(cart.new_line_id(), dish.id, dish.name_zh, dish.name_en, dish.category,
                        dish.station, price, member, spec.qty, spec.grams, options)

    def slot(self, offer: str, line: CartLine) -> str:
        """The slot a line fills, as the set-meal screen names it."""
        for s in next(o for o in self.catalog.set_meal_offers() if o.code == offer).slots:
            if s.accepts(line.rules_line()):
                return s.code
        raise AssertionError(f"{line.dish_id} fits no slot of {offer}")

    def member(self, member_no: str | None) -> CachedMember | None:
        """The member as the member cache holds them."""
        if member_no is None:
            return None
        tier, paid, subsidy, points = MEMBERS[member_no]
        return CachedMember(identifier_hash="a" * 64, member_id=member_no, display_name="张*",
                            tier=tier, balance_cents=paid, subsidy_cents=subsidy, points=points,
                            offline_limit_cents=1000)

    def place(self, case: Case, coupon_id: str | None) -> tuple[OrderPlaced, PricedOrder]:
        """Check out through OrderService.place; the recorded OrderPlaced and the engine result."""
        coupon = None
        if case.coupon is not None and case.member is not None and coupon_id is not None:
            terms = self.coupons.terms(case.coupon)  # as the kiosk reads them: from the catalog
            assert terms is not None, case.coupon
            claim = CouponClaim(coupon_id, case.coupon, case.member, NOW + timedelta(days=30),
                                "k1")
            coupon = rules_coupon(coupon_id, terms, claim)
        placed = self.orders.place(self.cart(case), self.member(case.member), period="lunch",
                                   order_id=new_checkout_id(), use_points=case.use_points,
                                   coupon=coupon, coupon_template=case.coupon)
        return placed.recorded.payload, placed.priced


class HubSide:
    """An SQLite hub database with the same data, priced by hub.ingest.reprice."""

    def __init__(self, path: Path, offers: Offers) -> None:
        """Create the tables and load dishes, set meals, promotions, tiers, templates."""
        self.engine: Engine = create_engine(f"sqlite:///{path}")
        SQLModel.metadata.create_all(self.engine)
        with Session(self.engine) as s:
            site = Site(code="site-1", name_zh="一食堂", name_en="Canteen 1")
            s.add(site)
            s.flush()
            assert site.id is not None
            self.site_id = site.id
            s.add(CatalogVersion(site_id=site.id, version=CATALOG_VERSION, digest="x" * 64))
            ids: dict[str, int] = {}
            for code, cat, price, member, weighed in DISHES:
                row = Dish(code=code, name_zh=code, name_en=code, category=cat,
                           price_cents=price, member_price_cents=member,
                           price_per_100g_cents=price if weighed else None)
                s.add(row)
                s.flush()
                assert row.id is not None
                ids[code] = row.id
            fixed = SetMeal(code=FIXED[0], name_zh="套餐", name_en="Combo", kind=SetMealKind.FIXED,
                            price_cents=FIXED[1])
            build = SetMeal(code=BUILD[0], name_zh="两荤一素", name_en="2+1",
                            kind=SetMealKind.BUILD_YOUR_OWN, price_cents=BUILD[1])
            s.add_all([fixed, build])
            s.flush()
            assert fixed.id is not None and build.id is not None
            for code in FIXED[2]:
                s.add(SetMealItem(set_meal_id=fixed.id, dish_id=ids[code], qty=1))
            for n, (cat, count) in enumerate(BUILD[2]):
                s.add(SetMealSlot(set_meal_id=build.id, category=cat, min_picks=count,
                                  max_picks=count, sort_order=n))
            for rank, (code, mp, mult) in enumerate(TIERS, start=1):
                s.add(TierDefinition(code=code, name_zh=code, name_en=code, rank=rank,
                                     member_price=mp, points_multiplier_pct=mult))
            if offers.member_day_bp:
                s.add(Promotion(code="md", kind=PromotionKind.MEMBER_DAY, site_id=site.id,
                                percent_bp=offers.member_day_bp))
            for c, t, sv, m in offers.spend_save:
                s.add(Promotion(code=c, kind=PromotionKind.SPEND_SAVE, threshold_cents=t,
                                save_cents=sv, members_only=m))
            if offers.set_price_override:
                s.add(Promotion(code="set-deal", kind=PromotionKind.SET_MEAL_PRICE,
                                set_meal_code=BUILD[0],
                                price_cents=offers.set_price_override))
            self.members: dict[str, int] = {}
            for no in MEMBERS:
                person = Member(member_no=no, name=no)
                s.add(person)
                s.flush()
                assert person.id is not None
                self.members[no] = person.id
            self.templates: dict[str, int] = {}
            for code, terms in TEMPLATES.items():
                tpl = CouponTemplate(code=code, name_zh=code, name_en=code,
                                   **{("dish_code" if k == "dish_id" else k): v
                                      for k, v in terms.items()})
                s.add(tpl)
                s.flush()
                assert tpl.id is not None
                self.templates[code] = tpl.id
            s.commit()

    def issue(self, template: str, member_no: str) -> str:
        """Issue one coupon; its id is what the QR code carries."""
        with Session(self.engine) as s:
            c = Coupon(template_id=self.templates[template], member_id=self.members[member_no],
                       source="desk", valid_from=NOW - timedelta(days=1),
                       valid_until=NOW + timedelta(days=30), issued_by="test")
            s.add(c)
            s.commit()
            return str(c.id)

    def reprice(self, order: OrderPlaced) -> Review | str | None:
        """The ingest path: re-price on a connection, inside a transaction."""
        with self.engine.begin() as conn:
            return reprice_order(conn, order, site_id=self.site_id)

    def price(self, order: OrderPlaced) -> PricedOrder:
        """The hub's own engine result for this order (for comparing to the cent)."""
        with Session(self.engine) as s:
            inputs = hub_inputs(order, load_pricing(s, order, site_id=self.site_id))
        assert not isinstance(inputs, str), inputs
        return price_order(inputs)

    def set_price(self, dish: str, cents: int) -> None:
        """An admin changes a dish's price at the hub."""
        with self.engine.begin() as conn:
            t = Dish.__table__  # type: ignore[attr-defined]
            conn.execute(sa.update(t).where(t.c.code == dish).values(price_cents=cents))


def both(tmp: Path, offers: Offers) -> tuple[KioskSide, HubSide]:
    """A kiosk and a hub loaded with the same data."""
    return KioskSide(tmp / "store.db", offers), HubSide(tmp / "hub.db", offers)
