"""Worked examples of the pricing engine: the figures a diner sees, to the fen.

Each case is also a worked example in docs/pricing.md.
"""

from __future__ import annotations

import pytest

from rules.errors import InsufficientFunds
from rules.order import (
    Coupon,
    CouponKind,
    Member,
    MemberDay,
    Modifier,
    OrderLine,
    PointsRate,
    Policy,
    Promotions,
    SetMealChoice,
    SlotPick,
    SpendSave,
    Tier,
    Wallet,
    Window,
)
from rules.pricing import diff_totals, price_order
from rules.results import PaymentSource as S
from rules.results import PriceBasis, PricedOrder
from tests.rules.factories import BURGER_SET, GOLD, TWO_MEAT_ONE_VEG, YESTERDAY, line, order


def split(priced: PricedOrder) -> dict[str, int]:
    """Payments as {source: fen}, in the order the engine listed them."""
    return {p.source.value: p.amount_cents for p in priced.payments}


def nets(priced: PricedOrder) -> dict[str, int]:
    """Net amount per line id."""
    return {p.line_id: p.net_cents for p in priced.lines}


LUNCH = (line("a", 1800), line("b", 600, category="veg"), line("r", 100, dish="rice", qty=2))


def test_subsidy_then_coupon_then_points_then_stored_value_paid_then_bonus() -> None:
    priced = price_order(
        order(
            *LUNCH,
            coupon=Coupon("C300", CouponKind.AMOUNT_OFF, amount_cents=300, min_spend_cents=2000),
            wallet=Wallet(
                subsidy_cents=1200,
                points_balance=250,
                use_points=True,
                paid_balance_cents=500,
                bonus_balance_cents=1000,
            ),
        )
    )
    assert priced.subtotal_cents == priced.total_cents == 2600
    assert list(split(priced).items()) == [
        ("subsidy", 1200),
        ("coupon", 300),
        ("points", 250),
        ("stored_value_paid", 500),
        ("stored_value_bonus", 350),
    ]
    assert priced.points_used == 250 and priced.coupon_used and priced.paid_in_full
    assert priced.points_earned == 5  # only the ￥5.00 paid balance earns


def test_points_are_not_used_unless_the_diner_chooses_to() -> None:
    wallet = Wallet(points_balance=10_000, paid_balance_cents=5000)
    priced = price_order(order(*LUNCH, wallet=wallet))
    assert split(priced) == {"stored_value_paid": 2600} and priced.points_used == 0


def test_points_at_a_non_unit_rate_spend_whole_points_rounded_up() -> None:
    # 100 points = ￥0.50; 1001 points are worth ￥5.00 (the odd point buys nothing)
    priced = price_order(
        order(
            line("a", 833),
            wallet=Wallet(points_balance=1001, use_points=True, paid_balance_cents=1000),
            policy=Policy(points_rate=PointsRate(points=100, cents=50)),
        )
    )
    assert split(priced) == {"points": 500, "stored_value_paid": 333}
    assert priced.points_used == 1000
    small = price_order(
        order(
            line("a", 333),
            wallet=Wallet(points_balance=1001, use_points=True),
            policy=Policy(points_rate=PointsRate(points=100, cents=50)),
        )
    )
    assert split(small) == {"points": 333} and small.points_used == 666


def test_build_your_own_set_meal_wins_over_member_price_and_member_day() -> None:
    egg = (Modifier("extra_egg", 200),)
    priced = price_order(
        order(
            line("m1", 1800, member=1600),
            OrderLine("m2", "dish-m2", "meat", 1500, modifiers=egg),
            line("v", 600, category="veg"),
            line("r", 100, category="staple", dish="rice"),
            line("d", 500, category="drink"),
            set_meals=(
                SetMealChoice(
                    "2m1v",
                    (
                        SlotPick("meat", "m1"),
                        SlotPick("meat", "m2"),
                        SlotPick("veg", "v"),
                        SlotPick("rice", "r"),
                    ),
                ),
            ),
            promotions=Promotions(member_day=MemberDay(1000), set_meals=(TWO_MEAT_ONE_VEG,)),
            wallet=Wallet(paid_balance_cents=10_000),
        )
    )
    # set ￥20 + extra egg ￥2 = ￥22.00 spread over its dishes by list price
    assert nets(priced) == {"m1": 943, "m2": 891, "r": 52, "v": 314, "d": 450}
    assert [(d.kind, d.amount_cents) for d in priced.discounts] == [
        ("set_meal", 4200 - 2200),
        ("member_day", 50),
    ]
    m1 = next(p for p in priced.lines if p.line_id == "m1")
    assert m1.basis is PriceBasis.SET_MEAL and m1.set_meal == "2m1v"
    assert priced.subtotal_cents == 4700 and priced.total_cents == 2650


def test_fixed_combo_set_meal() -> None:
    priced = price_order(
        order(
            line("1", 1800, dish="burger"),
            line("2", 800, dish="fries"),
            line("3", 500, dish="cola"),
            set_meals=(
                SetMealChoice(
                    "burger", (SlotPick("main", "1"), SlotPick("side", "2"), SlotPick("drink", "3"))
                ),
            ),
            promotions=Promotions(set_meals=(BURGER_SET,)),
            wallet=Wallet(paid_balance_cents=5000),
        )
    )
    assert priced.total_cents == 2500
    assert priced.discounts[0].reason.en == "Set meal: Burger set"
    assert priced.discounts[0].reason.zh == "套餐：汉堡套餐"


def test_a_set_meal_never_costs_more_than_its_dishes() -> None:
    cheap = (
        line("m1", 500),
        line("m2", 500),
        line("v", 300, category="veg"),
        line("r", 100, dish="rice"),
    )
    picks = (
        SlotPick("meat", "m1"),
        SlotPick("meat", "m2"),
        SlotPick("veg", "v"),
        SlotPick("rice", "r"),
    )
    priced = price_order(
        order(
            *cheap,
            set_meals=(SetMealChoice("2m1v", picks),),
            promotions=Promotions(set_meals=(TWO_MEAT_ONE_VEG,)),
            wallet=Wallet(paid_balance_cents=5000),
        )
    )
    assert priced.total_cents == 1400 and priced.discounts == ()


@pytest.mark.parametrize(
    ("per_100g", "grams", "amount"),
    [
        (298, 333, 992),
        (250, 245, 613),
        (250, 244, 610),
        (1, 50, 1),
        (1, 49, 0),
        (1000, 1000, 10000),
    ],
)
def test_weighed_dish_is_price_per_100g_times_grams_rounded_half_up_once(
    per_100g: int, grams: int, amount: int
) -> None:
    priced = price_order(order(line("w", per_100g, grams=grams), member=None))
    assert priced.total_cents == amount == priced.paid_by(S.COUNTER)


def test_weighed_dish_member_price_per_100g() -> None:
    priced = price_order(
        order(line("w", 300, member=250, grams=421), wallet=Wallet(paid_balance_cents=5000))
    )
    assert priced.subtotal_cents == 1263 and priced.total_cents == 1053  # 1052.5 rounds up


def test_member_price_and_member_day_never_stack_the_lower_wins() -> None:
    priced = price_order(
        order(
            line("a", 1800, member=1600),  # member price ￥16.00 beats 10 % off (￥16.20)
            line("b", 1800, member=1700),  # 10 % off (￥16.20) beats member price ￥17.00
            promotions=Promotions(member_day=MemberDay(1000)),
            wallet=Wallet(paid_balance_cents=10_000),
        )
    )
    assert nets(priced) == {"a": 1600, "b": 1620}
    assert [p.basis for p in priced.lines] == [PriceBasis.MEMBER_PRICE, PriceBasis.MEMBER_DAY]
    assert [d.reason.en for d in priced.discounts] == ["Member price", "Member day 10% off"]


def test_member_day_percent_is_rounded_once_on_the_total_not_per_line() -> None:
    rice = [line(f"r{i}", 5, dish="rice") for i in range(10)]
    priced = price_order(
        order(
            *rice,
            promotions=Promotions(member_day=MemberDay(1000)),
            wallet=Wallet(paid_balance_cents=100),
        )
    )
    # 10 % of ￥0.50 is 5 fen; rounding each 0.5 fen up would have given 10
    assert priced.total_cents == 45
    assert sorted(nets(priced).values()) == [4] * 5 + [5] * 5


def test_guest_gets_list_prices_and_pays_everything_at_the_counter() -> None:
    priced = price_order(
        order(
            line("a", 1800, member=1600),
            member=None,
            promotions=Promotions(member_day=MemberDay(1000)),
        )
    )
    assert priced.total_cents == 1800 and split(priced) == {"counter": 1800}
    assert not priced.paid_in_full and priced.points_earned == 0


def test_spend_save_counts_amounts_after_line_discounts() -> None:
    two_lines = (line("a", 1800, member=1600), line("b", 300, category="veg"))
    promos = Promotions(spend_save=(SpendSave("2000-300", 2000, 300),))
    member = price_order(
        order(*two_lines, promotions=promos, wallet=Wallet(paid_balance_cents=5000))
    )
    assert member.total_cents == 1900 and [d.kind for d in member.discounts] == ["member_price"]
    guest = price_order(order(*two_lines, promotions=promos, member=None))
    assert guest.total_cents == 1800 and guest.discounts[0].reason.zh == "满￥20.00减￥3.00"


def test_only_the_best_spend_save_tier_applies() -> None:
    promos = Promotions(spend_save=(SpendSave("s20", 2000, 200), SpendSave("s30", 3000, 500)))
    priced = price_order(order(line("a", 3200), promotions=promos, member=None))
    assert priced.total_cents == 2700
    assert [(d.ref, d.amount_cents) for d in priced.discounts] == [("s30", 500)]


def test_members_only_spend_save_skips_guests() -> None:
    promos = Promotions(spend_save=(SpendSave("vip", 1000, 100, members_only=True),))
    assert price_order(order(line("a", 1500), promotions=promos, member=None)).total_cents == 1500


def test_percent_coupon_is_capped() -> None:
    coupon = Coupon("P20", CouponKind.PERCENT_OFF, percent_bp=2000, max_off_cents=500)
    priced = price_order(
        order(line("a", 3000), coupon=coupon, wallet=Wallet(paid_balance_cents=9000))
    )
    assert priced.coupon_value_cents == 500 and split(priced)["coupon"] == 500


def test_coupon_counts_only_the_categories_it_names_and_never_set_meal_lines() -> None:
    coupon = Coupon(
        "D10", CouponKind.AMOUNT_OFF, amount_cents=1000, categories=frozenset({"drink"})
    )
    priced = price_order(
        order(
            line("a", 1800),
            line("d", 500, category="drink"),
            coupon=coupon,
            wallet=Wallet(paid_balance_cents=9000),
        )
    )
    assert priced.coupon_value_cents == 500  # the coupon can't pay for the meat dish
    assert split(priced) == {"coupon": 500, "stored_value_paid": 1800}


def test_free_dish_coupon_gives_the_cheapest_unit_of_that_dish() -> None:
    coupon = Coupon("FREECOLA", CouponKind.FREE_DISH, dish_id="cola")
    no_ice = (Modifier("no_ice", -50),)
    priced = price_order(
        order(
            line("1", 500, dish="cola"),
            OrderLine("2", "cola", "drink", 500, qty=3, modifiers=no_ice),
            line("3", 1800),
            coupon=coupon,
            wallet=Wallet(paid_balance_cents=9000),
        )
    )
    assert priced.coupon_value_cents == 450


def test_subsidy_covering_the_meal_leaves_the_coupon_unused() -> None:
    priced = price_order(
        order(
            *LUNCH,
            coupon=Coupon("C300", CouponKind.AMOUNT_OFF, amount_cents=300),
            wallet=Wallet(subsidy_cents=3000),
        )
    )
    assert split(priced) == {"subsidy": 2600} and not priced.coupon_used


def test_offline_stored_value_is_capped_and_the_shortfall_refused() -> None:
    wallet = Wallet(paid_balance_cents=5000, online=False, offline_limit_cents=1000)
    with pytest.raises(InsufficientFunds) as err:
        price_order(order(*LUNCH, wallet=wallet))
    assert err.value.shortfall_cents == 1600
    assert err.value.label.zh == "余额不足，还差 ￥16.00"


def test_offline_cap_covers_paid_and_bonus_together() -> None:
    wallet = Wallet(
        paid_balance_cents=800, bonus_balance_cents=800, online=False, offline_limit_cents=1000
    )
    priced = price_order(order(*LUNCH, wallet=wallet, policy=Policy(remainder_to_counter=True)))
    assert split(priced) == {"stored_value_paid": 800, "stored_value_bonus": 200, "counter": 1600}
    assert priced.points_earned == 24  # ￥8.00 paid balance + ￥16.00 at the counter


def test_online_insufficient_funds_names_the_exact_shortfall() -> None:
    with pytest.raises(InsufficientFunds) as err:
        price_order(order(*LUNCH, wallet=Wallet(subsidy_cents=1000, paid_balance_cents=1599)))
    assert err.value.shortfall_cents == 1
    assert "￥0.01" in str(err.value)


def test_remainder_to_counter_when_the_operator_allows_it() -> None:
    priced = price_order(
        order(*LUNCH, wallet=Wallet(subsidy_cents=1000), policy=Policy(remainder_to_counter=True))
    )
    assert split(priced) == {"subsidy": 1000, "counter": 1600}
    assert priced.counter_due_cents == 1600 and not priced.paid_in_full


def test_gold_tier_earns_points_at_its_multiplier_floored() -> None:
    priced = price_order(
        order(line("a", 2699), member=GOLD, wallet=Wallet(paid_balance_cents=5000))
    )
    assert priced.points_earned == 40  # ￥26.99 x 1.5 = 40.485 points, floored


def test_diff_totals_is_empty_when_kiosk_and_hub_agree_and_names_what_differs() -> None:
    inputs = order(*LUNCH, wallet=Wallet(subsidy_cents=1000, paid_balance_cents=9000))
    kiosk, hub = price_order(inputs), price_order(inputs)
    assert kiosk == hub and hash(kiosk) == hash(hub) and diff_totals(kiosk, hub) == ()
    stale = price_order(order(*LUNCH, wallet=Wallet(subsidy_cents=800, paid_balance_cents=9000)))
    assert {(d.item, d.a_cents, d.b_cents) for d in diff_totals(kiosk, stale)} == {
        ("payment:subsidy", 1000, 800),
        ("payment:stored_value_paid", 1600, 1800),
        ("points_earned", 16, 18),
    }


def test_a_tier_without_member_prices_pays_list_price() -> None:
    basic = Member("carol", Tier("basic", member_price=False))
    priced = price_order(
        order(line("a", 1800, member=1600), member=basic, wallet=Wallet(paid_balance_cents=5000))
    )
    assert priced.total_cents == 1800 and priced.discounts == ()


def test_promotions_outside_their_window_do_not_apply() -> None:
    ended = Window(None, YESTERDAY)
    promos = Promotions(
        member_day=MemberDay(1000, window=ended),
        spend_save=(SpendSave("old", 1000, 500, window=ended),),
    )
    priced = price_order(
        order(line("a", 1800), promotions=promos, wallet=Wallet(subsidy_cents=9999))
    )
    assert priced.total_cents == 1800 and priced.discounts == ()
