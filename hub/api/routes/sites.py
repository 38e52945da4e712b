"""/sites and /sites/{id}/meal-periods."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from hub.api.deps import EDITORS, STAFF, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.models.sites import (
    MealPeriodCreate,
    MealPeriodPublic,
    MealPeriodUpdate,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)
from hub.services import sites as svc

router = APIRouter(prefix="/sites", tags=["sites"], dependencies=[require_role(*STAFF)])
edit = [require_role(*EDITORS)]


@router.get("", response_model=Page[SitePublic])
def list_sites(
    session: SessionDep, page: PageDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> Page[SitePublic]:
    """A page of sites; q matches code or either name."""
    rows, total = svc.list_sites(session=session, q=q, limit=page.limit, offset=page.offset)
    items = [svc.site_public(session=session, site=s) for s in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=SitePublic, status_code=status.HTTP_201_CREATED, dependencies=edit)
def create_site(session: SessionDep, data: SiteCreate) -> SitePublic:
    """Create a site with its meal periods."""
    return svc.site_public(session=session, site=svc.create_site(session=session, data=data))


@router.get("/{site_id}", response_model=SitePublic)
def get_site(session: SessionDep, site_id: IdPath) -> SitePublic:
    """One site with its meal periods."""
    return svc.site_public(session=session, site=svc.get_site(session=session, site_id=site_id))


@router.patch("/{site_id}", response_model=SitePublic, dependencies=edit)
def update_site(session: SessionDep, site_id: IdPath, data: SiteUpdate) -> SitePublic:
    """Change a site."""
    site = svc.update_site(session=session, site_id=site_id, data=data)
    return svc.site_public(session=session, site=site)


@router.delete("/{site_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=edit)
def delete_site(session: SessionDep, site_id: IdPath) -> Response:
    """Delete a site nothing refers to."""
    svc.delete_site(session=session, site_id=site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{site_id}/meal-periods",
    response_model=MealPeriodPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=edit,
)
def add_meal_period(
    session: SessionDep, site_id: IdPath, data: MealPeriodCreate
) -> MealPeriodPublic:
    """Add a meal period to a site."""
    period = svc.add_meal_period(session=session, site_id=site_id, data=data)
    return MealPeriodPublic.model_validate(period)


@router.patch(
    "/{site_id}/meal-periods/{period_id}", response_model=MealPeriodPublic, dependencies=edit
)
def update_meal_period(
    session: SessionDep, site_id: IdPath, period_id: IdPath, data: MealPeriodUpdate
) -> MealPeriodPublic:
    """Rename a meal period or move its hours."""
    period = svc.update_meal_period(
        session=session, site_id=site_id, period_id=period_id, data=data
    )
    return MealPeriodPublic.model_validate(period)


@router.delete(
    "/{site_id}/meal-periods/{period_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=edit,
)
def delete_meal_period(session: SessionDep, site_id: IdPath, period_id: IdPath) -> Response:
    """Delete a meal period no menu uses."""
    svc.delete_meal_period(session=session, site_id=site_id, period_id=period_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
