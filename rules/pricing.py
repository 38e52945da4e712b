"""The one pricing engine: ``price_order(inputs) -> PricedOrder`` and ``diff_totals``.

Stacking policy (docs/pricing.md has worked examples), applied in this order:

1. Set meals: the set price replaces its dishes' prices; nothing else
   touches a set-meal line.
2. Other lines, members only: member price OR member-day percent, whichever
   is lower for that line; never both.
3. Spend-X-save-Y: one offer (the biggest saving reached), on the non-set
   lines' amounts after step 2.
4. Coupon (at most one): valued on its scope's amounts after step 3, then
   settled in the payment split after the subsidy.
5. Payment split in the fixed order of ``rules.payment``.

No step can take an amount below zero. Lines are processed in ``line_id``
order, so the result does not depend on the order of the cart.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.coupons import coupon_value
from rules.order import PricingInputs
from rules.payment import split_payment
from rules.promotions import apply_spend_save, best_spend_save, price_loose_lines
from rules.results import PriceBasis, PricedLine, PricedOrder
from rules.setmeals import price_set_meals


def price_order(inputs: PricingInputs) -> PricedOrder:
    """Price an order and split its payment; raise a ``PricingError`` on any bad input."""
    lines = sorted(inputs.lines, key=lambda line: line.line_id)
    by_id = {line.line_id: line for line in lines}
    promos = inputs.promotions
    in_sets, set_discounts = price_set_meals(by_id, inputs.set_meals, promos.set_meals, inputs.now)

    loose = [line for line in lines if line.line_id not in in_sets]
    day = promos.member_day
    if day is not None and not day.window.contains(inputs.now):
        day = None
    nets, bases, line_discounts = price_loose_lines(loose, inputs.member, day)

    discounts = [*set_discounts, *line_discounts]
    offer = best_spend_save(sum(nets), promos.spend_save, inputs.member, inputs.now)
    if offer is not None:
        discounts.append(apply_spend_save([line.line_id for line in loose], nets, offer))

    value = 0
    if inputs.coupon is not None:
        value = coupon_value(inputs.coupon, loose, nets, inputs.now)

    loose_net = {
        line.line_id: (net, basis) for line, net, basis in zip(loose, nets, bases, strict=True)
    }
    priced: list[PricedLine] = []
    for line in lines:
        set_line = in_sets.get(line.line_id)
        if set_line is not None:
            net, basis, code = set_line.net_cents, PriceBasis.SET_MEAL, set_line.offer_code
        else:
            (net, basis), code = loose_net[line.line_id], None
        priced.append(
            PricedLine(
                line.line_id,
                line.dish_id,
                line.category,
                line.qty,
                line.list_cents,
                net,
                basis,
                code,
            )
        )
    total = sum(p.net_cents for p in priced)
    payments, points_used, points_earned = split_payment(
        total, inputs.member, inputs.wallet, value, inputs.policy
    )
    return PricedOrder(
        lines=tuple(priced),
        subtotal_cents=sum(p.list_cents for p in priced),
        discounts=tuple(discounts),
        total_cents=total,
        payments=payments,
        coupon_code=inputs.coupon.code if inputs.coupon is not None else None,
        coupon_value_cents=value,
        points_used=points_used,
        points_earned=points_earned,
    )


@dataclass(frozen=True, slots=True)
class TotalsDiff:
    """One figure on which two priced orders (kiosk vs hub) disagree."""

    item: str
    a_cents: int
    b_cents: int


def diff_totals(a: PricedOrder, b: PricedOrder) -> tuple[TotalsDiff, ...]:
    """The figures that differ between ``a`` and ``b``; empty when they agree.

    Compared: subtotal, total, each discount (by kind and ref), each payment
    source, points used and earned. The hub flags the order for review when
    this is not empty.
    """
    left, right = _figures(a), _figures(b)
    return tuple(
        TotalsDiff(key, left.get(key, 0), right.get(key, 0))
        for key in sorted(left.keys() | right.keys())
        if left.get(key, 0) != right.get(key, 0)
    )


def _figures(order: PricedOrder) -> dict[str, int]:
    figures = {
        "subtotal": order.subtotal_cents,
        "total": order.total_cents,
        "points_used": order.points_used,
        "points_earned": order.points_earned,
    }
    for d in order.discounts:
        key = f"discount:{d.kind}:{d.ref}" if d.ref else f"discount:{d.kind}"
        figures[key] = figures.get(key, 0) + d.amount_cents
    for p in order.payments:
        figures[f"payment:{p.source.value}"] = p.amount_cents
    return figures
