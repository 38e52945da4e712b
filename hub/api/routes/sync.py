"""/sync: dead letters, ingest totals, and publishing downlinks (catalog, members, config)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from hub.api.deps import EDITORS, CipherDep, SessionDep, SettingsDep, get_engine, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath
from hub.crypto import FieldCipherError
from hub.downlinks.catalog import UnknownSite, publish_catalog
from hub.downlinks.config import publish_device_config
from hub.downlinks.members import publish_member_delta
from hub.downlinks.mqtt import BrokerTarget, OneShotPublisher, PublishFailed
from hub.downlinks.status import DownlinkStatusOut, ProblemOut, site_statuses
from hub.errors import ConflictError, NotFoundError, ServiceError
from hub.ingest import reports
from hub.models import Site
from hub.models.downlinks import DeviceConfigIn
from hub.models.ingest import DeadLetterPublic

router = APIRouter(prefix="/sync", tags=["sync"], dependencies=[require_role(*EDITORS)])

DATE = r"^\d{4}-\d{2}-\d{2}$"


class BrokerUnavailable(ServiceError):
    """The broker did not take the downlink."""

    status_code = 503


class CatalogPublished(BaseModel):
    """What was published, and the rows left out of it because the wire refuses them."""

    site: str
    version: int
    topic: str
    size_bytes: int
    problems: list[ProblemOut] = []


class MembersPublished(BaseModel):
    """The member.delta published (version null: devices were already up to date)."""

    site: str
    to_version: int | None
    topic: str | None
    size_bytes: int


class ConfigPublishedOut(BaseModel):
    """The device.config pushed (retained) to one device."""

    device: str
    version: int
    topic: str
    config: dict[str, object]


def broker_target(settings: SettingsDep) -> BrokerTarget:
    """Where downlinks go, logged in as the hub's service user (CANTEEN_MQTT_*)."""
    return BrokerTarget.from_settings(settings)


TargetDep = Annotated[BrokerTarget, Depends(broker_target)]
EngineDep = Annotated[Engine, Depends(get_engine)]


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
    site_id: IdPath,
    session: SessionDep,
    engine: EngineDep,
    target: TargetDep,
) -> CatalogPublished:
    """Build the site's catalog snapshot (new version if it changed) and publish it retained.

    Rows the wire refuses are left out and listed in ``problems``; a catalog that cannot
    be built even so answers 422 with the reason (also in ``GET /sync/downlinks``).
    """
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id} not found")
    code = site.code
    session.close()  # the build commits on its own connection; do not hold this one open
    try:
        with OneShotPublisher(target) as pub:
            done = publish_catalog(engine, code, pub)
    except UnknownSite as err:
        raise NotFoundError(str(err)) from err
    except PublishFailed as err:
        raise BrokerUnavailable(str(err)) from err
    assert done is not None  # always sent when no version is given to skip
    return CatalogPublished(site=done.site, version=done.version, topic=done.topic,
                            size_bytes=done.size,
                            problems=[ProblemOut(**vars(p)) for p in done.problems])


@router.get("/downlinks", response_model=list[DownlinkStatusOut])
def downlink_status(
    engine: EngineDep, problems_only: bool = False
) -> list[DownlinkStatusOut]:
    """Each site's catalog and member-cache downlinks: sent or not (and why), rows left out."""
    with engine.connect() as conn:
        return site_statuses(conn, only_problems=problems_only)


@router.post("/sites/{site_id}/publish-members", response_model=MembersPublished)
def publish_site_members(
    site_id: IdPath,
    session: SessionDep,
    engine: EngineDep,
    cipher: CipherDep,
    target: TargetDep,
    full: bool = False,
) -> MembersPublished:
    """Publish the site's member-cache delta now (``full=true``: a full snapshot)."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id} not found")
    code = site.code
    session.close()  # the build commits on its own session; do not hold this one open
    try:
        with OneShotPublisher(target) as pub:
            done = publish_member_delta(engine, cipher=cipher, site_code=code,
                                        publisher=pub, full=full)
    except UnknownSite as err:
        raise NotFoundError(str(err)) from err
    except PublishFailed as err:
        raise BrokerUnavailable(str(err)) from err
    except FieldCipherError as err:
        # The site's stored identity key no longer opens with this hub's secret: a state an
        # operator must repair (restore the secret or rotate the key), not a server fault.
        raise ConflictError(f"site {code}: member cache not built: {err}") from err
    if done is None:
        return MembersPublished(site=code, to_version=None, topic=None, size_bytes=0)
    return MembersPublished(site=code, to_version=done.version, topic=done.topic,
                            size_bytes=done.size)


@router.post("/devices/{device_id}/publish-config", response_model=ConfigPublishedOut)
def publish_config(
    device_id: IdPath,
    engine: EngineDep,
    target: TargetDep,
    changes: DeviceConfigIn | None = None,
) -> ConfigPublishedOut:
    """Change a device's settings (if given) and push its device.config, retained."""
    try:
        with OneShotPublisher(target) as pub:
            done = publish_device_config(engine, device_id=device_id, changes=changes,
                                         publisher=pub)
    except PublishFailed as err:
        raise BrokerUnavailable(str(err)) from err
    return ConfigPublishedOut(device=done.device, version=done.version, topic=done.topic,
                              config=done.config.model_dump(mode="json"))
