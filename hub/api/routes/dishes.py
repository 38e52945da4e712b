"""/dishes: the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import EDITORS, STAFF, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.models.dishes import DishCreate, DishPublic, DishUpdate
from hub.services import dishes as svc

router = APIRouter(prefix="/dishes", tags=["dishes"], dependencies=[require_role(*STAFF)])
edit = [require_role(*EDITORS)]


@router.get("", response_model=Page[DishPublic])
def list_dishes(
    session: SessionDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z_]+$")] = None,
    station: Annotated[str | None, Query(max_length=32)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="text in zh or en")] = None,
) -> Page[DishPublic]:
    """A page of dishes, filtered."""
    rows, total = svc.list_dishes(
        session=session,
        category=category,
        tag=tag,
        station=station,
        active=active,
        q=q,
        limit=page.limit,
        offset=page.offset,
    )
    items = [DishPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=DishPublic, status_code=status.HTTP_201_CREATED, dependencies=edit)
def create_dish(session: SessionDep, user: CurrentUser, data: DishCreate) -> DishPublic:
    """Create a dish."""
    dish = svc.create_dish(session=session, data=data, actor=user.username)
    return DishPublic.model_validate(dish)


@router.get("/{dish_id}", response_model=DishPublic)
def get_dish(session: SessionDep, dish_id: IdPath) -> DishPublic:
    """One dish."""
    return DishPublic.model_validate(svc.get_dish(session=session, dish_id=dish_id))


@router.patch("/{dish_id}", response_model=DishPublic, dependencies=edit)
def update_dish(
    session: SessionDep, user: CurrentUser, dish_id: IdPath, data: DishUpdate
) -> DishPublic:
    """Change a dish (audited: who, before, after)."""
    dish = svc.update_dish(session=session, dish_id=dish_id, data=data, actor=user.username)
    return DishPublic.model_validate(dish)


@router.delete("/{dish_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=edit)
def delete_dish(session: SessionDep, user: CurrentUser, dish_id: IdPath) -> Response:
    """Delete a dish no menu or set meal uses."""
    svc.delete_dish(session=session, dish_id=dish_id, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
