"""Set meals: check the diner's picks fill the offer's slots exactly, then price them.

A set meal's price replaces the list prices of its dishes (no member price,
member day, spend-save or coupon touches a set-meal line). Modifiers on its
dishes are charged on top of the set price. A set meal never costs more than
its dishes at list price: the diner pays the lower of the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rules.errors import (
    InvalidInput,
    SetMealDishNotAllowed,
    SetMealSlotsNotFilled,
    UnknownSetMeal,
    UnknownSetMealSlot,
)
from rules.labels import Label
from rules.money import allocate
from rules.order import OrderLine, SetMealChoice, SetMealOffer
from rules.results import Discount


@dataclass(frozen=True, slots=True)
class SetMealLine:
    """A line that belongs to a set meal, with its share of the set price."""

    line_id: str
    offer_code: str
    net_cents: int


def price_set_meals(
    lines: Mapping[str, OrderLine],
    choices: Sequence[SetMealChoice],
    offers: Sequence[SetMealOffer],
    now: datetime,
) -> tuple[dict[str, SetMealLine], tuple[Discount, ...]]:
    """Validate every set-meal choice and return its lines' net amounts and discounts."""
    on_offer = {o.code: o for o in offers if o.window.contains(now)}
    taken: dict[str, SetMealLine] = {}
    discounts: list[Discount] = []
    for choice in choices:
        offer = on_offer.get(choice.offer_code)
        if offer is None:
            raise UnknownSetMeal(choice.offer_code)
        members = _check_picks(offer, choice, lines, taken)
        list_total = sum(m.list_cents for m in members)
        # clamp: "less rice" modifiers can push a cheap set below zero
        set_total = max(0, offer.price_cents + sum(m.modifier_cents for m in members))
        net_total = min(set_total, list_total)
        shares = allocate(net_total, [m.list_cents for m in members])
        for member, share in zip(members, shares, strict=True):
            taken[member.line_id] = SetMealLine(member.line_id, offer.code, share)
        if list_total > net_total:
            discounts.append(
                Discount(
                    kind="set_meal",
                    ref=offer.code,
                    reason=Label(f"套餐：{offer.name.zh}", f"Set meal: {offer.name.en}"),
                    amount_cents=list_total - net_total,
                    line_ids=tuple(m.line_id for m in members),
                )
            )
    return taken, tuple(discounts)


def _check_picks(
    offer: SetMealOffer,
    choice: SetMealChoice,
    lines: Mapping[str, OrderLine],
    taken: Mapping[str, SetMealLine],
) -> list[OrderLine]:
    """The lines of one choice, sorted by id; refuse any pick that does not fit."""
    slots = {s.code: s for s in offer.slots}
    filled = dict.fromkeys(slots, 0)
    members: dict[str, OrderLine] = {}
    for pick in choice.picks:
        slot = slots.get(pick.slot)
        if slot is None:
            raise UnknownSetMealSlot(offer.code, pick.slot)
        line = lines.get(pick.line_id)
        if line is None:
            raise InvalidInput(
                f"套餐选择了不存在的订单行 {pick.line_id}",
                f"set meal {offer.code!r} picks unknown line {pick.line_id!r}",
            )
        if pick.line_id in taken or pick.line_id in members:
            raise InvalidInput(
                f"订单行 {pick.line_id} 被重复用于套餐",
                f"line {pick.line_id!r} is used in more than one set-meal slot",
            )
        if line.grams is not None or not slot.accepts(line):
            raise SetMealDishNotAllowed(offer.code, slot.code, line.line_id)
        filled[slot.code] += line.qty
        members[line.line_id] = line
    for slot in offer.slots:
        if filled[slot.code] != slot.count:
            raise SetMealSlotsNotFilled(offer.code, slot.code, slot.count, filled[slot.code])
    return [members[k] for k in sorted(members)]
