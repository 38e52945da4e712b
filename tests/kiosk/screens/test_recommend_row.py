"""The recommended row with a model switched in: a member's personal row and a guest's, zh/en."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from edge_agent.model_store import ModelStore
from kiosk.model_recommender import ModelRecommender
from models.recommend.synth import generate
from models.recommend.train import train
from tests.kiosk.screens.conftest import CARD_GOLD
from tests.kiosk.screens.driver import Driver
from tests.support.recommend import release

pytestmark = pytest.mark.screen


def _switch_in_model(ui: Driver) -> None:
    """A model over this kiosk's catalog (trained on synthetic history), as the agent does."""
    services = ui.kiosk.services
    dishes = services.catalog.snapshot.dishes
    canteen = generate(4, members=150, days=21, dishes=len(dishes))
    model = dataclasses.replace(train(canteen.log, tune=False),
                                dish_ids=tuple(d.id for d in dishes))
    store = services.store
    ModelStore(store.conn, Path(store.path).parent / "models",
               site_id=services.config.site_id).apply(
        release(model, 1, site=services.config.site_id))


def _record(ui: Driver, member_id: str, dish_id: str, times: int) -> list[tuple[str, str]]:
    dish = next(d for d in ui.kiosk.services.catalog.snapshot.dishes if d.id == dish_id)
    line = {"dish_id": dish.id, "name_zh": dish.name_zh, "name_en": dish.name_en, "qty": 1,
            "unit_price_cents": dish.price_cents, "line_total_cents": dish.price_cents,
            "station": dish.station}
    done = []
    for _ in range(times):
        rec = ui.kiosk.store.record_order({
            "meal_period": "lunch", "member_id": member_id, "lines": [line],
            "subtotal_cents": dish.price_cents, "total_cents": dish.price_cents,
            "payments": [{"method": "counter", "amount_cents": dish.price_cents}],
            "paid": False})
        done.append((rec.order_id, rec.message_id))
    return done


def _undo(ui: Driver, recorded: list[tuple[str, str]]) -> None:
    """Leave the session's shared kiosk as the other screen tests expect it: no model, no
    history of ours."""
    conn = ui.kiosk.store.conn
    for order_id, message_id in recorded:
        conn.execute("DELETE FROM order_lines WHERE order_id = ?", (order_id,))
        conn.execute("DELETE FROM orders WHERE order_id = ?", (order_id,))
        conn.execute("DELETE FROM outbox WHERE message_id = ?", (message_id,))
    conn.execute("DELETE FROM downlink_state WHERE kind = 'model'")
    recommender = ui.kiosk.services.recommender
    if isinstance(recommender, ModelRecommender):
        recommender._loaded = None  # the in-memory last good model goes with the state


def test_member_and_guest_rows_with_a_model(fresh: Driver) -> None:
    ui = fresh
    ui.tap_id("start", "idle")
    assert ui.sims["card"].tap(CARD_GOLD)
    assert ui.wait_until(lambda: ui.root.manager.current == "menu"), ui.journey.state.message
    member = ui.journey.session.member
    assert member is not None
    recorded = _record(ui, member.member_id, "kung-pao-chicken", 3)
    try:
        _switch_in_model(ui)
        _rows(ui)
    finally:
        _undo(ui, recorded)


def _rows(ui: Driver) -> None:
    ui.journey.menu.load()
    ui.settle()
    menu = ui.screen("menu")
    assert menu.recommended and menu.recommended[0]["name"] == "宫保鸡丁"
    assert "因为你常点宫保鸡丁" in menu.ids.rec_title.text
    ui.screenshot("kiosk-menu-member-zh")
    ui.tap_text("English", ui.root)
    ui.settle()
    assert "Because you often order Kung Pao Chicken" in menu.ids.rec_title.text
    ui.screenshot("kiosk-menu-member-en")
    ui.journey.reset()
    ui.settle()
    ui.tap_id("start", "idle")
    ui.tap_id("guest", "identify")
    assert ui.wait_until(lambda: ui.root.manager.current == "menu")
    ui.settle()
    menu = ui.screen("menu")
    ids = [row["dish_id"] for row in menu.recommended]
    assert ids and ids[0] != "kung-pao-chicken"  # the member's favourite is theirs alone
    assert "午餐这里很受欢迎" in menu.ids.rec_title.text
    ui.screenshot("kiosk-menu-guest-zh")
    ui.tap_text("English", ui.root)
    ui.settle()
    assert "Popular at lunch here" in menu.ids.rec_title.text
    ui.screenshot("kiosk-menu-guest-en")
