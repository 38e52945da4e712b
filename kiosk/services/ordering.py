"""Pricing the cart with rules.price_order and recording it in the device store (order + outbox)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge_agent.errors import StoreError
from edge_agent.store import DeviceStore, RecordedOrder
from kiosk.services.cart import Cart, CartLine
from kiosk.services.catalog import CatalogService
from kiosk.services.clock import Clock
from kiosk.services.connectivity import ConnectivityStatus
from kiosk.services.errors import CartEmpty, OrderNotRecorded, SoldOutInCart
from protocol.ids import new_order_id
from protocol.member_cache import CachedMember
from protocol.payloads.order import OrderLine as WireOrderLine
from rules import RULES_VERSION
from rules.order import Coupon, Member, Policy, PricingInputs, Wallet
from rules.pricing import price_order
from rules.results import PaymentSource, PricedOrder

log = logging.getLogger(__name__)

WIRE_METHOD: Mapping[PaymentSource, str] = {
    PaymentSource.SUBSIDY: "subsidy",
    PaymentSource.COUPON: "coupon",
    PaymentSource.POINTS: "points",
    PaymentSource.STORED_VALUE_PAID: "stored_value",
    PaymentSource.STORED_VALUE_BONUS: "stored_value",
    PaymentSource.COUNTER: "counter",
}


@dataclass(frozen=True)
class Placed:
    """An order committed with its outbox row, and the priced order it came from."""

    recorded: RecordedOrder
    priced: PricedOrder
    offline: bool


class OrderService:
    """Prices carts (rules only: no arithmetic here) and records orders in the device store."""

    def __init__(
        self,
        store: DeviceStore,
        catalog: CatalogService,
        clock: Clock,
        connectivity: ConnectivityStatus,
        *,
        remainder_to_counter: bool = False,
    ) -> None:
        """Wire the store, the catalog (prices, offers, tiers), time and connectivity."""
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.connectivity = connectivity
        self.remainder_to_counter = remainder_to_counter

    def _member(self, cached: CachedMember | None) -> Member | None:
        if cached is None:
            return None
        return Member(cached.member_id, self.catalog.tier(cached.tier))

    def inputs(self, cart: Cart, cached: CachedMember | None, *, use_points: bool = False,
               online: bool | None = None, coupon: Coupon | None = None) -> PricingInputs:
        """The engine's inputs for this cart and diner (wallet from the member cache)."""
        if not len(cart):
            raise CartEmpty("the cart is empty")
        online = self.connectivity.online() if online is None else online
        wallet = Wallet()
        if cached is not None:
            wallet = Wallet(
                subsidy_cents=cached.subsidy_cents,
                points_balance=cached.points,
                use_points=use_points,
                paid_balance_cents=cached.balance_cents,
                bonus_balance_cents=cached.bonus_cents,
                online=online,
                offline_limit_cents=cached.offline_limit_cents,
            )
        return PricingInputs(
            lines=cart.rules_lines(),
            now=self.clock.now(),
            member=self._member(cached),
            set_meals=cart.rules_sets(),
            promotions=self.catalog.promotions(),
            coupon=coupon if cached is not None else None,
            wallet=wallet,
            policy=Policy(remainder_to_counter=self.remainder_to_counter,
                          points_rate=self.catalog.points_rate()),
        )

    def quote(self, cart: Cart, cached: CachedMember | None, *, use_points: bool = False,
              coupon: Coupon | None = None) -> PricedOrder:
        """Price the cart; raises a rules PricingError (InsufficientFunds...) or CartEmpty."""
        return price_order(self.inputs(cart, cached, use_points=use_points, coupon=coupon))

    def sold_out_lines(self, cart: Cart, period: str | None) -> list[CartLine]:
        """Lines whose dish is no longer sellable in the latest catalog."""
        self.catalog.refresh()
        return [ln for ln in cart.lines.values() if not self.catalog.sellable(ln.dish_id, period)]

    def place(self, cart: Cart, cached: CachedMember | None, *, period: str, order_id: str,
              use_points: bool = False, coupon: Coupon | None = None,
              coupon_template: str | None = None) -> Placed:
        """Re-check stock, price, and commit the order with its outbox row (one transaction).

        ``order_id`` is made once per checkout attempt by the caller, so a retried tap
        records the order once.
        """
        gone = self.sold_out_lines(cart, period)
        if gone:
            raise SoldOutInCart(tuple(ln.line_id for ln in gone),
                                tuple(f"{ln.name_zh} {ln.name_en}" for ln in gone))
        online = self.connectivity.online()
        inputs = self.inputs(cart, cached, use_points=use_points, online=online, coupon=coupon)
        priced = price_order(inputs)
        draft = order_draft(cart, priced, cached, period=period, order_id=order_id,
                            offline=not online)
        draft["pricing"] = pricing_context(cart, inputs, priced,
                                           catalog_version=self.catalog.version,
                                           coupon_template=coupon_template)
        try:
            recorded = self.store.record_order(draft)
        except StoreError as err:
            log.error("order %s not recorded: %s", order_id, err)
            raise OrderNotRecorded(str(err)) from err
        log.info("order %s (%s) recorded, total %d", recorded.order_no, order_id,
                 recorded.total_cents)
        return Placed(recorded, priced, offline=not online)


def order_draft(cart: Cart, priced: PricedOrder, cached: CachedMember | None, *, period: str,
                order_id: str, offline: bool) -> dict[str, Any]:
    """The OrderPlaced fields (without order_no/placed_at, which the store allocates)."""
    lines = []
    by_id = {p.line_id: p for p in priced.lines}
    for line in cart.lines.values():
        extra = {"note": line.note} if line.note and WIRE_HAS_NOTE else {}
        lines.append({
            "dish_id": line.dish_id,
            "name_zh": line.name_zh,
            "name_en": line.name_en,
            "qty": line.qty,
            "unit_price_cents": line.unit_price_cents,
            "weight_g": line.grams,
            "modifiers": [
                {"code": wire_modifier_code(o.group, o.code), "name_zh": o.name_zh,
                 "name_en": o.name_en, "price_delta_cents": o.price_delta_cents}
                for o in line.options
            ],
            # list amount as the engine computed it (weighed: rounded once per plate)
            "line_total_cents": by_id[line.line_id].list_cents,
            "station": line.station,
            **extra,
        })
    payments = [
        {"method": WIRE_METHOD[p.source], "amount_cents": p.amount_cents,
         "reference": _reference(p.source, priced)}
        for p in priced.payments
    ]
    return {
        "order_id": order_id,
        "meal_period": period,
        "member_id": cached.member_id if cached is not None else None,
        "lines": lines,
        "subtotal_cents": priced.subtotal_cents,
        "discount_cents": priced.subtotal_cents - priced.total_cents,
        "total_cents": priced.total_cents,
        "payments": payments,
        "paid": priced.paid_in_full,
        "offline": offline,
    }


_STORED = (PaymentSource.STORED_VALUE_PAID, PaymentSource.STORED_VALUE_BONUS)
# protocol's OrderLine gains an optional ``note`` (another change); send it once it is there.
WIRE_HAS_NOTE = "note" in WireOrderLine.model_fields


def _reference(source: PaymentSource, priced: PricedOrder) -> str | None:
    """Stored value: paid or bonus; coupon: the coupon id, which the hub redeems."""
    if source is PaymentSource.COUPON:
        return priced.coupon_code
    return source.value if source in _STORED else None


def pricing_context(cart: Cart, inputs: PricingInputs, priced: PricedOrder, *,
                    catalog_version: int | None,
                    coupon_template: str | None = None) -> dict[str, Any]:
    """The order's ``pricing`` block, from exactly the inputs given to ``price_order``.

    Lines are numbered in the order ``order_draft`` writes them (the cart's order).
    """
    index = {line_id: n for n, line_id in enumerate(cart.lines)}
    member = inputs.member
    coupon = inputs.coupon
    applied = dict.fromkeys(d.ref or d.kind for d in priced.discounts)
    return {
        "rules_version": RULES_VERSION,
        "catalog_version": catalog_version,
        "line_ids": list(cart.lines),
        "set_meals": [
            {"offer_code": choice.offer_code,
             "picks": [{"slot": p.slot, "line": index[p.line_id]} for p in choice.picks]}
            for choice in inputs.set_meals
        ],
        "coupon_id": coupon.code if coupon is not None else None,
        "coupon_template": coupon_template if coupon is not None else None,
        "use_points": inputs.wallet.use_points,
        "tier": member.tier.code if member is not None else None,
        "member_prices": member is not None and member.tier.member_price,
        "offers_applied": list(applied),
    }


def wire_modifier_code(group: str, choice: str) -> str:
    """``portion_large``: the group keeps two groups' same-named choices apart on the ticket."""
    code = f"{group}_{choice}"
    return code if len(code) <= 32 else choice


def new_checkout_id() -> str:
    """A fresh order id for one checkout attempt (UUIDv7, made on the device)."""
    return new_order_id()
