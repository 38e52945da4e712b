"""Cross-field rules of the payloads: amounts add up, references resolve, codes are known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from protocol import (
    InvalidEnvelope,
    InvalidPayload,
    OrderPlaced,
    ProtocolError,
    UnknownMessageType,
    make_envelope,
)
from tests.protocol.samples import catalog, order

Mutation = Callable[[dict[str, Any]], None]


def refused(message_type: str, payload: dict[str, Any]) -> InvalidPayload:
    with pytest.raises(InvalidPayload) as info:
        make_envelope(message_type, payload, site="s1", device="k1")
    return info.value


def test_the_samples_are_valid() -> None:
    env = make_envelope("order.placed", order(), site="s1", device="k1")
    assert env.payload_as(OrderPlaced).total_cents == 3500
    make_envelope("catalog.snapshot", catalog(), site="s1", device="hub")


def _counter_guest(o: dict[str, Any]) -> None:
    o["member_id"] = None
    o["payments"] = [{"method": "counter", "amount_cents": 3500}]
    o["paid"] = False


def test_a_guest_paying_at_the_counter_is_unpaid() -> None:
    o = order()
    _counter_guest(o)
    env = make_envelope("order.placed", o, site="s1", device="k1")
    assert env.payload_as(OrderPlaced).is_guest


def test_a_free_order_needs_no_payment() -> None:
    o = order()
    o["discount_cents"] = 3780
    o["total_cents"] = 0
    o["payments"] = []
    make_envelope("order.placed", o, site="s1", device="k1")


ORDER_BREAKS: list[tuple[str, Mutation, str]] = [
    ("subtotal", lambda o: o.update(subtotal_cents=3781), "line totals add up to 3780"),
    ("discount", lambda o: o.update(discount_cents=0), "total_cents 3500"),
    ("payments", lambda o: o["payments"][0].update(amount_cents=1499), "payments add up to 3499"),
    ("line total", lambda o: o["lines"][0].update(line_total_cents=2700), "2 x"),
    ("negative line", lambda o: o["lines"][1].update(line_total_cents=-1), "line_total_cents"),
    ("no lines", lambda o: o.update(lines=[]), "at least 1"),
    ("paid but counter",
     lambda o: (_counter_guest(o), o.update(paid=True)), "still to pay at the counter"),
    ("unpaid no counter", lambda o: o.update(paid=False), "no share is left to pay"),
    ("weight zero", lambda o: o["lines"][1].update(weight_g=0), "weight_g"),
    ("negative discount", lambda o: o.update(discount_cents=-280), "discount_cents"),
]


@pytest.mark.parametrize(("mutate", "fragment"), [b[1:] for b in ORDER_BREAKS],
                         ids=[b[0] for b in ORDER_BREAKS])
def test_inconsistent_orders_are_refused(mutate: Mutation, fragment: str) -> None:
    o = order()
    mutate(o)
    err = refused("order.placed", o)
    assert fragment in str(err)


def _feedback(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"order_id": "01956c2e-8f3a-7b21-9c4d-2f1e0a9b8c7d", "rating": 4,
                            "tags": ["great_taste", "too_salty"], "comment": "米饭有点硬"}
    return {**base, **changes}


def test_feedback_accepts_known_tags() -> None:
    make_envelope("feedback.given", _feedback(), site="s1", device="k1")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"tags": ["tasty"]}, "unknown feedback tag 'tasty'"),
        ({"tags": ["slow", "slow"]}, "listed twice"),
        ({"comment": "长" * 501}, "comment"),
        ({"order_id": None}, "order_id"),
    ],
)
def test_bad_feedback_is_refused(changes: dict[str, Any], fragment: str) -> None:
    assert fragment in str(refused("feedback.given", _feedback(**changes)))


CATALOG_BREAKS: list[tuple[str, Mutation, str]] = [
    ("menu dish", lambda c: c["menus"][0]["items"].append({"dish_id": "ghost"}),
     "unknown dish 'ghost'"),
    ("menu period", lambda c: c["menus"][0].update(meal_period="dinner"),
     "unknown meal period 'dinner'"),
    ("set dish", lambda c: c["set_meals"][0]["dish_ids"].append("ghost"), "unknown dish 'ghost'"),
    ("slot category", lambda c: c["set_meals"][1]["slots"].append({"category": "soup",
                                                                   "count": 1}),
     "category 'soup'"),
    ("duplicate dish", lambda c: c["dishes"].append(dict(c["dishes"][0])), "dish id 'd1'"),
    ("duplicate menu item", lambda c: c["menus"][0]["items"].append({"dish_id": "d1"}),
     "lists dish 'd1' twice"),
    ("empty period", lambda c: c["meal_periods"][0].update(start=c["meal_periods"][0]["end"]),
     "starts and ends at"),
    ("option repeat", lambda c: c["dishes"][0].update(options=[{
        "code": "portion", "name_zh": "份量", "name_en": "Portion",
        "choices": [{"code": "big", "name_zh": "大", "name_en": "Big"}] * 2}]),
     "repeats a choice"),
    ("spend-save", lambda c: c.update(offers={"spend_save": [
        {"code": "s1", "threshold_cents": 500, "save_cents": 500}]}), "saves as much"),
    ("bad time", lambda c: c["meal_periods"][0].update(end="24:00"), "end"),
    ("currency", lambda c: c.update(currency="USD"), "currency"),
    ("version 0", lambda c: c.update(version=0), "version"),
    ("tag repeat", lambda c: c["dishes"][0].update(tags=["spicy", "spicy"]), "listed twice"),
    ("tag shape", lambda c: c["dishes"][0].update(tags=["Spicy!"]), "tags"),
    ("set kind", lambda c: c["set_meals"][0].update(kind="combo"), "kind"),
    ("float price", lambda c: c["dishes"][0].update(price_cents=8.5), "price_cents"),
]


@pytest.mark.parametrize(("mutate", "fragment"), [b[1:] for b in CATALOG_BREAKS],
                         ids=[b[0] for b in CATALOG_BREAKS])
def test_inconsistent_catalogs_are_refused(mutate: Mutation, fragment: str) -> None:
    c = catalog()
    mutate(c)
    assert fragment in str(refused("catalog.snapshot", c))


@pytest.mark.parametrize("result", ["rejected", "conflict"])
def test_a_refusing_ack_needs_a_reason(result: str) -> None:
    ack = {"message_id": "01956c2e-9000-7a00-8000-000000000001", "result": result}
    assert "needs a reason" in str(refused("event.ack", {"acks": [ack]}))
    make_envelope("event.ack", {"acks": [{**ack, "reason": "invalid_payload"}]},
                  site="s1", device="hub")


def test_an_empty_ack_batch_is_refused() -> None:
    refused("event.ack", {"acks": []})


def test_make_envelope_refuses_unknown_types_and_wrong_models() -> None:
    with pytest.raises(UnknownMessageType):
        make_envelope("order.cancelled", {}, site="s1", device="k1")
    status = make_envelope("device.status", {"state": "online"}, site="s1", device="k1")
    with pytest.raises(InvalidPayload, match="OrderPlaced"):
        make_envelope("order.placed", status.payload, site="s1", device="k1")
    with pytest.raises(InvalidPayload, match="OrderPlaced"):
        status.payload_as(OrderPlaced)


@pytest.mark.parametrize(
    "kwargs",
    [{"site": "a/b"}, {"device": "+"}, {"message_id": "123"}, {"sent_at": "2025-01-01"}],
)
def test_make_envelope_refuses_a_bad_envelope(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"site": "s1", "device": "k1", **kwargs}
    with pytest.raises(InvalidEnvelope) as info:
        make_envelope("device.status", {"state": "online"}, **args)
    assert isinstance(info.value, ProtocolError)
    assert next(iter(kwargs)) in str(info.value)


def test_meal_period_past_midnight() -> None:
    from protocol import MealPeriod

    late = MealPeriod(code="late", name_zh="夜宵", name_en="Late snack", start="21:00", end="00:30")
    assert late.contains("23:59") and late.contains("00:10") and late.contains("21:00")
    assert not late.contains("00:30") and not late.contains("12:00")
    lunch = MealPeriod(code="lunch", name_zh="午餐", name_en="Lunch", start="11:00", end="13:30")
    assert lunch.contains("11:00") and not lunch.contains("13:30")
