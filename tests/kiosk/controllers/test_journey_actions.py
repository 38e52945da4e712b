# mypy: disable-error-code="union-attr, no-untyped-def, arg-type"
"""The journey's public actions, set meals as one cart line, the offline limit, placed_at."""

from __future__ import annotations

import json
from datetime import timedelta

from kiosk.controllers.journey import Step
from tests.kiosk.controllers.conftest import LUNCH, Kiosk


def guest_at_menu(j) -> None:
    j.start()
    assert j.identify("guest"), j.state.message


def test_dish_detail_through_journey_actions(kiosk: Kiosk) -> None:
    j = kiosk.journey
    guest_at_menu(j)
    assert j.open_dish("braised-pork")
    j.choose_option("portion", "large")
    j.change_quantity(+1)
    j.set_note("no coriander\n")
    d = j.detail.state
    assert d.qty == 2 and d.note == "no coriander"
    assert d.line_total_text == "￥46.00"
    assert j.detail.state.options[0].selected == "large"
    assert j.add_dish() and j.state.step is Step.MENU


def test_hide_my_allergens_switches_the_profile_set(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0022220000")  # profile: halal, allergic to peanuts
    assert j.my_allergens() == frozenset({"peanut"})
    assert j.menu.state.filters.hide_allergens == frozenset({"peanut"})
    j.toggle_hide_allergens()
    assert not j.menu.state.filters.hide_allergens
    j.toggle_filter("hide_allergens")
    assert j.menu.state.filters.hide_allergens == frozenset({"peanut"})
    j.toggle_filter("no_spice")
    assert j.menu.state.filters.no_spice


def test_set_meal_is_one_cart_line_and_minus_removes_it(kiosk: Kiosk) -> None:
    j = kiosk.journey
    guest_at_menu(j)
    assert j.open_set_meal("two-meat-one-veg")
    j.pick_slot("1-meat", "braised-pork")
    j.pick_slot("1-meat", "greens")  # not a meat dish: refused with a message
    assert j.state.message is not None
    j.pick_slot("1-meat", "lamb-cumin")
    j.pick_slot("2-vegetable", "mapo-tofu")
    j.unpick_slot("2-vegetable", "mapo-tofu")
    j.pick_slot("2-vegetable", "greens")
    j.pick_slot("3-staple", "rice")
    assert j.add_set_meal(), j.state.message
    order_juice(j)
    j.open_cart()
    lines = j.cart.state.lines
    assert len(lines) == 2
    combo = lines[0]
    assert combo.name.en == "2 meat + 1 veg + rice" and combo.net_text == "￥20.00"
    assert [i.en for i in combo.items] == [
        "Braised Pork Belly", "Cumin Lamb", "Stir-fried Greens", "Steamed Rice"]
    assert combo.items[0].zh == "红烧肉" and combo.qty == 1
    assert lines[1].name.en == "Orange Juice" and lines[1].items == ()
    assert j.cart.state.total_text == "￥28.00"
    j.set_line_quantity(combo.line_id, 0)  # the "−" of the set line
    assert [ln.name.en for ln in j.cart.state.lines] == ["Orange Juice"]
    assert j.cart.state.total_text == "￥8.00"


def order_juice(j) -> None:
    assert j.open_dish("juice")
    assert j.add_dish(), j.state.message


def test_cart_quantity_and_points_through_the_journey(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0012345678")  # subsidy 12.00, 800 points
    order_juice(j)
    j.open_cart()
    line = j.cart.state.lines[0]
    j.set_line_quantity(line.line_id, 3)
    assert j.cart.state.lines[0].qty == 3 and j.cart.state.total_text == "￥21.00"
    j.use_points(True)
    assert j.cart.state.use_points
    assert "points" in [p.code for p in j.cart.state.payments]
    j.use_points(False)
    assert "points" not in [p.code for p in j.cart.state.payments]


def test_offline_cart_states_the_limit_when_it_caps(kiosk: Kiosk) -> None:
    j = kiosk.journey
    kiosk.net.value = False
    j.tick()
    j.start()
    j.identify("card", "0012345678")  # balance 50.00, offline limit 10.00
    order_juice(j)
    j.open_cart()
    assert j.cart.state.offline and j.cart.state.offline_limit_text == "￥10.00"
    kiosk.net.value = True
    j.open_cart()
    assert j.cart.state.offline_limit_text == ""


def test_placed_at_is_the_kiosk_clock_and_ready_time_follows_it(kiosk: Kiosk) -> None:
    j = kiosk.journey
    guest_at_menu(j)
    assert j.open_dish("greens")
    j.choose_option("portion", "regular")
    assert j.add_dish()
    j.open_cart()
    assert j.checkout(), j.state.message
    row = json.loads(kiosk.store.conn.execute("SELECT payload FROM orders").fetchone()[0])
    assert row["placed_at"] == "2025-03-05T04:00:00Z"
    ready = j.done.state.ready
    assert ready.at == LUNCH + timedelta(minutes=4) and ready.local_text == "12:04"
    j.finish()
    kiosk.clock.advance(20 * 60)  # the first order left the 15-minute window
    guest_at_menu(j)
    assert j.open_dish("greens")
    j.choose_option("portion", "regular")
    assert j.add_dish()
    j.open_cart()
    assert j.checkout()
    assert j.done.state.ready.local_text == "12:24" and j.done.state.ready.minutes == 4


def test_feedback_through_journey_actions(kiosk: Kiosk) -> None:
    j = kiosk.journey
    guest_at_menu(j)
    order_juice(j)
    j.open_cart()
    assert j.checkout()
    j.give_feedback()
    j.rate(4)
    j.toggle_tag("too_salty")
    assert j.done.state.rating == 4 and j.done.state.tags == frozenset({"too_salty"})
    assert j.submit_feedback()
