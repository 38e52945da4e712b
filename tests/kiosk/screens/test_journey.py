"""A member's and a guest's complete orders through the real window, touch by touch."""

from __future__ import annotations

import pytest

from protocol.tokens import sign_member_token
from tests.kiosk.controllers.conftest import TOKEN_KEY
from tests.kiosk.screens.conftest import CARD_GOLD
from tests.kiosk.screens.driver import Driver, walk

pytestmark = pytest.mark.screen


def open_category(ui: Driver, label: str) -> None:
    ui.tap_text(label, ui.screen("menu").ids.category_list)
    ui.settle()


def test_member_orders_by_card_in_chinese(fresh: Driver) -> None:
    ui = fresh
    idle = ui.screen("idle")
    assert ui.root.manager.current == "idle"
    assert idle.ids.canteen.text == "第一食堂"
    assert idle.ids.period.text == "午餐  11:00–13:30"
    assert "周三会员日" in idle.ids.promotions.text
    ui.screenshot("kiosk-idle-zh")

    ui.tap_id("start", "idle")
    assert ui.root.manager.current == "identify"
    assert ui.screen().ids.guest.text == "访客点餐"
    ui.screenshot("kiosk-identify-zh")

    assert ui.sims["card"].tap(CARD_GOLD)  # the member taps the card on the reader (pty)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu"), ui.journey.state.message
    menu = ui.screen("menu")
    ui.settle()
    assert "张伟" in menu.ids.member_line.text and "金卡" in menu.ids.member_line.text
    assert "￥50.00" in menu.ids.member_line.text  # balance
    card = ui.card_for("dish", "kung-pao-chicken")
    assert card.name == "宫保鸡丁" and card.subname == "Kung Pao Chicken"
    assert card.price == "￥18.00" and card.member_price == "会员价 ￥16.00"
    assert [b["text"] for b in card.badges][:1] == ["辣"]
    ui.screenshot("kiosk-menu-zh", docs=False)  # the docs show the model's row (test_recommend_row)

    ui.tap(card)
    assert ui.root.manager.current == "detail"
    detail = ui.screen("detail")
    assert detail.ids.name.text == "宫保鸡丁"
    assert "花生" in detail.ids.allergens.text
    ui.tap_text("标准", detail.ids.options)
    ui.tap_id("plus", "detail")
    ui.settle()
    assert detail.ids.qty_label.text == "2"
    assert "￥36.00" in detail.ids.add.text
    ui.screenshot("kiosk-detail-zh")
    ui.tap_id("add", "detail")
    assert ui.root.manager.current == "menu"

    open_category(ui, "套餐")
    ui.tap(ui.card_for("set", "two-meat-one-veg"))
    assert ui.root.manager.current == "setmeal"
    sm = ui.screen("setmeal")
    for dish in ("braised-pork", "lamb-cumin", "greens", "rice"):
        ui.tap(ui.card_for("dish", dish, sm.ids.candidate_view))
        ui.settle()
    assert sm.complete, ui.journey.set_meal.state
    assert "红烧肉" in sm.ids.chosen.text and "米饭" in sm.ids.chosen.text
    ui.screenshot("kiosk-setmeal-zh")
    ui.tap_id("add", "setmeal")
    assert ui.root.manager.current == "menu"

    ui.tap_id("cart_button", "menu")
    assert ui.root.manager.current == "cart"
    ui.settle()
    cart = ui.screen("cart")
    lines = ui.texts(cart.ids.line_list)
    assert "宫保鸡丁 ×2" in lines
    # the set meal is ONE line: its name, its price, its dishes below
    assert "两荤一素" in lines and "￥20.00" in lines
    assert any("红烧肉" in t and "孜然羊肉" in t and "米饭" in t for t in lines)
    assert not any(t.startswith("红烧肉") for t in lines)
    minus = [w for w in walk(cart.ids.line_list) if getattr(w, "text", "") == "−"]
    plus = [w for w in walk(cart.ids.line_list)
            if getattr(w, "text", "") == "+" and w.opacity > 0]
    assert len(minus) == 2 and len(plus) == 1  # a set meal has no "+"
    split = ui.texts(cart.ids.split_list)
    assert "餐补" in split and "￥12.00" in split  # subsidy first, line by line
    assert cart.ids.confirm.disabled is False
    ui.screenshot("kiosk-cart-zh")

    printed_before = len(ui.sims["printer"].documents)
    ui.tap_id("confirm", "cart")
    assert ui.root.manager.current == "done", ui.journey.state.message
    done = ui.screen("done")
    ui.settle()
    assert done.ids.order_no.text.startswith("A")
    assert "预计" in done.ids.ready.text
    assert done.receipt_ok and "小票" in done.ids.receipt.text
    assert ui.sims["printer"].wait_documents(printed_before + 1)
    ui.screenshot("kiosk-done-zh")

    ui.tap_id("feedback", "done")
    assert ui.root.manager.current == "feedback"
    fb = ui.screen("feedback")
    ui.tap_text("非常满意", fb.ids.face_row)
    ui.tap_text("味道很好", fb.ids.tag_grid)
    ui.settle()
    assert ui.journey.done.state.rating == 5
    ui.screenshot("kiosk-feedback-zh")
    ui.tap_id("submit", "feedback")
    assert ui.root.manager.current == "idle"
    rows = ui.kiosk.store.conn.execute("SELECT count(*) FROM outbox WHERE kind='feedback.given'")
    assert rows.fetchone()[0] >= 1


def test_guest_orders_in_english_with_the_scale(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("lang_en", "root")
    ui.settle()
    idle = ui.screen("idle")
    assert idle.ids.canteen.text == "Canteen One"
    assert idle.ids.period.text == "Lunch  11:00–13:30"
    assert idle.ids.start.text == "Touch the screen to order"
    ui.screenshot("kiosk-idle-en")

    ui.tap(idle)  # a touch anywhere starts
    assert ui.root.manager.current == "identify"
    assert ui.screen().ids.guest.text == "Continue as guest"
    ui.screenshot("kiosk-identify-en")
    ui.tap_id("guest", "identify")
    assert ui.root.manager.current == "menu", ui.journey.state.message
    menu = ui.screen("menu")
    ui.settle()
    assert menu.ids.member_line.text == "Ordering as a guest"
    card = ui.card_for("dish", "kung-pao-chicken")
    assert card.name == "Kung Pao Chicken" and card.subname == "宫保鸡丁"
    assert card.member_price == "Member ￥16.00"
    ui.screenshot("kiosk-menu-en", docs=False)

    ui.tap_text("Halal", menu.ids.filter_row)  # dietary filter, live
    ui.settle()
    assert ui.journey.menu.state.filters.halal
    names = [row["name"] for row in menu.dishes]
    assert "Braised Pork Belly" not in names and "Cumin Lamb" in names
    ui.tap_text("Halal", menu.ids.filter_row)
    ui.settle()

    open_category(ui, "Weighed Buffet")
    ui.tap(ui.card_for("dish", "buffet-meat"))
    assert ui.root.manager.current == "detail"
    detail = ui.screen("detail")
    assert detail.weighed and "/100 g" in detail.ids.add.text
    ui.sims["scale"].place(333, settle_s=0.2)
    for _attempt in range(3):  # a loaded test machine can starve the scale simulator
        ui.tap_id("weigh", "detail")
        if ui.wait_until(lambda: detail.grams != "" and not detail.busy):
            break
        ui.wait_until(lambda: not detail.busy)
    scale = ui.journey.s.scale.scale
    assert detail.grams, (ui.journey.state.message, scale and (scale.state, scale.latest))
    assert detail.grams == "333 g on the scale"
    ui.screenshot("kiosk-detail-en")
    ui.tap_id("add", "detail")
    assert ui.root.manager.current == "menu", ui.journey.state.message
    ui.sims["scale"].place(0, settle_s=0.1)

    open_category(ui, "Set meals")
    ui.tap(ui.card_for("set", "combo-kungpao"))
    assert ui.root.manager.current == "setmeal"
    sm = ui.screen("setmeal")
    ui.settle()
    assert sm.complete and sm.ids.name.text == "Kung Pao Combo"
    ui.screenshot("kiosk-setmeal-en")
    ui.tap_id("add", "setmeal")

    ui.tap_id("cart_button", "menu")
    assert ui.root.manager.current == "cart"
    ui.settle()
    cart = ui.screen("cart")
    lines = ui.texts(cart.ids.line_list)
    assert any(t.startswith("Weighed Buffet: Meat") and "333 g" in t for t in lines)
    assert "Kung Pao Combo" in lines and "￥17.00" in lines
    assert any("Kung Pao Chicken" in t and "Steamed Rice" in t for t in lines)
    split = ui.texts(cart.ids.split_list)
    assert "Pay at counter" in split
    assert "Guests pay at the counter" in cart.ids.note.text
    ui.screenshot("kiosk-cart-en")

    ui.tap_id("confirm", "cart")
    assert ui.root.manager.current == "done", ui.journey.state.message
    done = ui.screen("done")
    ui.settle()
    assert done.ids.pay_note.text.startswith("Please pay ￥")
    assert done.ids.ready.text.startswith("Ready at about")
    ui.screenshot("kiosk-done-en")
    ui.tap_id("feedback", "done")
    ui.tap_text("Good", ui.screen("feedback").ids.face_row)
    ui.screenshot("kiosk-feedback-en")
    ui.tap_id("skip", "feedback")
    assert ui.root.manager.current == "idle"
    assert ui.app.lang == "zh_Hans"  # the next diner starts in the default language


def test_offline_banner_and_printer_fault_are_said_plainly(fresh: Driver) -> None:
    ui = fresh
    ui.kiosk.net.value = False
    ui.journey.tick()
    ui.settle()
    assert ui.root.ids.offline_banner.text.startswith("网络离线")
    ui.tap_id("start", "idle")
    ui.tap_id("guest", "identify")
    ui.tap(ui.card_for("dish", "kung-pao-chicken"))
    ui.tap_text("标准", ui.screen("detail").ids.options)
    ui.tap_id("add", "detail")
    ui.tap_id("cart_button", "menu")
    ui.settle()
    ui.sims["printer"].set_paper("out")
    try:
        ui.tap_id("confirm", "cart")
        assert ui.root.manager.current == "done", ui.journey.state.message
        done = ui.screen("done")
        assert done.ids.order_no.text  # shown at once; the printer answers later
        assert ui.wait_until(lambda: not done.receipt_ok)
        assert "纸" in done.ids.receipt.text and "订单号" in done.ids.receipt.text
        assert done.ids.order_no.text  # the order stands
        ui.screenshot("kiosk-done-printer-fault-zh")
    finally:
        ui.sims["printer"].set_paper("ok")
        ui.kiosk.net.value = True
    ui.tap_id("finish", "done")
    assert ui.root.manager.current == "idle"


def test_refusal_is_a_friendly_toast_not_a_traceback(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("start", "idle")
    ui.sims["card"].tap("0011110000")  # a blocked card
    assert ui.wait_until(lambda: bool(ui.root.toast_text))
    assert ui.root.manager.current == "identify"
    assert "柜台" in ui.root.ids.toast.text
    ui.screenshot("kiosk-identify-refused-zh", docs=False)
    assert ui.wait_until(lambda: not ui.root.toast_text, timeout=6)  # gone after 4 s
    assert ui.journey.state.message is None  # and it does not come back on the next redraw


def test_idle_time_returns_to_attract_and_forgets_the_diner(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("start", "idle")
    assert ui.sims["card"].tap(CARD_GOLD)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu")
    ui.tap_id("lang_en", "root")
    ui.tap(ui.card_for("dish", "beef-brisket", ui.screen("menu").ids.dish_view))
    assert ui.root.manager.current == "detail"
    ui.kiosk.clock.advance(61)  # idle_seconds is 60 in the test config
    assert ui.wait_until(lambda: ui.root.manager.current == "idle", timeout=3)  # the 1 s tick
    ui.settle()
    assert ui.journey.session.member is None and len(ui.journey.session.cart) == 0
    assert ui.app.lang == "zh_Hans"
    assert ui.screen("menu").ids.member_line.text == ""


def test_member_qr_code_from_the_scanner_opens_the_menu(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("start", "idle")
    code = sign_member_token(member_id="m-1002", now=ui.kiosk.clock.now(), key_id="k1",
                             private_key=TOKEN_KEY)
    assert ui.sims["scanner"].scan(code)  # the phone's member QR under the scanner (pty)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu"), ui.journey.state.message
    ui.settle()
    assert "李娜" in ui.screen("menu").ids.member_line.text
    ui.tap_id("start_over", "root")
    assert ui.root.manager.current == "idle"
    assert ui.journey.session.member is None


def test_profile_filters_kitchen_notes_and_coupon_hint(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("start", "idle")
    assert ui.sims["card"].tap("0022220000")  # 赵敏: halal, allergic to peanuts
    assert ui.wait_until(lambda: ui.root.manager.current == "menu"), ui.journey.state.message
    menu = ui.screen("menu")
    ui.settle()
    assert "已按您的资料筛选：清真、不含花生" in menu.ids.member_line.text
    chips = {b.key: b.selected for b in menu.ids.filter_row.children}
    assert chips == {"halal": True, "vegetarian": False, "no_spice": False,
                     "hide_allergens": True}
    assert "kung-pao-chicken" not in [r["dish_id"] for r in menu.dishes]
    ui.tap_text("清真", menu.ids.filter_row)
    ui.tap_text("隐藏我的过敏原", menu.ids.filter_row)
    ui.settle()
    assert "kung-pao-chicken" in [r["dish_id"] for r in menu.dishes]  # the diner's choice
    ui.screenshot("kiosk-menu-profile-zh", docs=False)

    ui.tap(ui.card_for("dish", "beef-brisket", menu.ids.dish_view))
    detail = ui.screen("detail")
    ui.tap_text("标准", detail.ids.options)
    ui.tap_text("少油", detail.ids.note_row)
    ui.tap_text("打包", detail.ids.note_row)
    ui.settle()
    assert ui.journey.detail.state.note == "少油 Less oil; 打包 Take away"
    ui.screenshot("kiosk-detail-notes-zh", docs=False)
    ui.tap_id("add", "detail")
    ui.tap_id("cart_button", "menu")
    ui.settle()
    cart = ui.screen("cart")
    assert any("少油" in t for t in ui.texts(cart.ids.line_list)), ui.texts(cart.ids.line_list)
    assert cart.ids.coupon.text.startswith("有优惠券")
    ui.tap_id("start_over", "root")
    assert ui.root.manager.current == "idle"


def test_offline_member_cart_states_the_limit_and_a_set_meal_goes_whole(fresh: Driver) -> None:
    ui = fresh
    ui.kiosk.net.value = False
    try:
        ui.journey.tick()
        ui.tap_id("start", "idle")
        ui.journey.identify("card", CARD_GOLD)  # the card tap itself: hardware tests
        ui.settle()
        open_category(ui, "套餐")
        ui.tap(ui.card_for("set", "combo-kungpao"))
        ui.tap_id("add", "setmeal")
        ui.tap_id("cart_button", "menu")
        ui.settle()
        cart = ui.screen("cart")
        assert "离线消费上限 ￥10.00" in cart.ids.note.text
        assert "宫保鸡丁套餐" in ui.texts(cart.ids.line_list)
        ui.tap_text("English", ui.root)
        ui.settle()
        assert "Offline limit ￥10.00" in cart.ids.note.text
        minus = next(w for w in walk(cart.ids.line_list) if getattr(w, "text", "") == "−")
        ui.tap(minus)
        ui.settle()
        assert ui.texts(cart.ids.line_list) == [] and len(ui.journey.session.cart) == 0
    finally:
        ui.kiosk.net.value = True
