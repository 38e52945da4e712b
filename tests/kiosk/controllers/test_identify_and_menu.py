# mypy: disable-error-code="union-attr, no-untyped-def, arg-type"
"""Attract, identify (QR, card, guest, every refusal), menu, filters, recommendations, idle."""

from __future__ import annotations

from datetime import timedelta

from kiosk.controllers.journey import Step
from kiosk.i18n import Text
from protocol.tokens import generate_private_key, sign_member_token
from tests.kiosk.controllers.conftest import LUNCH, TOKEN_KEY, Kiosk


def member_code(member_id: str, at=LUNCH, key=TOKEN_KEY) -> str:
    return sign_member_token(member_id=member_id, now=at, key_id="k1", private_key=key)


def test_attract_shows_canteen_and_current_meal_period(kiosk: Kiosk) -> None:
    st = kiosk.journey.state
    assert st.step is Step.IDLE
    assert st.canteen_name.zh == "第一食堂"
    assert st.period is not None and st.period.code == "lunch" and st.period.serving
    kiosk.clock.at = LUNCH + timedelta(hours=3)  # 15:00 local: between meals
    kiosk.journey.tick()
    assert kiosk.journey.state.period.code == "dinner"
    assert not kiosk.journey.state.period.serving


def test_member_qr_code_greets_with_name_tier_and_balances(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert j.identify("qr", member_code("m-1001"))
    st = j.state
    assert st.step is Step.MENU
    assert st.member.name == "张伟"
    assert st.member.tier.en == "Gold" and st.member.tier.zh == "金卡"
    assert st.member.balance_text == "￥50.00" and st.member.subsidy_text == "￥12.00"


def test_expired_qr_code_is_refused_in_both_languages(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert not j.identify("qr", member_code("m-1001", at=LUNCH - timedelta(minutes=5)))
    assert j.state.step is Step.IDENTIFY
    assert "expired" in j.state.message.en and "过期" in j.state.message.zh
    assert j.state.member is None


def test_forged_or_foreign_qr_code_is_refused(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    forged = sign_member_token(member_id="m-1001", now=LUNCH, key_id="k1",
                               private_key=generate_private_key())
    for code in (forged, "https://example.com/not-ours", member_code("m-1001")[:-4] + "AAAA"):
        assert not j.identify("qr", code)
        assert j.state.message.en == "This code is not a member code of this canteen."
        assert j.state.message.zh == "这不是本食堂的会员码。"


def test_valid_code_of_a_member_not_in_the_cache(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert not j.identify("qr", member_code("m-9999"))
    assert "find your membership" in j.state.message.en


def test_card_tap_identifies_and_blocked_card_is_refused(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert not j.identify("card", "0011110000")
    assert j.state.message == Text("此卡已挂失，请到柜台咨询。",
                                   "This card has been reported lost. Please ask at the counter.")
    assert not j.identify("card", "9999999999")
    assert "find your membership" in j.state.message.en
    assert j.identify("card", "0087654321")
    assert j.state.member.name == "李娜"


def test_guest_sees_the_lunch_menu_by_category_with_labels(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert j.identify("guest")
    assert j.state.guest and j.state.member is None
    menu = j.menu.state
    assert menu.period == "lunch"
    cats = {c.code: c for c in menu.categories}
    assert set(cats) == {"meat", "vegetable", "staple", "soup", "drink", "buffet"}
    kp = next(d for d in cats["meat"].dishes if d.dish_id == "kung-pao-chicken")
    assert kp.name.zh == "宫保鸡丁" and kp.price_text == "￥18.00"
    assert kp.member_price_text == "￥16.00" and kp.kcal == 400
    assert [b.label.en for b in kp.allergens] == ["Peanuts", "Soybeans"]
    assert [b.label.zh for b in kp.tags] == ["辣"]
    assert next(d for d in cats["buffet"].dishes if d.dish_id == "buffet-veg").per_100g
    assert {s.set_meal_id for s in menu.set_meals} == {"combo-kungpao", "two-meat-one-veg"}


def test_dietary_filters_hide_dishes_and_recommendations_respect_them(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    j.set_filters(halal=True, no_spice=True, hide_allergens=frozenset({"egg"}))
    shown = {d.dish_id for c in j.menu.state.categories for d in c.dishes}
    assert shown == {"beef-brisket", "chicken-wings", "greens", "rice", "noodles"}
    recs = [d.dish_id for d in j.menu.state.recommended]
    assert len(recs) == 4 and set(recs) <= shown


def test_recommendations_rank_by_popularity_then_filter_and_refill(kiosk: Kiosk) -> None:
    j = kiosk.journey
    # history: kung pao (spicy) most popular, then braised pork
    for dish, n in (("kung-pao-chicken", 5), ("braised-pork", 3), ("greens", 1)):
        for _ in range(n):
            j.start()
            j.identify("guest")
            assert j.open_dish(dish)
            j.detail.choose("portion", "regular")
            assert j.add_dish()
            j.open_cart()
            assert j.checkout(), j.state.message
            j.finish()
    j.start()
    j.identify("guest")
    assert [d.dish_id for d in j.menu.state.recommended][:3] == [
        "kung-pao-chicken", "braised-pork", "greens"]
    j.set_filters(no_spice=True)
    recs = [d.dish_id for d in j.menu.state.recommended]
    assert recs[:2] == ["braised-pork", "greens"] and "kung-pao-chicken" not in recs
    assert len(recs) == 4  # refilled from the menu


def test_idle_timeout_forgets_the_member_and_the_cart(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0012345678")
    j.open_dish("greens")
    j.detail.choose("portion", "regular")
    j.add_dish()
    j.set_language("en")
    assert len(j.session.cart) == 1
    kiosk.clock.advance(59)
    j.tick()
    assert j.state.step is Step.MENU  # not yet
    j.touched()
    kiosk.clock.advance(59)
    j.tick()
    assert j.state.step is Step.MENU  # the touch restarted the timer
    kiosk.clock.advance(2)
    j.tick()
    st = j.state
    assert st.step is Step.IDLE and st.member is None and st.lang == "zh_Hans"
    assert j.session.member is None and len(j.session.cart) == 0
    assert j.cart.state.lines == ()


def test_language_switch_and_large_text(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.set_language("en")
    j.set_large_text(True)
    assert j.state.lang == "en" and j.state.large_text
    j.set_language("fr")
    assert j.state.lang == "en"


def test_no_meal_period_refuses_politely(kiosk: Kiosk) -> None:
    kiosk.clock.at = LUNCH + timedelta(hours=3)
    j = kiosk.journey
    j.start()
    assert not j.identify("guest")
    assert j.state.message.en == "No meal is being served right now."
