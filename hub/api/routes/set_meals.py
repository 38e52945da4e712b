"""/set-meals: fixed combos and build-your-own rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import EDITORS, STAFF, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.models.set_meals import SetMealCreate, SetMealPublic, SetMealUpdate
from hub.services import set_meals as svc

router = APIRouter(prefix="/set-meals", tags=["set meals"], dependencies=[require_role(*STAFF)])
edit = [require_role(*EDITORS)]


@router.get("", response_model=Page[SetMealPublic])
def list_set_meals(
    session: SessionDep, page: PageDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> Page[SetMealPublic]:
    """A page of set meals."""
    rows, total = svc.list_set_meals(session=session, q=q, limit=page.limit, offset=page.offset)
    items = [svc.set_meal_public(session=session, set_meal=r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "", response_model=SetMealPublic, status_code=status.HTTP_201_CREATED, dependencies=edit
)
def create_set_meal(session: SessionDep, user: CurrentUser, data: SetMealCreate) -> SetMealPublic:
    """Create a set meal."""
    set_meal = svc.create_set_meal(session=session, data=data, actor=user.username)
    return svc.set_meal_public(session=session, set_meal=set_meal)


@router.get("/{set_meal_id}", response_model=SetMealPublic)
def get_set_meal(session: SessionDep, set_meal_id: IdPath) -> SetMealPublic:
    """One set meal."""
    set_meal = svc.get_set_meal(session=session, set_meal_id=set_meal_id)
    return svc.set_meal_public(session=session, set_meal=set_meal)


@router.patch("/{set_meal_id}", response_model=SetMealPublic, dependencies=edit)
def update_set_meal(
    session: SessionDep, user: CurrentUser, set_meal_id: IdPath, data: SetMealUpdate
) -> SetMealPublic:
    """Change a set meal."""
    set_meal = svc.update_set_meal(
        session=session, set_meal_id=set_meal_id, data=data, actor=user.username
    )
    return svc.set_meal_public(session=session, set_meal=set_meal)


@router.delete("/{set_meal_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=edit)
def delete_set_meal(session: SessionDep, user: CurrentUser, set_meal_id: IdPath) -> Response:
    """Delete a set meal."""
    svc.delete_set_meal(session=session, set_meal_id=set_meal_id, actor=user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
