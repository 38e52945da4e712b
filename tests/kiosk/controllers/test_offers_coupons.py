"""Catalog options and offers, member profile, lost cards, coupons, receipt discounts."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from hardware.sim.printer import PrinterSimulator
from kiosk.controllers.journey import Step
from kiosk.i18n import Text
from kiosk.services.ordering import WIRE_HAS_NOTE
from protocol.tokens import generate_private_key, sign_coupon_token
from tests.kiosk.controllers.conftest import (
    CATALOG,
    GOLD_CARD,
    LUNCH,
    Kiosk,
    apply_catalog,
    cart_with,
    coupon,
    make_kiosk,
    order_dish,
)

PROFILE_CARD = "0022220000"  # gold, halal, peanut allergy, paid 5.00 + bonus 20.00


def with_offers(k: Kiosk, offers: dict[str, Any]) -> None:
    """Catalog v2 with these offers (the agent's way: a downlink into the store)."""
    data = copy.deepcopy(CATALOG)
    data["version"] = 2
    data["offers"] = {**data["offers"], **offers}
    apply_catalog(k.store, data)
    k.services.catalog.refresh()


def last_order(k: Kiosk) -> dict[str, Any]:
    """The newest recorded order's wire payload."""
    row = k.store.conn.execute("SELECT payload FROM orders ORDER BY rowid DESC").fetchone()
    return dict(json.loads(row[0]))


def test_options_come_from_the_dish_and_reach_the_order_with_names_and_note(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    assert j.open_dish("kung-pao-chicken")
    assert [o.code for o in j.detail.state.options] == ["portion", "spice"]
    assert j.detail.state.options[0].required
    j.open_dish("greens")
    assert [o.code for o in j.detail.state.options] == ["portion"]
    j.open_dish("rice")
    assert j.detail.state.options == ()
    j.open_dish("kung-pao-chicken")
    j.detail.choose("portion", "large")
    j.detail.choose("spice", "hot")
    j.detail.set_note("  不要香菜\n" + "x" * 100)
    assert j.detail.state.note.startswith("不要香菜 x") and len(j.detail.state.note) == 60
    assert j.detail.state.line_total_text == "￥21.00"
    assert j.add_dish()
    j.open_cart()
    assert j.cart.state.lines[0].options == (Text("大份", "Large"), Text("特辣", "Hot"))
    assert j.cart.state.notes[0] is not None
    assert j.checkout(), j.state.message
    line = last_order(kiosk)["lines"][0]
    assert line["modifiers"] == [
        {"code": "portion_large", "name_zh": "大份", "name_en": "Large", "price_delta_cents": 300},
        {"code": "spice_hot", "name_zh": "特辣", "name_en": "Hot", "price_delta_cents": 0}]
    assert line["line_total_cents"] == 2100
    if WIRE_HAS_NOTE:  # protocol's OrderLine.note (added alongside this change)
        assert line["note"].startswith("不要香菜 x")


def test_weighed_dish_is_the_one_with_a_price_per_100g(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    cards = {c.dish_id: c for cat in j.menu.state.categories for c in cat.dishes}
    assert cards["buffet-veg"].per_100g and cards["buffet-veg"].price_text == "￥2.50"
    assert not cards["kung-pao-chicken"].per_100g


def test_member_day_and_spend_save_on_attract_and_in_the_price(tmp_path: Path) -> None:
    kiosk = make_kiosk(tmp_path, remainder_to_counter=True)  # 李娜 has 3.00: rest at counter
    with_offers(kiosk, {
        "member_day": {"percent_bp": 1000},
        "spend_save": [{"code": "s20", "threshold_cents": 2000, "save_cents": 300},
                       {"code": "old", "threshold_cents": 1000, "save_cents": 100,
                        "window": {"valid_until": "2025-01-01T00:00:00Z"}}],
    })
    j = kiosk.journey
    j.tick()
    assert j.state.promotions == (
        Text("会员日：会员每道菜立减10%。", "Member day: members save 10% on every dish."),
        Text("满￥20.00减￥3.00。", "Spend ￥20.00, save ￥3.00."))
    j.start()
    j.identify("card", "0087654321")  # standard tier: no member prices, member day applies
    order_dish(j, "braised-pork")  # 20.00 -> member day 18.00, below the 20.00 threshold
    order_dish(j, "greens")  # 6.00 -> 5.40; 23.40 reaches it: -3.00
    j.open_cart()
    assert j.cart.state.total_text == "￥20.40"
    assert {d.code for d in j.cart.state.discounts} >= {"member_day", "spend_save"}


def test_tier_and_points_rate_come_from_the_catalog(tmp_path: Path) -> None:
    kiosk = make_kiosk(tmp_path, remainder_to_counter=True)
    with_offers(kiosk, {"points_rate": {"points": 10, "cents": 100}})  # 10 points = 1.00
    j = kiosk.journey
    j.start()
    j.identify("card", "0087654321")  # standard: member_price false in offers
    member = j.state.member
    assert member is not None and member.tier == Text("普通会员", "Standard")
    order_dish(j, "kung-pao-chicken")
    j.open_cart()
    assert j.cart.state.total_text == "￥18.00"  # no member price for this tier
    j.reset()
    j.start()
    j.identify("card", GOLD_CARD)  # 800 points, subsidy 12.00
    order_dish(j, "kung-pao-chicken")  # member price 16.00
    j.open_cart()
    j.cart.toggle_points(True)
    pay = {p.code: p.amount_text for p in j.cart.state.payments}
    assert pay == {"subsidy": "￥12.00", "points": "￥4.00"}  # 40 points at 10 per 1.00


def test_profile_presets_filters_and_bonus_balance_pays_after_paid(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert j.identify("card", PROFILE_CARD)
    f = j.menu.state.filters
    assert f.halal and f.hide_allergens == frozenset({"peanut"})
    member = j.state.member
    assert member is not None and Text("清真", "Halal") in member.diet
    assert member.bonus_text == "￥20.00"
    shown = {c.dish_id for cat in j.menu.state.categories for c in cat.dishes}
    assert "kung-pao-chicken" not in shown and "braised-pork" not in shown
    assert "beef-brisket" in shown
    j.set_filters(halal=False, hide_allergens=frozenset())
    order_dish(j, "braised-pork")  # member price 18.00
    j.open_cart()
    assert [(p.code, p.amount_text) for p in j.cart.state.payments] == [
        ("stored_value_paid", "￥5.00"), ("stored_value_bonus", "￥13.00")]
    assert j.checkout(), j.state.message
    refs = [(p["method"], p["reference"]) for p in last_order(kiosk)["payments"]]
    assert refs == [("stored_value", "stored_value_paid"), ("stored_value", "stored_value_bonus")]


def test_lost_card_is_refused_as_lost_not_unknown(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    assert not j.identify("card", "0011110000")
    assert j.state.message == Text("此卡已挂失，请到柜台咨询。",
                                   "This card has been reported lost. Please ask at the counter.")
    assert j.state.step is Step.IDENTIFY and j.session.member is None


def test_coupon_pays_after_subsidy_and_is_referenced_for_the_hub(kiosk: Kiosk) -> None:
    j = cart_with(kiosk)  # 18.00 + 6.00 = 24.00; subsidy 12.00
    assert j.scan_coupon(coupon()), j.state.message
    c = j.cart.state
    assert c.coupon == Text("满20减5元券", "￥5 off ￥20") and c.coupon_text == "￥5.00"
    assert [(p.code, p.amount_text) for p in c.payments] == [
        ("subsidy", "￥12.00"), ("coupon", "￥5.00"), ("stored_value_paid", "￥7.00")]
    assert j.checkout(), j.state.message
    coupon_pay = [p for p in last_order(kiosk)["payments"] if p["method"] == "coupon"]
    assert coupon_pay == [{"method": "coupon", "amount_cents": 500, "reference": "c-1"}]
    # the same code again on this device: refused, naming the order it paid
    j.finish()
    j = cart_with(kiosk)
    assert not j.scan_coupon(coupon())
    assert j.state.message == Text("这张优惠券已在订单 A001 中使用。",
                                   "This coupon was already used for order A001.")
    assert j.cart.state.coupon is None


NOT_OURS = Text("这不是本食堂的优惠券。", "This is not a coupon of this canteen.")


def test_coupon_refusals_each_with_their_message(kiosk: Kiosk) -> None:
    j = cart_with(kiosk)
    foreign = sign_coupon_token(coupon_id="c-9", template_code="five-off", member_id="m-1001",
                                expires_at=LUNCH + timedelta(days=1), key_id="k1",
                                private_key=generate_private_key())
    cases = [
        (coupon(days=-1), Text("这张优惠券已过期。", "This coupon has expired.")),
        (coupon()[:-4] + "AAAA", NOT_OURS),  # altered
        (foreign, NOT_OURS),  # signed by a key that is not the hub's
        (coupon(member="m-1002"),
         Text("这张优惠券属于其他会员。", "This coupon belongs to another member.")),
        (coupon(template="mystery"),
         Text("本机暂不识别这张优惠券，请到柜台咨询。",
              "This kiosk does not know this coupon yet. Please ask at the counter.")),
        (coupon(template="free-drink"), None),  # no juice in the cart: the engine says why
    ]
    for raw, expected in cases:
        assert not j.scan_coupon(raw)
        msg = j.state.message
        assert msg is not None and msg.zh and msg.en and msg.zh != msg.en
        if expected is not None:
            assert msg == expected
        assert j.cart.state.coupon is None
    j.cart.remove(j.cart.state.lines[0].line_id)  # 6.00 left: below the 20.00 minimum
    assert not j.scan_coupon(coupon())
    msg = j.state.message
    assert msg is not None and "20" in msg.en


def test_guest_cannot_use_a_coupon(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    order_dish(j, "braised-pork")
    j.open_cart()
    assert not j.scan_coupon(coupon())
    assert j.state.message == Text("优惠券仅限会员使用，请先识别会员身份。",
                                   "Coupons are for members. Please identify first.")


def test_coupon_left_unused_when_the_subsidy_covers_the_meal(kiosk: Kiosk) -> None:
    j = cart_with(kiosk, GOLD_CARD, "juice")  # 7.00 member price, subsidy 12.00
    assert j.scan_coupon(coupon(template="free-drink", coupon_id="c-2")), j.state.message
    assert j.cart.state.coupon_text == ""  # subsidy first: the coupon stays in the wallet
    assert j.checkout()
    assert [p["method"] for p in last_order(kiosk)["payments"]] == ["subsidy"]
    assert kiosk.store.coupon_redeemed_here("c-2") is None


def test_camera_scans_only_on_identify_and_cart(kiosk: Kiosk) -> None:
    events = kiosk.services.events
    assert events is not None
    j = kiosk.journey
    j.start()
    assert events._camera_on.is_set()
    j.identify("card", GOLD_CARD)
    assert not events._camera_on.is_set()
    order_dish(j, "braised-pork")
    j.open_cart()
    assert events._camera_on.is_set()  # a coupon may be shown now
    j.back_to_menu()
    assert not events._camera_on.is_set()
    j.open_cart()
    j.reset()
    assert not events._camera_on.is_set()


def test_coupon_scanned_by_the_camera_at_the_cart(kiosk: Kiosk) -> None:
    from kiosk.services.devices import DeviceEvent

    j = cart_with(kiosk)
    j.on_device_event(DeviceEvent("code", coupon(coupon_id="c-3")))
    assert j.state.step is Step.CART and j.cart.state.coupon_text == "￥5.00"


def test_receipt_prints_list_price_and_discount_separately(tmp_path: Path) -> None:
    printer = PrinterSimulator(tmp_path / "printer")
    printer.start()
    k = make_kiosk(tmp_path, hardware={
        "devices": {"receipt": {"type": "escpos_serial", "port": str(printer.path)}},
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")}})
    try:
        j = k.journey
        j.start()
        j.identify("card", GOLD_CARD)
        order_dish(j, "kung-pao-chicken", qty=2)  # 2 x 18.00, member price 16.00
        j.open_cart()
        assert j.checkout(), j.state.message
        assert printer.wait_documents(1)
        text = printer.documents[0].text
        assert "2 x ￥18.00" in text and "￥36.00" in text
        assert "会员价" in text and "-￥4.00" in text
        assert "x2" not in text
    finally:
        k.runtime.stop()
        printer.stop()
