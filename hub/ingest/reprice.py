"""Re-price an ingested order with the shared engine, from the hub's own data.

The kiosk sends its pricing context with the order (``OrderPlaced.pricing``:
set-meal picks by line, coupon id, tier, use_points, catalog version). The hub
rebuilds ``rules`` inputs from its own tables (dish prices, site promotions and
set meals, the coupon's template, the tier's benefits), calls
``rules.price_order`` and compares subtotal, discount and total with
``rules.diff_totals``. A difference flags the order for review with both
figures; the order itself is kept as the kiosk recorded it (the diner paid it).

Orders without a ``pricing`` block (older kiosks) are priced at list/member
price without promotions; then only the subtotal (and the total when the kiosk
gave no discount) can be compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from hub.accounts.tiers import benefits
from hub.coupons.promotions import site_promotions
from hub.coupons.templates import rules_coupon
from hub.ingest.directory import HubDish
from hub.models import Dish, SetMeal, SetMealItem, SetMealSlot
from hub.models.account_rules import TierDefinition
from hub.models.coupons import Coupon, CouponTemplate
from hub.models.ingest import CatalogVersion
from protocol import OrderPlaced
from rules import order as r
from rules.errors import RulesError
from rules.labels import Label
from rules.pricing import diff_totals, price_order
from rules.results import Discount, PricedOrder

_POLICY = r.Policy(remainder_to_counter=True)
_TOTAL = Label("合计优惠", "Discounts")


@dataclass(frozen=True, slots=True)
class Review:
    """Kiosk figures against the hub's, for an order that disagrees."""

    kiosk_subtotal_cents: int
    hub_subtotal_cents: int
    kiosk_total_cents: int
    hub_total_cents: int
    detail: str


@dataclass(frozen=True, slots=True)
class DishPrice:
    """A dish's hub-side price; a weighed dish has ``price_per_100g_cents``."""

    category: str
    price_cents: int
    member_price_cents: int | None = None
    price_per_100g_cents: int | None = None


@dataclass(frozen=True, slots=True)
class HubPricing:
    """What the hub prices an order with, read from its own tables."""

    dishes: Mapping[str, DishPrice]
    promotions: r.Promotions = field(default_factory=r.Promotions)
    tiers: Mapping[str, r.Tier] = field(default_factory=dict)
    coupon: r.Coupon | None = None
    catalog_version: int | None = None


def _t(model: object) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


def load_pricing(session: Session, order: OrderPlaced, *, site_id: int | None) -> HubPricing:
    """The hub's prices, promotions, set meals, tiers and coupon for this order."""
    d = _t(Dish).c
    codes = {line.dish_id for line in order.lines}
    dishes = {
        code: DishPrice(category, price, member, per_100g)
        for code, category, price, member, per_100g in session.execute(
            sa.select(d.code, d.category, d.price_cents, d.member_price_cents,
                      d.price_per_100g_cents).where(d.code.in_(codes))
        )
    }
    ctx = order.pricing
    promos = r.Promotions()
    set_prices: dict[str, int] = {}
    if site_id is not None and ctx is not None:
        site = site_promotions(session=session, site_id=site_id, now=order.placed_at)
        promos, set_prices = site.promotions, site.set_meal_prices
    wanted = {c.offer_code for c in ctx.set_meals} if ctx is not None else set()
    set_meals = tuple(
        offer for offer in (
            _set_meal(session, code, set_prices) for code in sorted(wanted)
        ) if offer is not None
    )
    tiers: dict[str, r.Tier] = {}
    if ctx is not None and ctx.tier is not None:
        row = session.exec(select(TierDefinition).where(TierDefinition.code == ctx.tier)).first()
        if row is not None:
            tiers[ctx.tier] = benefits(row)
    version = None
    if site_id is not None:
        cv = session.get(CatalogVersion, site_id)
        version = cv.version if cv is not None else None
    return HubPricing(
        dishes=dishes,
        promotions=r.Promotions(promos.member_day, promos.spend_save, set_meals),
        tiers=tiers,
        coupon=_coupon(session, order),
        catalog_version=version,
    )


def _set_meal(session: Session, code: str, prices: Mapping[str, int]) -> r.SetMealOffer | None:
    """A hub set meal as the engine's offer; slot codes as the kiosk makes them (protocol)."""
    row = session.exec(
        select(SetMeal).where(SetMeal.code == code, col(SetMeal.active).is_(True))
    ).first()
    if row is None or row.id is None:
        return None
    name = Label(row.name_zh, row.name_en)
    if row.kind == "fixed":
        d, i = _t(Dish).c, _t(SetMealItem).c
        counts: Counter[str] = Counter()
        for dish_code, qty in session.execute(
            sa.select(d.code, i.qty).join_from(_t(SetMealItem), _t(Dish), d.id == i.dish_id)
            .where(i.set_meal_id == row.id).order_by(i.id)
        ):
            counts[dish_code] += qty
        slots = tuple(
            r.SetMealSlot(dish_code, Label(dish_code, dish_code), n,
                          dish_ids=frozenset({dish_code}))
            for dish_code, n in counts.items()
        )
    else:
        s = _t(SetMealSlot).c
        slots = tuple(
            r.SetMealSlot(f"{n}-{category}", Label(category, category), count,
                          categories=frozenset({category}))
            for n, (category, count) in enumerate(session.execute(
                sa.select(s.category, s.max_picks).where(s.set_meal_id == row.id)
                .order_by(s.sort_order, s.id)
            ), start=1)
        )
    if not slots:
        return None
    return r.SetMealOffer(code, name, prices.get(code, row.price_cents), slots)


def _coupon(session: Session, order: OrderPlaced) -> r.Coupon | None:
    """The coupon the kiosk applied, with the hub's template terms and validity."""
    ctx = order.pricing
    if ctx is None or ctx.coupon_id is None:
        return None
    if ctx.coupon_id.isdigit():
        coupon = session.get(Coupon, int(ctx.coupon_id))
        if coupon is not None:
            template = session.get(CouponTemplate, coupon.template_id)
            if template is not None:
                return rules_coupon(template, code=ctx.coupon_id,
                                    valid_from=coupon.valid_from,
                                    valid_until=coupon.valid_until)
    if ctx.coupon_template is not None:
        template = session.exec(
            select(CouponTemplate).where(CouponTemplate.code == ctx.coupon_template)
        ).first()
        if template is not None:
            return rules_coupon(template, code=ctx.coupon_id)
    return None


def reprice_order(conn: Connection, order: OrderPlaced, *, site_id: int | None
                  ) -> Review | str | None:
    """Load the hub's pricing data on this connection (its transaction) and re-price."""
    with Session(bind=conn) as session:
        hub = load_pricing(session, order, site_id=site_id)
    return reprice(order, hub)


def hub_inputs(order: OrderPlaced, hub: HubPricing) -> r.PricingInputs | str:
    """The engine's inputs at the hub, or why they cannot be built."""
    ctx = order.pricing
    ids = list(ctx.line_ids) if ctx is not None and ctx.line_ids else [
        f"{n:03d}" for n in range(1, len(order.lines) + 1)
    ]
    lines = []
    for line_id, line in zip(ids, order.lines, strict=True):
        dish = hub.dishes.get(line.dish_id)
        if dish is None:
            return f"dish {line.dish_id!r} unknown at the hub"
        if line.weight_g is not None:
            if dish.price_per_100g_cents is None:
                return f"dish {line.dish_id!r} is not weighed at the hub"
            price = dish.price_per_100g_cents  # member price per 100 g too (protocol)
        else:
            price = dish.price_cents
        member_price = dish.member_price_cents
        if member_price is not None and member_price > price:
            member_price = None
        lines.append(r.OrderLine(
            line_id=line_id, dish_id=line.dish_id, category=dish.category,
            unit_price_cents=price, qty=line.qty, member_unit_price_cents=member_price,
            grams=line.weight_g,
            modifiers=tuple(r.Modifier(m.code, m.price_delta_cents) for m in line.modifiers),
        ))
    member = None
    if order.member_id is not None:
        tier_code = ctx.tier if ctx is not None else None
        tier = r.Tier("standard") if tier_code is None else hub.tiers.get(tier_code,
                                                                        r.Tier(tier_code))
        member = r.Member(order.member_id, tier)
    choices: tuple[r.SetMealChoice, ...] = ()
    promotions = r.Promotions()
    if ctx is not None:
        choices = tuple(
            r.SetMealChoice(c.offer_code, tuple(r.SlotPick(p.slot, ids[p.line]) for p in c.picks))
            for c in ctx.set_meals
        )
        promotions = hub.promotions
    coupon = hub.coupon if member is not None else None
    if ctx is not None and ctx.coupon_id is not None and coupon is None:
        return f"coupon {ctx.coupon_id!r} unknown at the hub"
    return r.PricingInputs(
        lines=tuple(lines), now=order.placed_at, member=member, set_meals=choices,
        promotions=promotions, coupon=coupon,
        wallet=r.Wallet(use_points=ctx.use_points) if member is not None and ctx else r.Wallet(),
        policy=_POLICY,
    )


def _summary(subtotal: int, discount: int, total: int) -> PricedOrder:
    """Only the figures compared (subtotal, discount, total) as a PricedOrder."""
    discounts = (Discount("discount", "", _TOTAL, discount, ()),) if discount else ()
    return PricedOrder((), subtotal, discounts, total, (), None, 0, 0, 0)


def reprice(order: OrderPlaced, hub: HubPricing | Mapping[str, HubDish]
            ) -> Review | str | None:
    """A Review when the figures differ, None when they agree, or why it could not be priced.

    ``hub`` is the full :class:`HubPricing` (:func:`load_pricing`), or, as the ingest
    writer passed it before, dish prices only (then weighed lines and the pricing
    context cannot be checked).
    """
    legacy = not isinstance(hub, HubPricing)
    if not isinstance(hub, HubPricing):
        if any(ln.weight_g for ln in order.lines):
            return "weighed line: re-pricing needs the hub's pricing data (load_pricing)"
        order = order.model_copy(update={"pricing": None})  # list/member prices only
        hub = HubPricing({k: DishPrice(v.category, v.price_cents, v.member_price_cents)
                          for k, v in hub.items()})
    try:
        inputs = hub_inputs(order, hub)
        if isinstance(inputs, str):
            return inputs
        priced = price_order(inputs)
    except RulesError as err:
        return f"pricing engine refused: {err}"
    kiosk = _summary(order.subtotal_cents, order.discount_cents, order.total_cents)
    hub_discount = priced.subtotal_cents - priced.total_cents
    hub_fig = _summary(priced.subtotal_cents, hub_discount, priced.total_cents)
    diffs = [d for d in diff_totals(kiosk, hub_fig)
             if not (legacy and order.discount_cents and d.item != "subtotal")]
    problems = [f"{d.item} kiosk {d.a_cents} hub {d.b_cents}" for d in diffs]
    paid = coupon_paid(order)
    if order.pricing is not None and paid > priced.coupon_value_cents:
        problems.append(f"coupon kiosk {paid} hub {priced.coupon_value_cents}")
    if not problems:
        return None
    problems.extend(_context_notes(order, hub, priced))
    return Review(
        order.subtotal_cents, priced.subtotal_cents, order.total_cents, priced.total_cents,
        "; ".join(problems)[:1000],
    )


def _context_notes(order: OrderPlaced, hub: HubPricing, priced: PricedOrder) -> list[str]:
    """Hints for the reviewer: other catalog version, offers applied on one side only."""
    ctx = order.pricing
    if ctx is None:
        return ["no pricing context (older kiosk): promotions not re-priced"]
    notes = []
    if ctx.catalog_version is not None and hub.catalog_version not in (None, ctx.catalog_version):
        notes.append(f"kiosk priced catalog v{ctx.catalog_version}, hub has "
                     f"v{hub.catalog_version}")
    hub_offers = {d.ref or d.kind for d in priced.discounts}
    if set(ctx.offers_applied) != hub_offers:
        notes.append(f"offers kiosk {sorted(ctx.offers_applied)} hub {sorted(hub_offers)}")
    return notes


def coupon_paid(order: OrderPlaced) -> int:
    """What the kiosk settled with the coupon (the payment split's coupon share)."""
    return sum(p.amount_cents for p in order.payments if p.method == "coupon")

