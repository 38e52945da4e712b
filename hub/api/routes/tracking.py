"""/tracking: an order's kitchen timeline, station preparation times, a site's open orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from hub.api.deps import STAFF, SessionDep, require_role
from hub.tracking import queries
from protocol.topics import ID_PATTERN

router = APIRouter(prefix="/tracking", tags=["tracking"], dependencies=[require_role(*STAFF)])

Code = Annotated[str, Path(pattern=ID_PATTERN)]  # a site id as the wire carries it


@router.get("/orders/{order_id}/timeline", response_model=queries.Timeline)
def order_timeline(
    session: SessionDep, order_id: Annotated[str, Path(max_length=36)]
) -> queries.Timeline:
    """Every state the order went through, with when and where (404 if unknown)."""
    found = queries.timeline(session, order_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no tracking for {order_id}")
    return found


@router.get("/sites/{site}/stations", response_model=list[queries.StationTimes])
def station_times(
    session: SessionDep, site: Code,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> list[queries.StationTimes]:
    """Preparation and waiting times per station over the last ``hours``."""
    since = datetime.now(UTC) - timedelta(hours=hours)
    return queries.station_times(session, site, since)


@router.get("/sites/{site}/open", response_model=list[queries.OpenOrder])
def open_orders(session: SessionDep, site: Code) -> list[queries.OpenOrder]:
    """The site's orders not yet collected or cancelled (live view)."""
    return queries.open_orders(session, site)
