"""Set meals: fixed combos and build-your-own slot rules.

Every create, change (the price above all) and delete is audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from hub.accounts.audit import SYSTEM_ACTOR, record_change, snapshot
from hub.errors import ConflictError, InvalidInputError
from hub.models.dishes import Dish
from hub.models.set_meals import (
    SetMeal,
    SetMealCreate,
    SetMealItem,
    SetMealItemIn,
    SetMealKind,
    SetMealPublic,
    SetMealSlot,
    SetMealSlotBase,
    SetMealSlotIn,
    SetMealUpdate,
)
from hub.services.common import (
    commit_or_conflict,
    exists,
    fetch_page,
    flush_or_conflict,
    get_or_404,
    ilike_any,
)


def set_meal_public(*, session: Session, set_meal: SetMeal) -> SetMealPublic:
    """The API shape of a set meal with its items and slots."""
    items = session.exec(
        select(SetMealItem)
        .where(SetMealItem.set_meal_id == set_meal.id)
        .order_by(col(SetMealItem.id))
    ).all()
    slots = session.exec(
        select(SetMealSlot)
        .where(SetMealSlot.set_meal_id == set_meal.id)
        .order_by(col(SetMealSlot.sort_order), col(SetMealSlot.id))
    ).all()
    return SetMealPublic.model_validate(
        set_meal,
        update={
            "items": [SetMealItemIn.model_validate(i) for i in items],
            "slots": [SetMealSlotBase.model_validate(s) for s in slots],
        },
    )


def _check_items(session: Session, items: list[SetMealItemIn]) -> None:
    ids = [i.dish_id for i in items]
    if len(ids) != len(set(ids)):
        raise InvalidInputError("a dish appears twice in the set meal; use qty", field="items")
    for dish_id in ids:
        if session.get(Dish, dish_id) is None:
            raise InvalidInputError(f"dish {dish_id} does not exist", field="items")


def _replace_parts(
    session: Session,
    set_meal_id: int,
    items: list[SetMealItemIn] | None,
    slots: list[SetMealSlotIn] | None,
) -> None:
    if items is not None:
        session.exec(delete(SetMealItem).where(col(SetMealItem.set_meal_id) == set_meal_id))
        for item in items:
            session.add(SetMealItem.model_validate(item, update={"set_meal_id": set_meal_id}))
    if slots is not None:
        session.exec(delete(SetMealSlot).where(col(SetMealSlot.set_meal_id) == set_meal_id))
        for slot in slots:
            session.add(SetMealSlot.model_validate(slot, update={"set_meal_id": set_meal_id}))


def audit_set_meal(
    session: Session,
    set_meal: SetMeal,
    *,
    actor: str,
    before: dict[str, Any] | None,
    verb: str,
    note: str | None = None,
) -> None:
    """Audit a set meal's creation, change or deletion (the admin pages call this too)."""
    assert set_meal.id is not None
    record_change(session, actor=actor, action=f"set_meal.{verb}", entity="set_meal",
                  entity_id=set_meal.id, before=before,
                  after=None if verb == "delete" else snapshot(set_meal), note=note)


def create_set_meal(
    *, session: Session, data: SetMealCreate, actor: str = SYSTEM_ACTOR
) -> SetMeal:
    """Create a set meal with its parts in one transaction; 409 on a duplicate code."""
    if exists(session, select(SetMeal).where(SetMeal.code == data.code)):
        raise ConflictError(f"set meal code {data.code!r} already exists")
    _check_items(session, data.items)
    set_meal = SetMeal.model_validate(data.model_dump(exclude={"items", "slots"}))
    session.add(set_meal)
    flush_or_conflict(session, message=f"set meal code {data.code!r} already exists")
    assert set_meal.id is not None
    _replace_parts(session, set_meal.id, data.items, data.slots)
    audit_set_meal(session, set_meal, actor=actor, before=None, verb="create")
    commit_or_conflict(session, message=f"set meal code {data.code!r} already exists")
    session.refresh(set_meal)
    return set_meal


def list_set_meals(
    *, session: Session, q: str | None, limit: int, offset: int
) -> tuple[Sequence[SetMeal], int]:
    """A page of set meals, optionally matching text in code or either name."""
    stmt = select(SetMeal)
    if q:
        stmt = stmt.where(ilike_any([SetMeal.code, SetMeal.name_zh, SetMeal.name_en], q))
    return fetch_page(session, stmt, order_by=SetMeal.code, limit=limit, offset=offset)


def get_set_meal(*, session: Session, set_meal_id: int) -> SetMeal:
    """One set meal, else 404."""
    return get_or_404(session, SetMeal, set_meal_id, what="set meal")


def update_set_meal(
    *, session: Session, set_meal_id: int, data: SetMealUpdate, actor: str = SYSTEM_ACTOR
) -> SetMeal:
    """Change a set meal; items or slots, when sent, replace the old ones."""
    set_meal = get_set_meal(session=session, set_meal_id=set_meal_id)
    before = snapshot(set_meal)
    changes = data.model_dump(exclude_unset=True, exclude={"items", "slots"})
    for key, value in changes.items():
        if value is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
        setattr(set_meal, key, value)
    if set_meal.kind == SetMealKind.FIXED and data.slots:
        raise InvalidInputError("a fixed set meal has no slots", field="slots")
    if set_meal.kind == SetMealKind.BUILD_YOUR_OWN and data.items:
        raise InvalidInputError("a build-your-own set meal has no items", field="items")
    if data.items is not None:
        if set_meal.kind == SetMealKind.FIXED and not data.items:
            raise InvalidInputError("a fixed set meal needs at least one item", field="items")
        _check_items(session, data.items)
    if data.slots is not None and set_meal.kind == SetMealKind.BUILD_YOUR_OWN and not data.slots:
        raise InvalidInputError("a build-your-own set meal needs at least one slot", field="slots")
    assert set_meal.id is not None
    _replace_parts(session, set_meal.id, data.items, data.slots)
    session.add(set_meal)
    parts = [name for name in ("items", "slots") if getattr(data, name) is not None]
    audit_set_meal(session, set_meal, actor=actor, before=before, verb="update",
                   note=f"{' and '.join(parts)} replaced" if parts else None)
    commit_or_conflict(session, message="set meal update conflicts with existing data")
    session.refresh(set_meal)
    return set_meal


def delete_set_meal(*, session: Session, set_meal_id: int, actor: str = SYSTEM_ACTOR) -> None:
    """Delete a set meal and its parts."""
    set_meal = get_set_meal(session=session, set_meal_id=set_meal_id)
    audit_set_meal(session, set_meal, actor=actor, before=snapshot(set_meal),
                   verb="delete")
    session.delete(set_meal)
    commit_or_conflict(session, message=f"set meal {set_meal_id} is still referenced")
