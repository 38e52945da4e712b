"""Re-price an ingested order with the shared engine and the hub's own dish prices.

The wire order carries dishes, quantities, modifiers and the member, but not the
set-meal choices, promotions, coupon or wallet the kiosk used. So the hub
prices each line at its catalog price (member price for members, as the
engine decides) with no promotions, and compares the subtotal, and the total
when the kiosk gave no discount. A difference flags the order for review; the
order itself is kept as the kiosk recorded it (the diner has paid that).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.ingest.directory import HubDish
from protocol import OrderPlaced
from rules import order as r
from rules.errors import RulesError
from rules.pricing import price_order

_POLICY = r.Policy(remainder_to_counter=True)


@dataclass(frozen=True, slots=True)
class Review:
    """Kiosk figures against the hub's, for an order that disagrees."""

    kiosk_subtotal_cents: int
    hub_subtotal_cents: int
    kiosk_total_cents: int
    hub_total_cents: int
    detail: str


def reprice(order: OrderPlaced, dishes: Mapping[str, HubDish]) -> Review | str | None:
    """A Review when the figures differ, None when they agree, or why it could not be priced."""
    lines = []
    for n, line in enumerate(order.lines, start=1):
        dish = dishes.get(line.dish_id)
        if dish is None:
            return f"dish {line.dish_id!r} unknown at the hub"
        if line.weight_g is not None:
            return "weighed line (per-100 g price not compared)"
        member_price = dish.member_price_cents
        if member_price is not None and member_price > dish.price_cents:
            member_price = None
        lines.append(
            r.OrderLine(
                line_id=f"{n:03d}",
                dish_id=line.dish_id,
                category=dish.category,
                unit_price_cents=dish.price_cents,
                qty=line.qty,
                member_unit_price_cents=member_price,
                modifiers=tuple(r.Modifier(m.code, m.price_delta_cents) for m in line.modifiers),
            )
        )
    member = r.Member(order.member_id) if order.member_id else None
    try:
        hub = price_order(
            r.PricingInputs(lines=tuple(lines), now=order.placed_at, member=member, policy=_POLICY)
        )
    except RulesError as err:
        return f"pricing engine refused: {err}"
    problems = []
    if hub.subtotal_cents != order.subtotal_cents:
        problems.append(f"subtotal kiosk {order.subtotal_cents} hub {hub.subtotal_cents}")
    if order.discount_cents == 0 and hub.total_cents != order.total_cents:
        problems.append(f"total kiosk {order.total_cents} hub {hub.total_cents}")
    if not problems:
        return None
    return Review(
        order.subtotal_cents, hub.subtotal_cents, order.total_cents, hub.total_cents,
        "; ".join(problems),
    )
