"""Every label fits its box and every button fits a finger, in both languages, with long names."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from kivy.metrics import dp

from tests.kiosk.controllers.conftest import CATALOG, apply_catalog
from tests.kiosk.screens.conftest import CARD_GOLD
from tests.kiosk.screens.driver import (
    Driver,
    escaping_card_parts,
    overflowing_labels,
    small_touch_targets,
)

pytestmark = pytest.mark.screen

LONG_ZH = "秘制宫保鸡丁配花生米与干辣椒及葱段（可选微辣或特辣）"
LONG_EN = "Secret-recipe Kung Pao Chicken with Roasted Peanuts, Dried Chillies & Scallion"
SCREENS = ("idle", "identify", "menu", "detail", "setmeal", "cart", "done", "feedback")


def next_version(ui: Driver) -> int:
    """A catalog version newer than the device's (the agent refuses older ones)."""
    return int(ui.kiosk.store.versions().get("catalog") or 0) + 1


@pytest.fixture
def long_names(fresh: Driver) -> Iterator[Driver]:
    """Catalog v2: the longest names the wire allows in spirit, and a dish sold out."""
    data = copy.deepcopy(CATALOG)
    data["version"] = next_version(fresh)
    for dish in data["dishes"]:
        if dish["id"] == "kung-pao-chicken":
            dish["name_zh"], dish["name_en"] = LONG_ZH, LONG_EN
            dish["description_zh"] = "选用鸡腿肉，配花生米、干辣椒和葱段，酱汁酸甜微辣。" * 3
            dish["description_en"] = ("Chicken thigh with peanuts, dried chillies and spring "
                                      "onion in a sweet, sour and lightly spicy sauce. ") * 3
            dish["allergens"] = ["peanut", "soy", "sesame", "gluten", "egg"]
        if dish["id"] == "braised-pork":
            dish["sold_out"] = True
    apply_catalog(fresh.kiosk.store, data)
    fresh.journey.tick()
    fresh.settle()
    yield fresh
    data = copy.deepcopy(CATALOG)
    data["version"] = next_version(fresh)
    apply_catalog(fresh.kiosk.store, data)
    fresh.journey.reset()
    fresh.journey.tick()
    fresh.settle()


def fill_every_screen(ui: Driver) -> None:
    """Drive the journey so every screen holds real data (a member with a full cart)."""
    j = ui.journey
    j.start()
    assert ui.sims["card"].tap(CARD_GOLD)
    assert ui.wait_until(lambda: j.state.step == "menu"), j.state.message
    assert j.open_set_meal("two-meat-one-veg")
    for slot, dish in (("0", "kung-pao-chicken"), ("0", "lamb-cumin"), ("1", "greens"),
                       ("2", "rice")):
        code = j.set_meal.state.slots[int(slot)].code
        j.set_meal.pick(code, dish)
    assert j.add_set_meal(), j.state.message
    assert j.open_dish("kung-pao-chicken"), j.state.message
    j.detail.choose("portion", "large")
    ui.settle()


def check_all(ui: Driver, label: str) -> list[str]:
    problems = []
    for name in SCREENS:
        ui.root.show(name)
        ui.pump(20)  # layouts, then label shrinking (one step per frame) settle
        problems += [f"[{label} {name}] {p}" for p in overflowing_labels(ui.root)]
        problems += [f"[{label} {name}] {p}" for p in escaping_card_parts(ui.root)]
        problems += [f"[{label} {name}] small: {p}"
                     for p in small_touch_targets(ui.root, dp(48))]
    return problems


def test_labels_fit_in_both_languages_and_large_text(long_names: Driver) -> None:
    ui = long_names
    fill_every_screen(ui)
    detail = ui.screen("detail")
    assert detail.ids.name.text == LONG_ZH
    ui.root.show("menu")
    ui.settle()
    sold = [row for row in ui.screen("menu").dishes if row["dish_id"] == "braised-pork"]
    assert sold and sold[0]["sold_out"] and sold[0]["sold_out_text"] == "已售罄"
    ui.journey.open_cart()
    ui.journey.checkout()
    ui.journey.give_feedback()
    problems = []
    for lang in ("zh_Hans", "en"):
        for large in (False, True):
            ui.journey.set_language(lang)
            ui.journey.set_large_text(large)
            ui.settle()
            problems += check_all(ui, f"{lang}{' large' if large else ''}")
            if lang == "en" and large:
                ui.root.show("menu")
                ui.screenshot("kiosk-menu-large-en", docs=True)
            if lang == "zh_Hans" and not large:
                ui.root.show("detail")
                ui.screenshot("kiosk-detail-long-zh", docs=False)
    ui.journey.finish()
    assert not problems, "\n".join(problems)


def test_portrait_800x1280_fits_too(long_names: Driver) -> None:
    from kivy.core.window import Window

    ui = long_names
    fill_every_screen(ui)
    ui.journey.open_cart()
    Window.size = (800, 1280)
    try:
        problems = []
        for lang in ("zh_Hans", "en"):
            ui.journey.set_language(lang)
            ui.settle()
            problems += check_all(ui, f"portrait {lang}")
        ui.journey.set_language("zh_Hans")
        ui.journey.back_to_menu()  # the journey's step decides the screen on display
        ui.settle()
        ui.screenshot("kiosk-menu-portrait-zh")
        ui.journey.open_cart()
        ui.settle()
        ui.screenshot("kiosk-cart-portrait-zh")
    finally:
        Window.size = (1280, 800)
        ui.journey.finish()
        ui.settle()
    assert not problems, "\n".join(problems)
