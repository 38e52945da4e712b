"""Properties of the pricing engine over random orders, wallets and promotions."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import CouponError, InsufficientFunds
from rules.money import percent_of
from rules.order import (
    Coupon,
    CouponKind,
    Member,
    MemberDay,
    OrderLine,
    PointsRate,
    Policy,
    PricingInputs,
    Promotions,
    SpendSave,
    Tier,
    Wallet,
)
from rules.payment import split_payment
from rules.pricing import diff_totals, price_order
from rules.results import PAYMENT_ORDER, PricedOrder
from rules.results import PaymentSource as S
from tests.rules.factories import NOW

CATEGORIES = ("meat", "veg", "drink")


@st.composite
def order_lines(draw: st.DrawFn) -> tuple[OrderLine, ...]:
    """1-10 lines with unique ids; some weighed, some with member prices."""
    n = draw(st.integers(1, 10))
    lines = []
    for i in range(n):
        price = draw(st.integers(0, 5000))
        member = draw(st.one_of(st.none(), st.integers(0, price)))
        weighed = draw(st.booleans())
        lines.append(
            OrderLine(
                line_id=f"L{i:02d}",
                dish_id=f"dish{draw(st.integers(0, 4))}",
                category=draw(st.sampled_from(CATEGORIES)),
                unit_price_cents=price,
                qty=1 if weighed else draw(st.integers(1, 4)),
                member_unit_price_cents=member,
                grams=draw(st.integers(1, 1500)) if weighed else None,
            )
        )
    return tuple(lines)


coupons = st.one_of(
    st.none(),
    st.builds(
        Coupon,
        st.just("A"),
        st.just(CouponKind.AMOUNT_OFF),
        amount_cents=st.integers(1, 3000),
        min_spend_cents=st.integers(0, 3000),
    ),
    st.builds(
        Coupon,
        st.just("P"),
        st.just(CouponKind.PERCENT_OFF),
        percent_bp=st.integers(1, 10_000),
        max_off_cents=st.one_of(st.none(), st.integers(0, 2000)),
        categories=st.sampled_from([frozenset(), frozenset({"drink"})]),
    ),
    st.builds(Coupon, st.just("F"), st.just(CouponKind.FREE_DISH), dish_id=st.just("dish1")),
)
wallets = st.builds(
    Wallet,
    subsidy_cents=st.integers(0, 3000),
    points_balance=st.integers(0, 5000),
    use_points=st.booleans(),
    paid_balance_cents=st.integers(0, 20_000),
    bonus_balance_cents=st.integers(0, 5000),
    online=st.booleans(),
    offline_limit_cents=st.integers(0, 10_000),
)
promotions = st.builds(
    Promotions,
    member_day=st.one_of(st.none(), st.builds(MemberDay, st.integers(1, 10_000))),
    spend_save=st.lists(
        st.integers(0, 8000).flatmap(
            lambda t: st.builds(
                SpendSave,
                st.sampled_from(["s1", "s2", "s3"]),
                st.just(t),
                st.integers(0, t),
                members_only=st.booleans(),
            )
        ),
        max_size=3,
    ).map(tuple),
)
members = st.builds(
    Member, st.just("m"), st.builds(Tier, st.just("t"), st.booleans(), st.integers(0, 300))
)
policies = st.builds(
    Policy,
    remainder_to_counter=st.booleans(),
    points_rate=st.builds(PointsRate, st.integers(1, 200), st.integers(1, 200)),
    points_earned_per_yuan=st.integers(0, 3),
)


@st.composite
def pricing_inputs(draw: st.DrawFn) -> PricingInputs:
    """Random but valid inputs: a guest gets no wallet or coupon."""
    member = draw(st.one_of(st.none(), members))
    return PricingInputs(
        lines=draw(order_lines()),
        now=NOW,
        member=member,
        promotions=draw(promotions),
        coupon=draw(coupons) if member else None,
        wallet=draw(wallets) if member else Wallet(),
        policy=draw(policies),
    )


def available(inputs: PricingInputs, priced: PricedOrder) -> dict[S, int]:
    """What each source could pay at most, from the wallet alone."""
    w, rate = inputs.wallet, inputs.policy.points_rate
    cap = w.paid_balance_cents + w.bonus_balance_cents
    if not w.online:
        cap = min(cap, w.offline_limit_cents)
    paid = min(w.paid_balance_cents, cap)
    return {
        S.SUBSIDY: w.subsidy_cents,
        S.COUPON: priced.coupon_value_cents,
        S.POINTS: w.points_balance * rate.cents // rate.points if w.use_points else 0,
        S.STORED_VALUE_PAID: paid,
        S.STORED_VALUE_BONUS: min(w.bonus_balance_cents, cap - priced.paid_by(S.STORED_VALUE_PAID)),
    }


def price_or_none(inputs: PricingInputs) -> PricedOrder | None:
    """The priced order, or None when a coupon or funds are (legitimately) refused."""
    try:
        return price_order(inputs)
    except (CouponError, InsufficientFunds):
        return None


@given(pricing_inputs())
@settings(max_examples=120, deadline=None)
def test_split_sums_to_total_and_respects_balances_and_order(inputs: PricingInputs) -> None:
    priced = price_or_none(inputs)
    if priced is None:
        return
    assert sum(p.amount_cents for p in priced.payments) == priced.total_cents
    assert priced.subtotal_cents - sum(d.amount_cents for d in priced.discounts) == (
        priced.total_cents
    )
    for p in priced.lines:
        assert 0 <= p.net_cents <= p.list_cents
    assert all(p.amount_cents > 0 for p in priced.payments)
    assert all(d.amount_cents > 0 for d in priced.discounts)
    sources = [p.source for p in priced.payments]
    assert sources == sorted(sources, key=PAYMENT_ORDER.index)
    if inputs.member is None:
        assert sources in ([S.COUNTER], [])
        return
    can = available(inputs, priced)
    for source, limit in can.items():
        assert priced.paid_by(source) <= limit
    assert priced.points_used <= inputs.wallet.points_balance
    if not inputs.wallet.online:
        stored = priced.paid_by(S.STORED_VALUE_PAID) + priced.paid_by(S.STORED_VALUE_BONUS)
        assert stored <= inputs.wallet.offline_limit_cents
    # a later source pays only once every earlier one is used up
    for later_index, later in enumerate(PAYMENT_ORDER):
        if priced.paid_by(later) > 0:
            for earlier in PAYMENT_ORDER[:later_index]:
                if earlier in can:
                    assert priced.paid_by(earlier) == can[earlier]
    if priced.counter_due_cents:
        assert inputs.policy.remainder_to_counter


@given(pricing_inputs())
@settings(max_examples=60, deadline=None)
def test_insufficient_funds_names_the_exact_shortfall(inputs: PricingInputs) -> None:
    if inputs.member is None:
        return
    lenient = replace(inputs, policy=replace(inputs.policy, remainder_to_counter=True))
    priced = price_or_none(lenient)
    if priced is None:
        return
    try:
        strict = price_order(
            replace(inputs, policy=replace(inputs.policy, remainder_to_counter=False))
        )
    except InsufficientFunds as err:
        assert err.shortfall_cents == priced.counter_due_cents > 0
    else:
        assert priced.counter_due_cents == 0 and strict == priced


@given(pricing_inputs(), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_same_input_same_output_whatever_the_cart_order(
    inputs: PricingInputs, rnd: random.Random
) -> None:
    shuffled = list(inputs.lines)
    rnd.shuffle(shuffled)
    again = replace(inputs, lines=tuple(shuffled))
    try:
        first = price_order(inputs)
    except (CouponError, InsufficientFunds) as err:
        try:
            price_order(again)
        except type(err) as err2:
            assert err2.label == err.label
        else:
            raise AssertionError("refused once, accepted after reordering") from err
        return
    second = price_order(again)
    assert first == second and diff_totals(first, second) == ()


@given(pricing_inputs())
@settings(max_examples=60, deadline=None)
def test_member_day_loses_no_fen_to_rounding(inputs: PricingInputs) -> None:
    priced = price_or_none(inputs)
    if priced is None or inputs.promotions.member_day is None:
        return
    day_lines = [p for p in priced.lines if p.basis == "member_day"]
    day_discounts = [d for d in priced.discounts if d.kind == "member_day"]
    expected = percent_of(
        sum(p.list_cents for p in day_lines), inputs.promotions.member_day.percent_bp
    )
    assert sum(d.amount_cents for d in day_discounts) == expected


@given(pricing_inputs())
@settings(max_examples=60, deadline=None)
def test_member_never_pays_more_than_a_guest_for_the_same_lines(inputs: PricingInputs) -> None:
    if inputs.member is None or inputs.promotions.spend_save:
        return  # spend-save thresholds can legitimately flip (see docs/pricing.md)
    member = price_or_none(
        replace(inputs, coupon=None, policy=replace(inputs.policy, remainder_to_counter=True))
    )
    guest = price_order(replace(inputs, member=None, coupon=None, wallet=Wallet()))
    assert member is not None and member.total_cents <= guest.total_cents


@given(
    st.integers(0, 20_000),
    wallets,
    st.integers(0, 5000),
    policies.filter(lambda p: p.remainder_to_counter),
)
@settings(max_examples=300, deadline=None)
def test_each_source_is_used_up_before_the_next_pays(
    total: int, wallet: Wallet, coupon_value: int, policy: Policy
) -> None:
    payments, points_used, _ = split_payment(total, Member("m"), wallet, coupon_value, policy)
    paid = {p.source: p.amount_cents for p in payments}
    rate = policy.points_rate
    cap = wallet.paid_balance_cents + wallet.bonus_balance_cents
    if not wallet.online:
        cap = min(cap, wallet.offline_limit_cents)
    left = total
    for source, can in (
        (S.SUBSIDY, wallet.subsidy_cents),
        (S.COUPON, coupon_value),
        (S.POINTS, wallet.points_balance * rate.cents // rate.points if wallet.use_points else 0),
        (S.STORED_VALUE_PAID, min(wallet.paid_balance_cents, cap)),
        (
            S.STORED_VALUE_BONUS,
            min(wallet.bonus_balance_cents, cap - paid.get(S.STORED_VALUE_PAID, 0)),
        ),
    ):
        assert paid.get(source, 0) == min(left, can), source
        left -= paid.get(source, 0)
    assert paid.get(S.COUNTER, 0) == left
    assert points_used <= wallet.points_balance
    if S.POINTS in paid:  # whole points, never a fen of cover for free
        assert points_used * rate.cents >= paid[S.POINTS] * rate.points
        assert (points_used - 1) * rate.cents < paid[S.POINTS] * rate.points
