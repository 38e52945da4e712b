"""/organisations: the employers and schools whose canteens serve their own members."""

from __future__ import annotations

from fastapi import APIRouter, status

from hub.api.deps import EDITORS, STAFF, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.models.sites import OrganisationCreate, OrganisationPublic
from hub.services import sites as svc

router = APIRouter(prefix="/organisations", tags=["sites"],
                   dependencies=[require_role(*STAFF)])


@router.get("", response_model=Page[OrganisationPublic])
def list_organisations(session: SessionDep, page: PageDep) -> Page[OrganisationPublic]:
    """A page of organisations, by code."""
    rows, total = svc.list_organisations(session=session, limit=page.limit, offset=page.offset)
    items = [OrganisationPublic.model_validate(o) for o in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=OrganisationPublic, status_code=status.HTTP_201_CREATED,
             dependencies=[require_role(*EDITORS)])
def create_organisation(session: SessionDep, data: OrganisationCreate) -> OrganisationPublic:
    """Create an organisation; its sites' kiosks then cache its members only."""
    return OrganisationPublic.model_validate(svc.create_organisation(session=session, data=data))
