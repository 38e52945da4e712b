"""Sites (canteens) and their meal periods."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.menus import Menu
from hub.models.sites import (
    MealPeriod,
    MealPeriodCreate,
    MealPeriodPublic,
    MealPeriodUpdate,
    Organisation,
    OrganisationCreate,
    Site,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)
from hub.services.common import commit_or_conflict, exists, fetch_page, get_or_404, ilike_any


def site_public(*, session: Session, site: Site) -> SitePublic:
    """The API shape of a site with its meal periods ordered by start time."""
    periods = session.exec(
        select(MealPeriod).where(MealPeriod.site_id == site.id).order_by(col(MealPeriod.start))
    ).all()
    return SitePublic.model_validate(
        site, update={"meal_periods": [MealPeriodPublic.model_validate(p) for p in periods]}
    )


def check_organisation(session: Session, organisation_id: int | None) -> None:
    """422 naming the field when an organisation id is given that does not exist."""
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise InvalidInputError(
            f"organisation {organisation_id} does not exist", field="organisation_id"
        )


def create_organisation(*, session: Session, data: OrganisationCreate) -> Organisation:
    """Create an organisation (an employer or school whose canteens serve its members)."""
    if exists(session, select(Organisation).where(Organisation.code == data.code)):
        raise ConflictError(f"organisation code {data.code!r} already exists")
    org = Organisation.model_validate(data)
    session.add(org)
    commit_or_conflict(session, message=f"organisation code {data.code!r} already exists")
    session.refresh(org)
    return org


def list_organisations(
    *, session: Session, limit: int, offset: int
) -> tuple[Sequence[Organisation], int]:
    """A page of organisations by code."""
    return fetch_page(session, select(Organisation), order_by=Organisation.code, limit=limit,
                      offset=offset)


def create_site(*, session: Session, data: SiteCreate) -> Site:
    """Create a site and its meal periods in one transaction; 409 on a duplicate code."""
    if exists(session, select(Site).where(Site.code == data.code)):
        raise ConflictError(f"site code {data.code!r} already exists")
    codes = [p.code for p in data.meal_periods]
    if len(codes) != len(set(codes)):
        raise InvalidInputError("meal period codes must be unique", field="meal_periods")
    check_organisation(session, data.organisation_id)
    site = Site.model_validate(data.model_dump(exclude={"meal_periods"}))
    session.add(site)
    session.flush()
    assert site.id is not None
    for period in data.meal_periods:
        session.add(MealPeriod.model_validate(period, update={"site_id": site.id}))
    commit_or_conflict(session, message=f"site code {data.code!r} already exists")
    session.refresh(site)
    return site


def list_sites(
    *, session: Session, q: str | None, limit: int, offset: int
) -> tuple[Sequence[Site], int]:
    """A page of sites, optionally matching text in code or either name."""
    stmt = select(Site)
    if q:
        stmt = stmt.where(ilike_any([Site.code, Site.name_zh, Site.name_en], q))
    return fetch_page(session, stmt, order_by=Site.code, limit=limit, offset=offset)


def get_site(*, session: Session, site_id: int) -> Site:
    """One site, else 404."""
    return get_or_404(session, Site, site_id, what="site")


def update_site(*, session: Session, site_id: int, data: SiteUpdate) -> Site:
    """Change a site's names, zone, organisation or active flag."""
    site = get_site(session=session, site_id=site_id)
    changes = data.model_dump(exclude_unset=True)
    if "organisation_id" in changes:
        check_organisation(session, changes["organisation_id"])
    for key, value in changes.items():
        if value is None and key != "organisation_id":
            raise InvalidInputError(f"{key} cannot be null", field=key)
        setattr(site, key, value)
    session.add(site)
    commit_or_conflict(session, message="site update conflicts with existing data")
    session.refresh(site)
    return site


def delete_site(*, session: Session, site_id: int) -> None:
    """Delete a site that nothing refers to (menus, devices, orders keep it alive: 409)."""
    site = get_site(session=session, site_id=site_id)
    if exists(session, select(Menu).where(Menu.site_id == site_id)):
        raise ConflictError(f"site {site_id} still has menus; delete them or deactivate the site")
    session.delete(site)
    commit_or_conflict(
        session, message=f"site {site_id} is still referenced (devices or orders); deactivate it"
    )


def add_meal_period(*, session: Session, site_id: int, data: MealPeriodCreate) -> MealPeriod:
    """Add a meal period to a site; 409 if the site already has that code."""
    get_site(session=session, site_id=site_id)
    taken = select(MealPeriod).where(MealPeriod.site_id == site_id, MealPeriod.code == data.code)
    if exists(session, taken):
        raise ConflictError(f"site {site_id} already has meal period {data.code!r}")
    period = MealPeriod.model_validate(data, update={"site_id": site_id})
    session.add(period)
    commit_or_conflict(session, message=f"site {site_id} already has meal period {data.code!r}")
    session.refresh(period)
    return period


def _period_of_site(session: Session, site_id: int, period_id: int) -> MealPeriod:
    period = session.get(MealPeriod, period_id)
    if period is None or period.site_id != site_id:
        raise NotFoundError(f"meal period {period_id} of site {site_id} not found")
    return period


def update_meal_period(
    *, session: Session, site_id: int, period_id: int, data: MealPeriodUpdate
) -> MealPeriod:
    """Rename or move the hours of a meal period."""
    period = _period_of_site(session, site_id, period_id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            raise InvalidInputError(f"{key} cannot be null", field=key)
        setattr(period, key, value)
    if period.start == period.end:
        raise InvalidInputError("meal period start and end must differ", field="end")
    session.add(period)
    commit_or_conflict(session, message="meal period update conflicts with existing data")
    session.refresh(period)
    return period


def delete_meal_period(*, session: Session, site_id: int, period_id: int) -> None:
    """Delete a meal period no menu uses (409 otherwise)."""
    period = _period_of_site(session, site_id, period_id)
    if exists(session, select(Menu).where(Menu.meal_period_id == period_id)):
        raise ConflictError(f"meal period {period_id} still has a menu; delete the menu first")
    session.delete(period)
    commit_or_conflict(session, message=f"meal period {period_id} is still referenced")
