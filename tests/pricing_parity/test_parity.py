"""Kiosk and hub price the same order to the same fen; a changed hub price is flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.ingest.reprice import Review
from tests.pricing_parity.world import Case, Line, Offers, both

MD10 = Offers(member_day_bp=1000)
SS = Offers(spend_save=[("ss20", 2000, 300, False), ("ss30", 3000, 500, False)])

# (id, case, kiosk total in fen, discount in fen, coupon paid in fen)
CASES = [
    ("member-price", Case([Line("kung-pao"), Line("rice", 2)], member="m-gold"), 1800, 200, 0),
    ("guest-list", Case([Line("kung-pao"), Line("rice", 2)]), 2000, 0, 0),
    # standard tier: no member prices, member day 10 % on 2000 + 800 = 2800 -> 2520
    ("member-day", Case([Line("braised-pork"), Line("juice")], member="m-std", offers=MD10),
     2520, 280, 0),
    # gold on member day: member price 1600 beats 1620; juice 700 beats 720
    ("member-day-vs-price", Case([Line("kung-pao"), Line("juice")], member="m-gold",
                                 offers=MD10), 2300, 300, 0),
    # guest 2000 + 1600 = 3600: the ￥30 tier saves ￥5 (one tier only)
    ("spend-save", Case([Line("braised-pork"), Line("noodles")], offers=SS), 3100, 500, 0),
    # member: 1800 + 1500 = 3300 -> ￥5 off
    ("spend-save-member", Case([Line("braised-pork"), Line("noodles")], member="m-gold",
                               offers=SS), 2800, 800, 0),
    ("set-build", Case([Line("juice")], sets=[("two-meat-one-veg", [
        Line("kung-pao", large=True), Line("braised-pork"), Line("greens"), Line("rice")])],
        member="m-gold"), 2300 + 700, (1800 + 300 + 2000 + 600 + 100 + 800) - 3000, 0),
    ("set-build-override", Case(sets=[("two-meat-one-veg", [
        Line("kung-pao"), Line("brisket"), Line("mapo-tofu"), Line("noodles")])],
        offers=Offers(set_price_override=1900)), 1900, 6500 - 1900, 0),
    ("set-fixed", Case([Line("soy-milk")], sets=[("combo-kungpao", [
        Line("kung-pao"), Line("rice")])], member="m-std"), 1700 + 300, 1900 - 1700, 0),
    # ￥2.50/100 g x 333 g = 832.5 -> 833; member ￥2.30/100 g -> 765.9 -> 766
    ("weighed-guest", Case([Line("buffet-veg", grams=333)]), 833, 0, 0),
    ("weighed-member", Case([Line("buffet-veg", grams=333), Line("buffet-meat", grams=245)],
                            member="m-gold"), 766 + 975, 833 - 766, 0),
    # subsidy ￥12 first, then the ￥5 coupon
    ("coupon-amount", Case([Line("braised-pork"), Line("noodles")], member="m-gold",
                           coupon="five-off"), 3300, 300, 500),
    # 20 % of (1600 + 700) = 460, capped at 300
    ("coupon-percent", Case([Line("kung-pao"), Line("juice"), Line("greens")],
                            member="m-gold", coupon="drinks-20"), 2900, 300, 300),
    ("coupon-free-dish", Case([Line("braised-pork"), Line("juice")], member="m-gold",
                              coupon="free-juice"), 2500, 300, 700),
    ("points", Case([Line("brisket"), Line("noodles")], member="m-gold", use_points=True),
     3700, 100, 0),
]


@pytest.mark.parametrize(("name", "case", "total", "discount", "coupon"), CASES,
                         ids=[c[0] for c in CASES])
def test_kiosk_and_hub_agree(tmp_path: Path, name: str, case: Case, total: int, discount: int,
                             coupon: int) -> None:
    kiosk, hub = both(tmp_path, case.offers)
    coupon_id = hub.issue(case.coupon, case.member) if case.coupon and case.member else None
    order, priced = kiosk.place(case, coupon_id)
    assert (order.total_cents, order.discount_cents) == (total, discount)
    assert sum(p.amount_cents for p in order.payments if p.method == "coupon") == coupon
    assert order.pricing is not None and order.pricing.catalog_version == 7
    at_hub = hub.price(order)
    assert (at_hub.subtotal_cents, at_hub.total_cents) == (order.subtotal_cents, total)
    assert at_hub.discounts == priced.discounts
    assert at_hub.coupon_value_cents == priced.coupon_value_cents
    assert hub.reprice(order) is None


def test_set_meal_picks_travel_by_line(tmp_path: Path) -> None:
    kiosk, _hub = both(tmp_path, Offers())
    case = Case([Line("juice")], sets=[("combo-kungpao", [Line("kung-pao"), Line("rice")])])
    order, _ = kiosk.place(case, None)
    assert order.pricing is not None
    (choice,) = order.pricing.set_meals
    assert choice.offer_code == "combo-kungpao"
    assert [(p.slot, order.lines[p.line].dish_id) for p in choice.picks] == [
        ("kung-pao", "kung-pao"), ("rice", "rice")]
    assert order.pricing.offers_applied == ("combo-kungpao",)


def test_changed_hub_price_is_flagged_with_both_figures(tmp_path: Path) -> None:
    kiosk, hub = both(tmp_path, SS)
    order, _ = kiosk.place(Case([Line("braised-pork"), Line("noodles")], offers=SS), None)
    assert order.total_cents == 3100
    hub.set_price("braised-pork", 2200)
    review = hub.reprice(order)
    assert isinstance(review, Review)
    assert (review.kiosk_subtotal_cents, review.hub_subtotal_cents) == (3600, 3800)
    assert (review.kiosk_total_cents, review.hub_total_cents) == (3100, 3300)
    assert "subtotal kiosk 3600 hub 3800" in review.detail


def test_changed_weighed_price_is_flagged(tmp_path: Path) -> None:
    kiosk, hub = both(tmp_path, Offers())
    order, _ = kiosk.place(Case([Line("buffet-veg", grams=333)]), None)
    hub.set_price("buffet-veg", 260)  # the per-100 g price column is what counts
    assert hub.reprice(order) is None
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE dish SET price_per_100g_cents = 260 WHERE code = 'buffet-veg'")
    review = hub.reprice(order)
    assert isinstance(review, Review)
    assert (review.kiosk_total_cents, review.hub_total_cents) == (833, 866)


def test_dish_prices_only_still_check_the_subtotal(tmp_path: Path) -> None:
    """The ingest writer's older call (dish prices only) keeps checking the subtotal."""
    from hub.ingest.directory import HubDish
    from hub.ingest.reprice import reprice

    kiosk, _hub = both(tmp_path, SS)
    order, _ = kiosk.place(Case([Line("braised-pork"), Line("noodles")], offers=SS), None)
    dishes = {"braised-pork": HubDish(1, "meat", 2000, 1800),
              "noodles": HubDish(2, "staple", 1600, 1500)}
    assert reprice(order, dishes) is None
    dishes["noodles"] = HubDish(2, "staple", 1700, 1500)
    review = reprice(order, dishes)
    assert isinstance(review, Review)
    assert (review.kiosk_subtotal_cents, review.hub_subtotal_cents) == (3600, 3700)
