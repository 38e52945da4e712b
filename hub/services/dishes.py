"""Dishes: the catalogue with bilingual search and dietary filters.

Every create, change and delete is audited (prices above all) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.audit import SYSTEM_ACTOR, record_change, snapshot
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError
from hub.models.dishes import Dish, DishCreate, DishUpdate
from hub.models.menus import MenuItem
from hub.models.set_meals import SetMealItem
from hub.services.common import (
    commit_or_conflict,
    exists,
    fetch_page,
    flush_or_conflict,
    get_or_404,
    ilike_any,
)

# Fields that may be set back to null by a PATCH; the rest must keep a value.
_NULLABLE = frozenset(
    {
        "member_price_cents",
        "price_per_100g_cents",
        "kcal",
        "protein_g",
        "fat_g",
        "carbs_g",
        "sodium_mg",
        "image_path",
    }
)


def audit_dish(
    session: Session, dish: Dish, *, actor: str, before: dict[str, Any] | None, verb: str
) -> None:
    """Audit a dish's creation, change or deletion (the admin pages call this too)."""
    assert dish.id is not None
    record_change(session, actor=actor, action=f"dish.{verb}", entity="dish",
                  entity_id=dish.id, before=before,
                  after=None if verb == "delete" else snapshot(dish))


def create_dish(*, session: Session, data: DishCreate, actor: str = SYSTEM_ACTOR) -> Dish:
    """Create a dish; 409 on a duplicate code."""
    if exists(session, select(Dish).where(Dish.code == data.code)):
        raise ConflictError(f"dish code {data.code!r} already exists")
    dish = Dish.model_validate(data)
    session.add(dish)
    flush_or_conflict(session, message=f"dish code {data.code!r} already exists")
    audit_dish(session, dish, actor=actor, before=None, verb="create")
    commit_or_conflict(session, message=f"dish code {data.code!r} already exists")
    session.refresh(dish)
    return dish


def _json_list_contains(column: Any, code: str) -> sa.ColumnElement[bool]:
    # Codes are [a-z_] identifiers (checked by rules.dietary), so matching the quoted
    # JSON text is exact on both SQLite and PostgreSQL without dialect-specific operators.
    return sa.cast(column, sa.Text).contains(f'"{code}"')


def list_dishes(
    *,
    session: Session,
    category: str | None = None,
    tag: str | None = None,
    station: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Dish], int]:
    """A page of dishes filtered by category, tag, station, active and text in either language."""
    stmt = select(Dish)
    if category:
        stmt = stmt.where(Dish.category == category)
    if station:
        stmt = stmt.where(Dish.station == station)
    if active is not None:
        stmt = stmt.where(Dish.active == active)
    if tag:
        stmt = stmt.where(_json_list_contains(col(Dish.tags), tag.strip().lower()))
    if q:
        columns = [Dish.code, Dish.name_zh, Dish.name_en, Dish.description_zh, Dish.description_en]
        stmt = stmt.where(ilike_any(columns, q))
    return fetch_page(session, stmt, order_by=Dish.code, limit=limit, offset=offset)


def get_dish(*, session: Session, dish_id: int) -> Dish:
    """One dish, else 404."""
    return get_or_404(session, Dish, dish_id, what="dish")


def update_dish(
    *, session: Session, dish_id: int, data: DishUpdate, actor: str = SYSTEM_ACTOR
) -> Dish:
    """Change a dish; fields not sent stay as they are."""
    dish = get_dish(session=session, dish_id=dish_id)
    before = snapshot(dish)
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is None and key not in _NULLABLE:
            raise InvalidInputError(f"{key} cannot be null", field=key)
        setattr(dish, key, value)
    dish.updated_at = utcnow()
    session.add(dish)
    audit_dish(session, dish, actor=actor, before=before, verb="update")
    commit_or_conflict(session, message="dish update conflicts with existing data")
    session.refresh(dish)
    return dish


def delete_dish(*, session: Session, dish_id: int, actor: str = SYSTEM_ACTOR) -> None:
    """Delete a dish no menu or set meal uses (409 otherwise: deactivate it instead)."""
    dish = get_dish(session=session, dish_id=dish_id)
    used = exists(session, select(MenuItem).where(MenuItem.dish_id == dish_id)) or exists(
        session, select(SetMealItem).where(SetMealItem.dish_id == dish_id)
    )
    if used:
        raise ConflictError(f"dish {dish_id} is on a menu or set meal; deactivate it instead")
    audit_dish(session, dish, actor=actor, before=snapshot(dish), verb="delete")
    session.delete(dish)
    commit_or_conflict(session, message=f"dish {dish_id} is still referenced; deactivate it")
