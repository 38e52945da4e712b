"""Catalog category/station names and coupon templates: what the wire accepts and refuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from protocol import CatalogSnapshot

DISH = {"id": "rice", "name_zh": "米饭", "name_en": "Rice", "category": "staple",
        "price_cents": 100, "station": "wok"}
BASE: dict[str, Any] = {"version": 1, "generated_at": "2025-03-01T00:00:00Z",
                        "meal_periods": [], "dishes": [DISH]}
STAPLE = {"code": "staple", "name_zh": "主食", "name_en": "Staples", "sort": 40}
WOK = {"code": "wok", "name_zh": "炒锅", "name_en": "Wok"}


def test_names_are_optional_and_looked_up_by_code() -> None:
    assert CatalogSnapshot.model_validate(BASE).categories == ()
    snap = CatalogSnapshot.model_validate({**BASE, "categories": [STAPLE], "stations": [WOK]})
    assert snap.category("staple") is not None and snap.category("staple").name_zh == "主食"  # type: ignore[union-attr]
    assert snap.station("wok").name_en == "Wok"  # type: ignore[union-attr]
    assert snap.station("noodles") is None


@pytest.mark.parametrize(("extra", "message"), [
    ({"categories": [{**STAPLE, "code": "meat"}]}, "category 'staple'"),
    ({"stations": [{**WOK, "code": "noodles"}]}, "station 'wok'"),
    ({"categories": [STAPLE, STAPLE]}, "category code 'staple' appears twice"),
    ({"offers": {"coupon_templates": [{"code": "x", "name_zh": "券", "name_en": "C",
                                       "kind": "percent_off"}]}}, "percent_bp"),
    ({"offers": {"coupon_templates": [{"code": "x", "name_zh": "券", "name_en": "C",
                                       "kind": "free_dish"}]}}, "dish_id"),
    ({"offers": {"coupon_templates": [
        {"code": "x", "name_zh": "券", "name_en": "C", "kind": "amount_off", "amount_cents": 1},
        {"code": "x", "name_zh": "券", "name_en": "C", "kind": "amount_off", "amount_cents": 2},
    ]}}, "coupon template code appears twice"),
])
def test_refused(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CatalogSnapshot.model_validate({**BASE, **extra})
