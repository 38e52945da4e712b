"""Every bad pricing input is refused with a typed, bilingual error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from rules.errors import (
    CouponBelowMinimumSpend,
    CouponNotApplicable,
    CouponNotValidNow,
    InvalidInput,
    InvalidLine,
    PricingError,
    SetMealDishNotAllowed,
    SetMealSlotsNotFilled,
    UnknownSetMeal,
    UnknownSetMealSlot,
)
from rules.order import (
    Coupon,
    CouponKind,
    MemberDay,
    Modifier,
    OrderLine,
    PointsRate,
    PricingInputs,
    Promotions,
    SetMealChoice,
    SlotPick,
    SpendSave,
    Wallet,
    Window,
)
from rules.pricing import price_order
from tests.rules.factories import (
    BURGER_SET,
    NOW,
    TOMORROW,
    TWO_MEAT_ONE_VEG,
    YESTERDAY,
    line,
    order,
)

SET_LINES = (
    line("m1", 1800),
    line("m2", 1500),
    line("v", 600, category="veg"),
    line("r", 100, dish="rice"),
    line("w", 250, category="veg", grams=300),
)
FULL = (SlotPick("meat", "m1"), SlotPick("meat", "m2"), SlotPick("veg", "v"), SlotPick("rice", "r"))


def with_set(*picks: SlotPick, offer: str = "2m1v") -> Callable[[], object]:
    """A thunk pricing SET_LINES with one set-meal choice."""
    inputs = order(
        *SET_LINES,
        set_meals=(SetMealChoice(offer, picks),),
        promotions=Promotions(set_meals=(TWO_MEAT_ONE_VEG, BURGER_SET)),
        wallet=Wallet(paid_balance_cents=99_999),
    )
    return lambda: price_order(inputs)


def with_coupon(coupon: Coupon, *lines: OrderLine) -> Callable[[], object]:
    """A thunk pricing the lines (default: one ￥18 meat dish) with a coupon."""
    inputs = order(
        *(lines or (line("a", 1800),)), coupon=coupon, wallet=Wallet(paid_balance_cents=99_999)
    )
    return lambda: price_order(inputs)


CASES: list[tuple[str, Callable[[], object], type[PricingError]]] = [
    ("zero quantity", lambda: line("a", 100, qty=0), InvalidLine),
    ("negative quantity", lambda: line("a", 100, qty=-2), InvalidLine),
    ("negative price", lambda: line("a", -100), InvalidLine),
    ("float price", lambda: line("a", 1.5), InvalidLine),  # type: ignore[arg-type]
    ("member price above list", lambda: line("a", 100, member=200), InvalidLine),
    ("zero grams", lambda: line("w", 250, grams=0), InvalidLine),
    ("weighed with qty 2", lambda: line("w", 250, grams=100, qty=2), InvalidLine),
    (
        "modifiers below zero",
        lambda: OrderLine("a", "d", "c", 100, modifiers=(Modifier("x", -150),)),
        InvalidLine,
    ),
    (
        "modifiers below a zero member price",
        lambda: OrderLine(
            "a", "d", "c", 100, member_unit_price_cents=0, modifiers=(Modifier("x", -50),)
        ),
        InvalidLine,
    ),
    ("empty dish id", lambda: OrderLine("a", "", "c", 100), InvalidLine),
    ("empty order", lambda: PricingInputs(lines=(), now=NOW), InvalidInput),
    (
        "naive now",
        lambda: PricingInputs(lines=(line("a", 1),), now=datetime(2026, 1, 1)),
        InvalidInput,
    ),
    ("duplicate line id", lambda: order(line("a", 1), line("a", 2)), InvalidInput),
    (
        "guest with coupon",
        lambda: order(
            line("a", 1), member=None, coupon=Coupon("c", CouponKind.AMOUNT_OFF, amount_cents=1)
        ),
        InvalidInput,
    ),
    (
        "guest with wallet",
        lambda: order(line("a", 1), member=None, wallet=Wallet(subsidy_cents=1)),
        InvalidInput,
    ),
    ("negative balance", lambda: Wallet(paid_balance_cents=-1), InvalidInput),
    ("zero points rate", lambda: PointsRate(0, 100), InvalidInput),
    ("member day 0%", lambda: MemberDay(0), InvalidInput),
    ("member day over 100%", lambda: MemberDay(10_001), InvalidInput),
    ("spend-save saves more than threshold", lambda: SpendSave("x", 100, 200), InvalidInput),
    ("window backwards", lambda: Window(TOMORROW, YESTERDAY), InvalidInput),
    ("naive window", lambda: Window(datetime(2026, 1, 1), None), InvalidInput),
    ("coupon worth nothing", lambda: Coupon("c", CouponKind.AMOUNT_OFF), InvalidInput),
    ("percent coupon 0%", lambda: Coupon("c", CouponKind.PERCENT_OFF), InvalidInput),
    ("free dish coupon without dish", lambda: Coupon("c", CouponKind.FREE_DISH), InvalidInput),
    ("unknown set meal", with_set(*FULL, offer="lunch-special"), UnknownSetMeal),
    (
        "set meal outside its window",
        lambda: price_order(
            order(
                line("1", 1, dish="burger"),
                set_meals=(SetMealChoice("burger", ()),),
                promotions=Promotions(set_meals=(BURGER_SET,)),
                now=TOMORROW,
            )
        ),
        UnknownSetMeal,
    ),
    ("unknown slot", with_set(*FULL, SlotPick("dessert", "w")), UnknownSetMealSlot),
    (
        "dish in the wrong slot",
        with_set(
            SlotPick("meat", "m1"),
            SlotPick("meat", "v"),
            SlotPick("veg", "m2"),
            SlotPick("rice", "r"),
        ),
        SetMealDishNotAllowed,
    ),
    (
        "weighed dish in a set",
        with_set(*FULL[:2], SlotPick("veg", "w"), FULL[3]),
        SetMealDishNotAllowed,
    ),
    ("slot under-filled", with_set(*FULL[:1], *FULL[2:]), SetMealSlotsNotFilled),
    ("slot over-filled", with_set(*FULL, SlotPick("veg", "w")), SetMealDishNotAllowed),
    ("line picked twice", with_set(*FULL, SlotPick("meat", "m1")), InvalidInput),
    ("pick of an unknown line", with_set(*FULL, SlotPick("meat", "zz")), InvalidInput),
    (
        "expired coupon",
        with_coupon(
            Coupon("OLD", CouponKind.AMOUNT_OFF, amount_cents=100, window=Window(None, YESTERDAY))
        ),
        CouponNotValidNow,
    ),
    (
        "coupon not yet valid",
        with_coupon(
            Coupon("NEW", CouponKind.AMOUNT_OFF, amount_cents=100, window=Window(TOMORROW, None))
        ),
        CouponNotValidNow,
    ),
    (
        "coupon below minimum spend",
        with_coupon(Coupon("M", CouponKind.AMOUNT_OFF, amount_cents=100, min_spend_cents=2000)),
        CouponBelowMinimumSpend,
    ),
    (
        "coupon for another category",
        with_coupon(
            Coupon("D", CouponKind.AMOUNT_OFF, amount_cents=100, categories=frozenset({"drink"}))
        ),
        CouponNotApplicable,
    ),
    (
        "free dish not in the order",
        with_coupon(Coupon("F", CouponKind.FREE_DISH, dish_id="cola")),
        CouponNotApplicable,
    ),
]


@pytest.mark.parametrize(("thunk", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_typed_bilingual_error(
    thunk: Callable[[], object], error: type[PricingError]
) -> None:
    with pytest.raises(error) as caught:
        thunk()
    assert isinstance(caught.value, PricingError) and isinstance(caught.value, ValueError)
    label = caught.value.label
    assert label.en and label.zh and label.en != label.zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in label.zh)  # really Chinese


def test_over_filled_slot_is_named_with_counts() -> None:
    extra_meat = (*SET_LINES, line("m3", 900))
    inputs = order(
        *extra_meat,
        set_meals=(SetMealChoice("2m1v", (*FULL, SlotPick("meat", "m3"))),),
        promotions=Promotions(set_meals=(TWO_MEAT_ONE_VEG,)),
    )
    with pytest.raises(SetMealSlotsNotFilled) as err:
        price_order(inputs)
    assert (err.value.slot, err.value.wanted, err.value.got) == ("meat", 2, 3)
    assert "需要 2 份，已选 3 份" in err.value.label.zh


def test_minimum_spend_error_tells_the_diner_both_amounts() -> None:
    coupon = Coupon("M20", CouponKind.AMOUNT_OFF, amount_cents=300, min_spend_cents=2000)
    with pytest.raises(CouponBelowMinimumSpend) as err:
        with_coupon(coupon)()
    assert (err.value.minimum_cents, err.value.eligible_cents) == (2000, 1800)
    assert err.value.label.zh == "优惠券 M20 需满 ￥20.00 可用，当前可用金额 ￥18.00"


def test_minimum_spend_is_measured_after_promotions() -> None:
    coupon = Coupon("M18", CouponKind.AMOUNT_OFF, amount_cents=300, min_spend_cents=1800)
    inputs = order(
        line("a", 1800, member=1700), coupon=coupon, wallet=Wallet(paid_balance_cents=9999)
    )
    with pytest.raises(CouponBelowMinimumSpend):
        price_order(inputs)


def test_set_meal_lines_do_not_count_towards_a_coupon() -> None:
    coupon = Coupon("ALL", CouponKind.AMOUNT_OFF, amount_cents=100)
    inputs = order(
        *SET_LINES[:4],
        set_meals=(SetMealChoice("2m1v", FULL),),
        promotions=Promotions(set_meals=(TWO_MEAT_ONE_VEG,)),
        coupon=coupon,
        wallet=Wallet(paid_balance_cents=9999),
    )
    with pytest.raises(CouponNotApplicable):
        price_order(inputs)
