"""Hand-written valid payloads (plain dicts) that rejection tests break one field at a time."""

from __future__ import annotations

import copy
import json
from typing import Any

from protocol import encode, make_envelope

ORDER_ID = "01956c2e-8f3a-7b21-9c4d-2f1e0a9b8c7d"
MESSAGE_ID = "01956c2e-9000-7a00-8000-000000000001"


def order() -> dict[str, Any]:
    """A member's lunch order: two lines, a discount, subsidy + stored value."""
    return copy.deepcopy(
        {
            "order_id": ORDER_ID,
            "order_no": "A023",
            "placed_at": "2025-03-01T04:32:05Z",
            "meal_period": "lunch",
            "member_id": "m-1001",
            "lines": [
                {
                    "dish_id": "kung-pao-chicken",
                    "name_zh": "宫保鸡丁",
                    "name_en": "Kung Pao Chicken",
                    "qty": 2,
                    "unit_price_cents": 1350,
                    "modifiers": [
                        {"code": "extra_egg", "name_zh": "加蛋", "name_en": "Extra egg",
                         "price_delta_cents": 150}
                    ],
                    "line_total_cents": 3000,
                    "station": "wok",
                },
                {
                    "dish_id": "buffet-veg",
                    "name_zh": "称重素菜",
                    "name_en": "Weighed vegetables",
                    "qty": 1,
                    "unit_price_cents": 250,
                    "weight_g": 312,
                    "line_total_cents": 780,
                    "station": "buffet",
                },
            ],
            "subtotal_cents": 3780,
            "discount_cents": 280,
            "total_cents": 3500,
            "payments": [
                {"method": "subsidy", "amount_cents": 1500},
                {"method": "stored_value", "amount_cents": 2000, "reference": "card-88"},
            ],
            "paid": True,
            "offline": False,
        }
    )


def catalog() -> dict[str, Any]:
    """A tiny but complete catalog: one period, three dishes, a menu, two set meals."""
    dish = {"name_zh": "菜", "name_en": "Dish", "price_cents": 800, "station": "wok"}
    return copy.deepcopy(
        {
            "version": 7,
            "generated_at": "2025-03-01T00:00:00Z",
            "currency": "CNY",
            "meal_periods": [
                {"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
                 "start": "11:00", "end": "13:30"}
            ],
            "dishes": [
                {**dish, "id": "d1", "category": "meat"},
                {**dish, "id": "d2", "category": "vegetable"},
                {**dish, "id": "rice", "category": "staple", "price_cents": 50},
            ],
            "menus": [{"meal_period": "lunch", "items": [{"dish_id": "d1"},
                                                         {"dish_id": "d2", "available": False}]}],
            "set_meals": [
                {"kind": "fixed", "id": "s1", "name_zh": "套餐", "name_en": "Combo",
                 "price_cents": 1500, "dish_ids": ["d1", "rice"]},
                {"kind": "build", "id": "s2", "name_zh": "两荤一素", "name_en": "2 meat + 1 veg",
                 "price_cents": 1800, "slots": [{"category": "meat", "count": 2},
                                               {"category": "vegetable", "count": 1},
                                               {"category": "staple", "count": 1}]},
            ],
        }
    )


def envelope_dict(message_type: str = "order.placed", payload: Any = None) -> dict[str, Any]:
    """A valid envelope as a dict (payload defaults to ``order()`` / ``catalog()``)."""
    if payload is None:
        payload = catalog() if message_type == "catalog.snapshot" else order()
    env = make_envelope(message_type, payload, site="site-1", device="kiosk-1",
                        message_id=MESSAGE_ID)
    result: dict[str, Any] = json.loads(encode(env))
    return result


def raw(obj: Any) -> bytes:
    """JSON bytes of ``obj`` (non-ASCII escaped, so lone surrogates can be sent too)."""
    return json.dumps(obj).encode("ascii")
