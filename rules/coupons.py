"""What a coupon is worth on this order (at most one coupon per order).

A coupon is valued after promotions, on the net amounts of the lines in its
scope (set-meal lines are never in scope). Its minimum spend is measured on
the same lines. It is then settled in the payment split, after the subsidy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rules.errors import CouponBelowMinimumSpend, CouponNotApplicable, CouponNotValidNow
from rules.money import div_round_half_up, percent_of
from rules.order import Coupon, CouponKind, OrderLine


def coupon_value(
    coupon: Coupon, lines: Sequence[OrderLine], nets: Sequence[int], now: datetime
) -> int:
    """The most the coupon can pay on these non-set lines; refuse it when it cannot be used."""
    if not coupon.window.contains(now):
        raise CouponNotValidNow(coupon.code)
    scope = [net for line, net in zip(lines, nets, strict=True) if coupon.in_scope(line)]
    if not scope:
        raise CouponNotApplicable(coupon.code)
    eligible = sum(scope)
    if eligible < coupon.min_spend_cents:
        raise CouponBelowMinimumSpend(coupon.code, coupon.min_spend_cents, eligible)
    if coupon.kind is CouponKind.AMOUNT_OFF:
        return min(coupon.amount_cents, eligible)
    if coupon.kind is CouponKind.PERCENT_OFF:
        off = percent_of(eligible, coupon.percent_bp)
        return off if coupon.max_off_cents is None else min(off, coupon.max_off_cents)
    # FREE_DISH: one item of the named dish, the cheapest one if several lines have it
    units = [
        div_round_half_up(net, line.qty)
        for line, net in zip(lines, nets, strict=True)
        if line.dish_id == coupon.dish_id
    ]
    if not units:
        raise CouponNotApplicable(coupon.code)
    return min(units)
