"""/menus: what a site serves in each meal period, and the sold-out switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import EDITORS, SOLD_OUT_SWITCHERS, STAFF, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath, IdQuery
from hub.models.menus import MenuCreate, MenuItemPublic, MenuItemUpdate, MenuPublic, MenuUpdate
from hub.services import menus as svc

router = APIRouter(prefix="/menus", tags=["menus"], dependencies=[require_role(*STAFF)])
edit = [require_role(*EDITORS)]


@router.get("", response_model=Page[MenuPublic])
def list_menus(
    session: SessionDep,
    page: PageDep,
    site_id: IdQuery = None,
    meal_period_id: IdQuery = None,
    meal_period: Annotated[str | None, Query(max_length=32, description="period code")] = None,
) -> Page[MenuPublic]:
    """A page of menus filtered by site and meal period."""
    rows, total = svc.list_menus(
        session=session,
        site_id=site_id,
        meal_period_id=meal_period_id,
        meal_period_code=meal_period,
        limit=page.limit,
        offset=page.offset,
    )
    items = [svc.menu_public(session=session, menu=m) for m in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=MenuPublic, status_code=status.HTTP_201_CREATED, dependencies=edit)
def create_menu(session: SessionDep, data: MenuCreate) -> MenuPublic:
    """Create the menu of a site's meal period."""
    return svc.menu_public(session=session, menu=svc.create_menu(session=session, data=data))


@router.get("/{menu_id}", response_model=MenuPublic)
def get_menu(session: SessionDep, menu_id: IdPath) -> MenuPublic:
    """One menu with its items."""
    return svc.menu_public(session=session, menu=svc.get_menu(session=session, menu_id=menu_id))


@router.patch("/{menu_id}", response_model=MenuPublic, dependencies=edit)
def update_menu(session: SessionDep, menu_id: IdPath, data: MenuUpdate) -> MenuPublic:
    """Change a menu; items replace the old list."""
    menu = svc.update_menu(session=session, menu_id=menu_id, data=data)
    return svc.menu_public(session=session, menu=menu)


@router.patch(
    "/{menu_id}/items/{dish_id}",
    response_model=MenuItemPublic,
    dependencies=[require_role(*SOLD_OUT_SWITCHERS)],
)
def update_menu_item(
    session: SessionDep, menu_id: IdPath, dish_id: IdPath, data: MenuItemUpdate
) -> MenuItemPublic:
    """Mark a dish sold out or unavailable on one menu."""
    item = svc.update_menu_item(session=session, menu_id=menu_id, dish_id=dish_id, data=data)
    return MenuItemPublic.model_validate(item)


@router.delete("/{menu_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=edit)
def delete_menu(session: SessionDep, menu_id: IdPath) -> Response:
    """Delete a menu."""
    svc.delete_menu(session=session, menu_id=menu_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
