"""Category names and coupon terms come from the hub's catalog, not the kiosk config."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import ConfigError
from kiosk.i18n import Text
from tests.kiosk.controllers.conftest import (
    CATALOG,
    Kiosk,
    apply_catalog,
    cart_with,
    coupon,
    kiosk_config,
)


def new_catalog(k: Kiosk, **changes: Any) -> None:
    """The next catalog version with these top-level changes, applied like the agent does."""
    data = copy.deepcopy(CATALOG)
    data.update(version=k.store.versions()["catalog"] + 1, **changes)
    apply_catalog(k.store, data)
    k.services.catalog.refresh()


def terms(**five_off: Any) -> dict[str, Any]:
    """The fixture's offers with the five-off template's terms changed."""
    offers = copy.deepcopy(CATALOG["offers"])
    for t in offers["coupon_templates"]:
        if t["code"] == "five-off":
            t.update(five_off)
    return offers


def test_a_scanned_coupon_is_priced_with_the_catalogs_terms(kiosk: Kiosk) -> None:
    # The hub changed the template: ￥8 off from ￥20, renamed. The kiosk follows the catalog.
    new_catalog(kiosk, offers=terms(amount_cents=800, name_zh="满20减8元券",
                                    name_en="￥8 off ￥20"))
    j = cart_with(kiosk)  # 18.00 + 6.00 = 24.00; subsidy 12.00
    assert j.scan_coupon(coupon()), j.state.message
    c = j.cart.state
    assert c.coupon == Text("满20减8元券", "￥8 off ￥20") and c.coupon_text == "￥8.00"
    assert [(p.code, p.amount_text) for p in c.payments] == [
        ("subsidy", "￥12.00"), ("coupon", "￥8.00"), ("stored_value_paid", "￥4.00")]


def test_catalog_scope_and_window_reach_the_engine(kiosk: Kiosk) -> None:
    # Scoped to vegetables only: 10 % of the 6.00 greens, whatever else is in the cart.
    new_catalog(kiosk, offers=terms(kind="percent_off", amount_cents=0, percent_bp=1000,
                                    min_spend_cents=0, categories=["vegetable"]))
    j = cart_with(kiosk)
    assert j.scan_coupon(coupon()), j.state.message
    assert j.cart.state.coupon_text == "￥0.60"
    # A template whose window has closed: the engine refuses it with its own reason.
    new_catalog(kiosk, offers=terms(window={"valid_until": "2025-03-01T00:00:00Z"}))
    kiosk.journey.finish()
    j = cart_with(kiosk)
    assert not j.scan_coupon(coupon(coupon_id="c-2"))
    assert j.state.message is not None and j.cart.state.coupon is None


def test_a_template_missing_from_the_catalog_is_unknown(kiosk: Kiosk) -> None:
    offers = copy.deepcopy(CATALOG["offers"])
    offers["coupon_templates"] = []
    new_catalog(kiosk, offers=offers)
    j = cart_with(kiosk)
    assert not j.scan_coupon(coupon())
    assert j.state.message == Text(
        "本机暂不识别这张优惠券，请到柜台咨询。",
        "This kiosk does not know this coupon yet. Please ask at the counter.")


def test_an_old_config_with_a_coupon_table_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        kiosk_config(tmp_path, coupons={"five-off": {"name_zh": "券", "name_en": "C",
                                                     "kind": "amount_off", "amount_cents": 500}})
    (problem,) = info.value.problems
    assert "coupons" in problem and "catalog" in problem


def test_menu_tabs_are_named_and_ordered_by_the_catalog(kiosk: Kiosk) -> None:
    j = kiosk.journey
    j.start()
    j.identify("guest")
    cats = j.menu.state.categories
    assert [c.code for c in cats] == ["meat", "vegetable", "staple", "soup", "drink", "buffet"]
    assert cats[0].name == Text("荤菜", "Meat Dishes")
    # Build-your-own slots are named by the catalog's categories too.
    assert j.open_set_meal("two-meat-one-veg"), j.state.message
    assert [s.name for s in j.set_meal.state.slots][:2] == [
        Text("荤菜", "Meat Dishes"), Text("素菜", "Vegetable Dishes")]


def test_without_names_in_the_catalog_the_kiosk_uses_its_own_labels(kiosk: Kiosk) -> None:
    reordered = [{**c, "sort": 100 - c["sort"]} for c in CATALOG["categories"]]
    new_catalog(kiosk, categories=reordered)
    kiosk.journey.menu.catalog_changed()
    j = kiosk.journey
    j.start()
    j.identify("guest")
    assert j.menu.state.categories[0].code == "buffet"  # sort, not dish order
    new_catalog(kiosk, categories=[], stations=[])
    j.menu.load()
    assert all(c.name is None for c in j.menu.state.categories)
    assert kiosk.services.catalog.station_name("wok") is None
