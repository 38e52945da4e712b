"""What staff see of each site's downlinks: rows left out of a catalog, a downlink not sent.

A bad row of one site (a meal period code the wire refuses, a dish over a wire limit) is
left out of that site's catalog with a warning and recorded here; a catalog that cannot be
built at all is not sent and its reason is recorded here. Neither stops another site's
downlinks nor the member cache (docs/architecture.md, "One bad input never stalls").
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection, Engine

from hub.db_types import utcnow
from hub.errors import ServiceError
from hub.models import Site
from hub.models.downlinks import DownlinkStatus

log = logging.getLogger(__name__)

CATALOG = "catalog"
MEMBERS = "members"
_status = DownlinkStatus.__table__  # type: ignore[attr-defined]
_site = Site.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Problem:
    """One row left out of a downlink: what it is, its code, and why."""

    what: str
    code: str
    reason: str


class Problems(list[Problem]):
    """The rows left out of one build; each is logged as a warning when noted."""

    def __init__(self, site: str) -> None:
        super().__init__()
        self.site = site

    def note(self, what: str, code: object, reason: str) -> None:
        """Leave a row out: log it and keep it for staff."""
        log.warning("site %s: %s %r left out of the downlink: %s", self.site, what, code, reason)
        self.append(Problem(what, str(code), reason))


class CatalogRefused(ServiceError):
    """The site's catalog cannot be built even without its bad rows (the reason says why).

    The site's data, not the request, is at fault: 422 with the reason as ``detail``.
    """

    status_code = 422


def first_error(err: ValidationError) -> str:
    """The first refusal of a validation error, with where it was, in one line."""
    e = err.errors()[0]
    where = ".".join(str(p) for p in e["loc"])
    return f"{where}: {e['msg']}" if where else str(e["msg"])


def record(
    conn: Connection, *, site_id: int, kind: str, problems: list[Problem],
    error: str | None = None,
) -> None:
    """Store the outcome of one build of a site's downlink (written only when it changed)."""
    rows = [asdict(p) for p in problems]
    old = conn.execute(
        sa.select(_status.c.error, _status.c.problems)
        .where(_status.c.site_id == site_id, _status.c.kind == kind)
    ).first()
    if old is not None and old.error == error and list(old.problems) == rows:
        return
    values = {"error": error, "problems": rows, "since": utcnow()}
    if old is None:
        conn.execute(sa.insert(_status).values(site_id=site_id, kind=kind, **values))
    else:
        conn.execute(sa.update(_status)
                     .where(_status.c.site_id == site_id, _status.c.kind == kind)
                     .values(**values))


def record_failure(engine: Engine, *, site_code: str, kind: str, error: str) -> None:
    """A site's downlink could not be built or sent: say why (kept until it goes out)."""
    _record_by_code(engine, site_code=site_code, kind=kind, error=error[:1000])


def record_sent(engine: Engine, *, site_code: str, kind: str) -> None:
    """A site's downlink (with no rows to leave out) went out, or had nothing new to send."""
    _record_by_code(engine, site_code=site_code, kind=kind, error=None)


def _record_by_code(engine: Engine, *, site_code: str, kind: str, error: str | None) -> None:
    try:
        with engine.begin() as conn:
            site_id = conn.execute(sa.select(_site.c.id).where(_site.c.code == site_code)).scalar()
            if site_id is not None:
                record(conn, site_id=site_id, kind=kind, problems=[], error=error)
    except sa.exc.SQLAlchemyError as err:  # the database itself is away: the log has it
        log.warning("could not record the %s status of site %s: %s", kind, site_code, err)


class ProblemOut(BaseModel):
    """A row left out of a site's downlink."""

    what: str
    code: str
    reason: str


class DownlinkStatusOut(BaseModel):
    """One site's downlink of one kind: sent (with rows left out) or not sent, and why."""

    site: str
    site_id: int
    kind: str
    sent: bool
    error: str | None
    problems: list[ProblemOut]
    since: datetime | None


def site_statuses(conn: Connection, *, only_problems: bool = False) -> list[DownlinkStatusOut]:
    """Every recorded downlink status, by site code then kind."""
    stmt = (sa.select(_site.c.code, _status)
            .join_from(_status, _site, _site.c.id == _status.c.site_id)
            .order_by(_site.c.code, _status.c.kind))
    out = []
    for row in conn.execute(stmt):
        problems: list[dict[str, Any]] = list(row.problems or [])
        if only_problems and row.error is None and not problems:
            continue
        out.append(DownlinkStatusOut(
            site=row.code, site_id=row.site_id, kind=row.kind, sent=row.error is None,
            error=row.error, problems=[ProblemOut(**p) for p in problems], since=row.since))
    return out
