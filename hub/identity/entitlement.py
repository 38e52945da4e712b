"""Who may eat at a site: the one rule behind each site's member cache.

A catering operator runs canteens for several employers (a tech park, a school) and,
sometimes, a canteen of its own open to walk-in members. So:

- a site of an organisation serves the members of that organisation, and nobody else;
- a site without an organisation serves the members without an organisation (the
  operator's own members), and no employer's diners;
- a member is never in two organisations' caches.

A member moved to another organisation leaves the old sites' caches (a removal in the
next member delta) and enters the new ones'. Everyone else is served at a kiosk as a
guest, or looked up online where the kiosk has the network.
"""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from hub.models.members import Member
from hub.models.sites import Site


def entitled_members(site_organisation_id: int | None) -> ColumnElement[bool]:
    """The condition on ``member`` rows of the members a site of this organisation serves."""
    column = col(Member.organisation_id)
    if site_organisation_id is None:
        return column.is_(None)
    return column == site_organisation_id


def site_organisation(session: Session, site_id: int) -> int | None:
    """The organisation of a site (None when it has none); LookupError if there is no site."""
    site = session.get(Site, site_id)
    if site is None:
        raise LookupError(f"site {site_id} not found")
    return site.organisation_id


def member_site_ids(session: Session, organisation_id: int | None) -> list[int]:
    """The sites a member of this organisation may eat at (the same rule, seen from them)."""
    column = col(Site.organisation_id)
    where = column.is_(None) if organisation_id is None else column == organisation_id
    return list(session.exec(select(Site.id).where(where)).all())  # type: ignore[arg-type]
