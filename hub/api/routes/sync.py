"""/sync: dead letters, order totals from ingest, and publishing a site's catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from hub.api.deps import EDITORS, SessionDep, get_engine, require_role
from hub.api.pagination import Page, PageDep
from hub.downlinks.catalog import UnknownSite, publish_catalog
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed
from hub.errors import NotFoundError, ServiceError
from hub.ingest import reports
from hub.models import Site
from hub.models.ingest import DeadLetterPublic

router = APIRouter(prefix="/sync", tags=["sync"], dependencies=[require_role(*EDITORS)])

DATE = r"^\d{4}-\d{2}-\d{2}$"


class BrokerUnavailable(ServiceError):
    """The broker did not take the downlink."""

    status_code = 503


class CatalogPublished(BaseModel):
    """What was published."""

    site: str
    version: int
    topic: str
    size_bytes: int


def broker_target() -> BrokerTarget:
    """Where downlinks go (env CANTEEN_MQTT_HOST/PORT until Settings has MQTT fields)."""
    return BrokerTarget.from_env()


@router.get("/dead-letters", response_model=Page[DeadLetterPublic])
def list_dead_letters(
    session: SessionDep,
    page: PageDep,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    device: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[DeadLetterPublic]:
    """Messages that could never be ingested, newest first, with their reason code."""
    items, total = reports.dead_letters(
        session, reason=reason, device=device, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/totals", response_model=list[reports.TotalsRow])
def get_totals(
    session: SessionDep,
    group_by: reports.GroupBy = reports.GroupBy.DEVICE,
    site: Annotated[str | None, Query(max_length=64)] = None,
    day_from: Annotated[str | None, Query(pattern=DATE)] = None,
    day_to: Annotated[str | None, Query(pattern=DATE)] = None,
) -> list[reports.TotalsRow]:
    """Ingested order counts and money totals per device, site or site-local day."""
    return reports.totals(session, group_by=group_by, site=site, day_from=day_from,
                          day_to=day_to)


@router.post("/sites/{site_id}/publish-catalog", response_model=CatalogPublished)
def publish_site_catalog(
    site_id: int,
    session: SessionDep,
    engine: Annotated[Engine, Depends(get_engine)],
    target: Annotated[BrokerTarget, Depends(broker_target)],
) -> CatalogPublished:
    """Build the site's catalog snapshot (new version if it changed) and publish it retained."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id} not found")
    try:
        with OneShotPublisher(target) as pub:
            done = publish_catalog(engine, site.code, pub)
    except UnknownSite as err:
        raise NotFoundError(str(err)) from err
    except PublishFailed as err:
        raise BrokerUnavailable(str(err)) from err
    return CatalogPublished(site=done.site, version=done.version, topic=done.topic,
                            size_bytes=done.size)
