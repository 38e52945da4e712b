"""Menus per site and meal period, and the availability of each dish on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.dishes import Dish
from hub.models.menus import (
    Menu,
    MenuCreate,
    MenuItem,
    MenuItemIn,
    MenuItemPublic,
    MenuItemUpdate,
    MenuPublic,
    MenuUpdate,
)
from hub.models.sites import MealPeriod, Site
from hub.services.common import commit_or_conflict, exists, fetch_page, get_or_404


def menu_public(*, session: Session, menu: Menu) -> MenuPublic:
    """The API shape of a menu with its items in display order."""
    items = session.exec(
        select(MenuItem)
        .where(MenuItem.menu_id == menu.id)
        .order_by(col(MenuItem.sort_order), col(MenuItem.id))
    ).all()
    return MenuPublic.model_validate(
        menu, update={"items": [MenuItemPublic.model_validate(i) for i in items]}
    )


def _check_items(session: Session, items: list[MenuItemIn]) -> None:
    ids = [i.dish_id for i in items]
    if len(ids) != len(set(ids)):
        raise InvalidInputError("a dish appears twice on the menu", field="items")
    for dish_id in ids:
        if session.get(Dish, dish_id) is None:
            raise InvalidInputError(f"dish {dish_id} does not exist", field="items")


def _replace_items(session: Session, menu_id: int, items: list[MenuItemIn]) -> None:
    session.exec(delete(MenuItem).where(col(MenuItem.menu_id) == menu_id))
    for item in items:
        session.add(MenuItem.model_validate(item, update={"menu_id": menu_id}))


def create_menu(*, session: Session, data: MenuCreate) -> Menu:
    """Create the menu of a site's meal period; 409 if that period already has one."""
    if session.get(Site, data.site_id) is None:
        raise InvalidInputError(f"site {data.site_id} does not exist", field="site_id")
    period = session.get(MealPeriod, data.meal_period_id)
    if period is None or period.site_id != data.site_id:
        raise InvalidInputError(
            f"meal period {data.meal_period_id} does not belong to site {data.site_id}",
            field="meal_period_id",
        )
    taken = select(Menu).where(
        Menu.site_id == data.site_id, Menu.meal_period_id == data.meal_period_id
    )
    if exists(session, taken):
        raise ConflictError(
            f"site {data.site_id} already has a menu for meal period {data.meal_period_id}"
        )
    _check_items(session, data.items)
    menu = Menu.model_validate(data.model_dump(exclude={"items"}))
    session.add(menu)
    session.flush()
    assert menu.id is not None
    _replace_items(session, menu.id, data.items)
    commit_or_conflict(session, message="a menu for this site and meal period already exists")
    session.refresh(menu)
    return menu


def list_menus(
    *,
    session: Session,
    site_id: int | None = None,
    meal_period_id: int | None = None,
    meal_period_code: str | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Menu], int]:
    """A page of menus filtered by site and meal period (id or code)."""
    stmt = select(Menu)
    if site_id is not None:
        stmt = stmt.where(Menu.site_id == site_id)
    if meal_period_id is not None:
        stmt = stmt.where(Menu.meal_period_id == meal_period_id)
    if meal_period_code:
        stmt = stmt.join(MealPeriod, col(MealPeriod.id) == col(Menu.meal_period_id)).where(
            MealPeriod.code == meal_period_code
        )
    return fetch_page(session, stmt, order_by=Menu.id, limit=limit, offset=offset)


def get_menu(*, session: Session, menu_id: int) -> Menu:
    """One menu, else 404."""
    return get_or_404(session, Menu, menu_id, what="menu")


def update_menu(*, session: Session, menu_id: int, data: MenuUpdate) -> Menu:
    """Change a menu; items, when sent, replace the whole list."""
    menu = get_menu(session=session, menu_id=menu_id)
    if data.active is not None:
        menu.active = data.active
    if data.items is not None:
        _check_items(session, data.items)
        assert menu.id is not None
        _replace_items(session, menu.id, data.items)
    menu.updated_at = utcnow()
    session.add(menu)
    commit_or_conflict(session, message="menu update conflicts with existing data")
    session.refresh(menu)
    return menu


def update_menu_item(
    *, session: Session, menu_id: int, dish_id: int, data: MenuItemUpdate
) -> MenuItem:
    """Switch one dish on a menu (sold out, available, position)."""
    menu = get_menu(session=session, menu_id=menu_id)
    item = session.exec(
        select(MenuItem).where(MenuItem.menu_id == menu_id, MenuItem.dish_id == dish_id)
    ).first()
    if item is None:
        raise NotFoundError(f"dish {dish_id} is not on menu {menu_id}")
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
        setattr(item, key, value)
    menu.updated_at = utcnow()
    session.add_all([item, menu])
    commit_or_conflict(session, message="menu item update conflicts with existing data")
    session.refresh(item)
    return item


def delete_menu(*, session: Session, menu_id: int) -> None:
    """Delete a menu and its items."""
    menu = get_menu(session=session, menu_id=menu_id)
    session.delete(menu)
    commit_or_conflict(session, message=f"menu {menu_id} is still referenced")
