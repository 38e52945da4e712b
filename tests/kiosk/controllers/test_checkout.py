# mypy: disable-error-code="union-attr, no-untyped-def, arg-type"
"""Detail, set meals, weighed dishes, split, offline cap, sold out, checkout, receipt, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardware.sim.printer import PrinterSimulator
from hardware.sim.scale import ScaleSimulator
from kiosk.controllers.journey import Step
from tests.kiosk.controllers.conftest import CATALOG, Kiosk, apply_catalog, make_kiosk


def order_dish(j, dish_id: str, portion: str | None = "regular", qty: int = 1) -> None:
    assert j.open_dish(dish_id), j.state.message
    if portion:
        j.detail.choose("portion", portion)
    j.detail.set_qty(qty)
    assert j.add_dish(), j.state.message


def test_required_option_is_asked_and_options_priced_by_rules(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    j.open_dish("braised-pork")
    assert not j.add_dish()
    assert j.state.message.en == "Please choose an option first."
    j.detail.choose("portion", "large")
    j.detail.set_qty(2)
    assert j.detail.state.line_total_text == "￥46.00"  # (20.00 + 3.00) x 2
    assert j.add_dish()
    j.open_cart()
    c = j.cart.state
    assert c.total_text == "￥46.00"
    assert [p.code for p in c.payments] == ["counter"] and not c.paid_in_full


def test_member_split_line_by_line_and_order_recorded_with_outbox(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0012345678")  # gold: subsidy 12.00, balance 50.00
    order_dish(j, "kung-pao-chicken")
    order_dish(j, "rice", portion=None, qty=2)
    j.open_cart()
    c = j.cart.state
    assert c.subtotal_text == "￥20.00" and c.total_text == "￥18.00"  # member price 16.00
    assert [(p.code, p.amount_text) for p in c.payments] == [
        ("subsidy", "￥12.00"), ("stored_value_paid", "￥6.00")]
    assert c.payments[0].label.zh == "餐补"
    assert j.checkout(), j.state.message
    assert j.state.step is Step.DONE
    done = j.done.state
    assert done.order_no == "A001" and done.paid
    row = kiosk.store.conn.execute("SELECT member_id, total_cents, payload FROM orders").fetchone()
    assert row[:2] == ("m-1001", 1800)
    payload = json.loads(row[2])
    assert payload["payments"][0] == {"method": "subsidy", "amount_cents": 1200,
                                      "reference": None}
    (kind, body) = kiosk.store.conn.execute("SELECT kind, body FROM outbox").fetchone()
    assert kind == "order.placed" and json.loads(body)["payload"]["order_id"] == done.order_id


def test_ready_time_is_queue_times_station_average(kiosk: Kiosk) -> None:
    j = kiosk.journey
    for n in (1, 2):
        j.start()
        j.identify("guest")
        order_dish(j, "greens")
        j.open_cart()
        assert j.checkout()
        assert j.done.state.ready.minutes == 4 * n  # wok: 4 min per order in the queue
        j.finish()


def test_offline_caps_stored_value_and_refuses_with_shortfall(kiosk: Kiosk) -> None:
    j = kiosk.journey
    kiosk.net.value = False
    j.tick()
    assert j.state.offline
    j.start()
    j.identify("card", "0012345678")  # subsidy 12.00, balance 50.00, offline limit 10.00
    order_dish(j, "lamb-cumin")  # member 22.00
    order_dish(j, "juice", portion=None)  # member 7.00 -> total 29.00
    j.open_cart()
    c = j.cart.state
    assert c.offline and not c.can_checkout
    assert c.error.zh == "余额不足，还差 ￥7.00"
    assert not j.checkout()
    assert "insufficient funds" in j.state.message.en
    assert kiosk.store.order_totals() == (0, 0)
    kiosk.net.value = True  # back online: the whole balance may be used
    j.open_cart()
    assert j.cart.state.can_checkout
    assert j.checkout()
    assert json.loads(kiosk.store.conn.execute("SELECT payload FROM orders").fetchone()[0])[
        "offline"] is False


def test_insufficient_balance_online_is_refused(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0087654321")  # balance 3.00, no subsidy
    order_dish(j, "greens")
    j.open_cart()
    assert not j.checkout()
    assert j.state.message.en == "insufficient funds: ￥3.00 short"
    assert kiosk.store.order_totals() == (0, 0)


def test_dish_sold_out_while_in_cart_is_marked_and_refused(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    order_dish(j, "greens")
    order_dish(j, "fish-fillet")
    j.open_cart()
    sold = json.loads(json.dumps(CATALOG))
    sold["version"] = 2
    next(d for d in sold["dishes"] if d["id"] == "fish-fillet")["sold_out"] = True
    apply_catalog(kiosk.store, sold)
    j.tick()  # the live catalog reaches the cart
    marked = [ln for ln in j.cart.state.lines if ln.sold_out]
    assert [ln.dish_id for ln in marked] == ["fish-fillet"]
    assert not j.checkout()
    assert "水煮鱼" in j.state.message.zh and "Sold out" in j.state.message.en
    assert kiosk.store.order_totals() == (0, 0)
    j.cart.remove(marked[0].line_id)
    assert j.checkout()
    assert kiosk.store.order_totals() == (1, 600)


def test_sold_out_dish_cannot_be_opened(kiosk: Kiosk) -> None:
    sold = json.loads(json.dumps(CATALOG))
    sold["version"] = 2
    next(d for d in sold["dishes"] if d["id"] == "greens")["sold_out"] = True
    apply_catalog(kiosk.store, sold)
    j = kiosk.journey
    j.start()
    j.identify("guest")
    card = next(d for c in j.menu.state.categories for d in c.dishes if d.dish_id == "greens")
    assert card.sold_out
    assert not j.open_dish("greens")
    assert j.state.message.zh == "抱歉，这道菜已售罄。"


def test_build_your_own_set_meal_priced_by_rules(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    assert j.open_set_meal("two-meat-one-veg")
    sm = j.set_meal
    slots = {s.code: s for s in sm.state.slots}
    assert set(slots) == {"1-meat", "2-vegetable", "3-staple"}
    sm.pick("1-meat", "braised-pork")
    assert not j.add_set_meal()
    assert j.state.message.en == "Please fill every choice of the set meal."
    sm.pick("1-meat", "lamb-cumin")
    sm.pick("2-vegetable", "greens")
    sm.pick("3-staple", "rice")
    assert sm.state.complete
    assert j.add_set_meal(), j.state.message
    j.open_cart()
    c = j.cart.state
    assert c.subtotal_text == "￥51.00" and c.total_text == "￥20.00"
    assert all(ln.set_meal.en == "2 meat + 1 veg + rice" for ln in c.lines)
    assert c.discounts[0].code == "set_meal" and c.discounts[0].amount_text == "￥31.00"
    # removing one dish removes the whole set
    j.cart.remove(c.lines[0].line_id)
    assert j.cart.state.lines == ()


def test_fixed_combo_comes_prefilled(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    j.open_set_meal("combo-kungpao")
    assert j.set_meal.state.complete
    assert j.add_set_meal()
    j.open_cart()
    assert j.cart.state.total_text == "￥17.00"


def test_weighed_dish_priced_from_a_stable_scale_weight(tmp_path: Path) -> None:
    scale = ScaleSimulator(tmp_path / "scale")
    scale.start()
    k = make_kiosk(tmp_path, hardware={"devices": {"scale": {
        "type": "scale_continuous", "port": str(tmp_path / "scale"),
        "stable_window_s": 0.5}}}, roles={"scale": "scale"})  # 0.2 s flickers under load
    k.runtime.start()
    try:
        j = k.journey
        j.start()
        j.identify("guest")
        assert j.open_dish("buffet-meat")
        assert j.detail.state.dish.per_100g and j.detail.state.options == ()
        scale.place(333, settle_s=0.2)
        assert j.add_dish(), j.state.message
        j.open_cart()
        line = j.cart.state.lines[0]
        assert line.grams == 333
        assert j.cart.state.total_text == "￥13.25"  # 3.98/100 g x 333 g = 1325.34 fen
        assert j.checkout()
        payload = json.loads(k.store.conn.execute("SELECT payload FROM orders").fetchone()[0])
        assert payload["lines"][0]["weight_g"] == 333
    finally:
        k.runtime.stop()
        scale.stop()


def test_weighed_dish_without_a_settled_weight_is_refused(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    j.open_dish("buffet-veg")
    assert not j.add_dish()
    assert "scale" in j.state.message.en and "秤" in j.state.message.zh
    assert len(j.session.cart) == 0


@pytest.fixture
def printer(tmp_path: Path):
    sim = PrinterSimulator(tmp_path / "printer")
    sim.start()
    yield sim
    sim.stop()


def printer_kiosk(tmp_path: Path, printer: PrinterSimulator) -> Kiosk:
    return make_kiosk(tmp_path, hardware={
        "devices": {"receipt": {"type": "escpos_serial", "port": str(printer.path)}},
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")}})


def test_receipt_reaches_the_printer_simulator(tmp_path: Path, printer) -> None:
    k = printer_kiosk(tmp_path, printer)
    try:
        j = k.journey
        j.start()
        j.identify("card", "0012345678")
        order_dish(j, "kung-pao-chicken")
        j.open_cart()
        assert j.checkout(), j.state.message
        assert j.state.message is None
        assert printer.wait_documents(1)
        text = printer.documents[0].text
        assert "A001" in text and "宫保鸡丁" in text and "￥12.00" in text  # the subsidy
        assert printer.documents[0].qr_payloads == [j.done.state.order_id]
    finally:
        k.runtime.stop()


def test_printer_fault_is_shown_and_the_order_stands(tmp_path: Path, printer) -> None:
    printer.set_paper("out")
    k = printer_kiosk(tmp_path, printer)
    try:
        j = k.journey
        j.start()
        j.identify("guest")
        order_dish(j, "greens")
        j.open_cart()
        assert j.checkout()
        assert j.state.step is Step.DONE
        assert "缺纸" in j.state.message.zh and "out of paper" in j.state.message.en
        assert k.store.order_totals() == (1, 600)
        assert printer.documents == []
    finally:
        k.runtime.stop()


def test_feedback_recorded_and_previous_meal_asked_next_time(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("card", "0012345678")
    order_dish(j, "greens")
    j.open_cart()
    j.checkout()
    order_id = j.done.state.order_id
    j.finish()  # skipped the feedback
    j.start()
    j.identify("card", "0012345678")
    assert j.state.member.ask_feedback_for == order_id
    j.rate_previous_meal()
    assert j.state.step is Step.FEEDBACK
    j.done.rate(2)
    j.done.toggle_tag("too_salty")
    j.done.toggle_tag("too_cold")
    assert j.submit_feedback()
    row = json.loads(kiosk.store.conn.execute("SELECT payload FROM feedback").fetchone()[0])
    assert row["order_id"] == order_id and row["rating"] == 2
    assert row["tags"] == ["too_cold", "too_salty"] and row["member_id"] == "m-1001"
    assert kiosk.store.conn.execute(
        "SELECT count(*) FROM outbox WHERE kind = 'feedback.given'").fetchone()[0] == 1
