"""/fleet: device health and alerts, remote commands, device settings, staged rollouts (admin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from hub.api.deps import CurrentUser, SessionDep, SettingsDep, get_engine, require_role
from hub.api.params import IdPath
from hub.db_types import utcnow
from hub.downlinks.config import publish_device_config
from hub.downlinks.mqtt import BrokerTarget, PublishFailed
from hub.errors import NotFoundError, ServiceError
from hub.fleet import alerts, commands, health, metrics, rollouts
from hub.fleet.monitor import ExpiringPublisher
from hub.fleet.overview import DeviceRow, device_rows
from hub.models.bounds import MAX_ID
from hub.models.devices import Device
from hub.models.downlinks import DeviceConfigRow
from hub.models.fleet_health import DeviceState, FleetCommand, Rollout
from hub.models.users import Role
from protocol.payloads.command import COMMAND_NAMES, CommandName
from protocol.payloads.config import OPTION_FIELDS

router = APIRouter(prefix="/fleet", tags=["fleet"], dependencies=[require_role(Role.ADMIN)])
EngineDep = Annotated[Engine, Depends(get_engine)]
StateFilter = Literal["online", "offline", "unknown", "alert"]


class BrokerUnavailable(ServiceError):
    """The broker did not take the message."""

    status_code = 503


def _target(settings: SettingsDep) -> BrokerTarget:
    return BrokerTarget.from_settings(settings)


TargetDep = Annotated[BrokerTarget, Depends(_target)]


class BucketOut(BaseModel):
    """One 5-minute (or hourly) heartbeat summary of a device."""

    bucket_start: datetime
    beats: int
    queue_min: int
    queue_max: int
    queue_last: int
    oldest_age_max: int | None
    disk_free_min: int | None
    cpu_temp_max: float | None
    skew_max_s: int | None


class AlertOut(BaseModel):
    """An open alert."""

    id: int
    device_id: int
    kind: str
    detail: str
    opened_at: datetime


class DeviceHealthOut(BaseModel):
    """A device's presence, latest heartbeat figures, open alerts and heartbeat history."""

    device: DeviceRow
    alerts: list[AlertOut]
    buckets: list[BucketOut]


class CommandIn(BaseModel):
    """A command for one device; it expires after ``ttl_s`` seconds if not answered."""

    name: CommandName
    ttl_s: int = Field(default=commands.DEFAULT_TTL_S, ge=commands.MIN_TTL_S,
                       le=commands.MAX_TTL_S)


class CommandOut(BaseModel):
    """A command and what became of it."""

    id: int
    command_id: str
    device_id: int
    name: str
    status: str
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    detail: str | None
    output: str | None


class ConfigIn(BaseModel):
    """New settings for one device; validated with the device's own schema (DeviceConfig)."""

    changes: dict[str, Any] = Field(min_length=1, max_length=16)


class ConfigOut(BaseModel):
    """The settings the device was sent, and the version it reports having."""

    device_id: int
    version: int
    settings: dict[str, Any]
    reported_version: int | None


class RolloutIn(BaseModel):
    """A staged rollout: first one site or a percentage of devices, then everyone."""

    kind: str = Field(min_length=1, max_length=32)
    name: str = Field(default="", max_length=120)
    spec: dict[str, Any] = Field(default_factory=dict)
    first_site_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    first_percent: int | None = Field(default=None, ge=1, le=100)
    site_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list,
                                                                    max_length=1000)
    step_timeout_s: int = Field(default=600, ge=5, le=86_400)
    max_failure_pct: int = Field(default=20, ge=0, le=100)


class TargetOut(BaseModel):
    """One device of a rollout."""

    device_id: int
    device: str
    stage: int
    status: str
    target_version: str | None
    detail: str | None


class RolloutOut(BaseModel):
    """A rollout, its counts per stage and status, and its devices."""

    id: int
    kind: str
    name: str
    status: str
    stage: int
    reason: str | None
    first_site_id: int | None
    first_percent: int | None
    step_timeout_s: int
    max_failure_pct: int
    created_at: datetime
    counts: dict[str, dict[str, int]]
    targets: list[TargetOut]


def _command_out(c: FleetCommand) -> CommandOut:
    assert c.id is not None
    return CommandOut(id=c.id, command_id=c.command_id, device_id=c.device_id, name=c.name,
                      status=c.status, created_at=c.created_at, expires_at=c.expires_at,
                      sent_at=c.sent_at, finished_at=c.finished_at, detail=c.detail,
                      output=c.output)


def _rollout_out(session: SessionDep, rollout_id: int) -> RolloutOut:
    p = rollouts.progress(session, rollout_id)
    r: Rollout = p["rollout"]
    assert r.id is not None
    return RolloutOut(
        id=r.id, kind=r.kind, name=r.name, status=r.status, stage=r.stage, reason=r.reason,
        first_site_id=r.first_site_id, first_percent=r.first_percent,
        step_timeout_s=r.step_timeout_s, max_failure_pct=r.max_failure_pct,
        created_at=r.created_at, counts=p["counts"],
        targets=[TargetOut(device_id=t.device_id, device=code, stage=t.stage, status=t.status,
                           target_version=t.target_version, detail=t.detail)
                 for code, t in p["targets"]])


# ---- health ---------------------------------------------------------------------------

@router.get("/health", response_model=list[DeviceRow])
def fleet_health(
    session: SessionDep,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    state: StateFilter | None = None,
) -> list[DeviceRow]:
    """Every active device with its presence, versions, backlog, hardware and open alerts."""
    return device_rows(session, site_id=site_id, state=state)


@router.get("/devices/{device_id}/health", response_model=DeviceHealthOut)
def device_health(
    session: SessionDep, device_id: IdPath,
    hours: Annotated[int, Query(ge=1, le=336)] = 6,
    resolution: Literal["5m", "1h"] = "5m",
) -> DeviceHealthOut:
    """One device: latest figures, open alerts and its heartbeat summary over ``hours``."""
    rows = device_rows(session, device_id=device_id)
    if not rows:
        raise NotFoundError(f"device {device_id} not found")
    conn = session.connection()
    found = health.buckets(conn, device_id=device_id, since=utcnow() - timedelta(hours=hours))
    if resolution == "1h":
        found = health.hourly(found)
    return DeviceHealthOut(
        device=rows[0],
        alerts=[AlertOut(**a) for a in alerts.open_alerts(conn, device_id=device_id)],
        buckets=[BucketOut(**{k: b[k] for k in BucketOut.model_fields}) for b in found])


@router.get("/alerts", response_model=list[AlertOut])
def open_alerts(session: SessionDep) -> list[AlertOut]:
    """Every open alert, newest first."""
    return [AlertOut(**a) for a in alerts.open_alerts(session.connection())]


# ---- commands -------------------------------------------------------------------------

@router.post("/devices/{device_id}/commands", response_model=CommandOut,
             status_code=status.HTTP_201_CREATED)
def send_command(
    session: SessionDep, engine: EngineDep, target: TargetDep, device_id: IdPath,
    body: CommandIn, user: CurrentUser,
) -> CommandOut:
    """Send a command now; if the broker is away it stays queued for the fleet monitor."""
    cmd = commands.create_command(session, device_id=device_id, name=body.name,
                                  ttl_s=body.ttl_s, requested_by=user.username)
    assert cmd.id is not None
    session.close()
    try:
        with ExpiringPublisher(target) as pub:
            cmd = commands.send_command(engine, command_pk=cmd.id, publisher=pub)
    except PublishFailed:
        pass  # queued: the monitor sends it while it has not expired
    return _command_out(cmd)


@router.get("/devices/{device_id}/commands", response_model=list[CommandOut])
def list_commands(
    session: SessionDep, device_id: IdPath,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[CommandOut]:
    """A device's newest commands first, with their results."""
    if session.get(Device, device_id) is None:
        raise NotFoundError(f"device {device_id} not found")
    return [_command_out(c) for c in commands.list_commands(session, device_id=device_id,
                                                            limit=limit)]


@router.get("/commands", response_model=list[str])
def command_names() -> list[str]:
    """The commands a device knows."""
    return list(COMMAND_NAMES)


# ---- device settings ------------------------------------------------------------------

def _config_out(session: SessionDep, device_id: int) -> ConfigOut:
    row = session.get(DeviceConfigRow, device_id) or DeviceConfigRow(device_id=device_id)
    state = session.get(DeviceState, device_id)
    settings = {k: getattr(row, k) for k in rollouts.ROW_FIELDS}
    settings.update({k: (row.options or {}).get(k) for k in OPTION_FIELDS})
    return ConfigOut(device_id=device_id, version=row.version, settings=settings,
                     reported_version=None if state is None else state.config_version)


@router.get("/devices/{device_id}/config", response_model=ConfigOut)
def get_config(session: SessionDep, device_id: IdPath) -> ConfigOut:
    """The device's settings as the hub last sent them."""
    if session.get(Device, device_id) is None:
        raise NotFoundError(f"device {device_id} not found")
    return _config_out(session, device_id)


@router.put("/devices/{device_id}/config", response_model=ConfigOut)
def put_config(
    session: SessionDep, engine: EngineDep, target: TargetDep, device_id: IdPath, body: ConfigIn,
) -> ConfigOut:
    """Change one device's settings now (a fleet-wide change is a rollout); refused settings
    are named with the reason and nothing is saved."""
    if session.get(Device, device_id) is None:
        raise NotFoundError(f"device {device_id} not found")
    spec = rollouts.KINDS["config"].validate({"changes": body.changes})
    row = session.get(DeviceConfigRow, device_id) or DeviceConfigRow(device_id=device_id)
    options = dict(row.options or {})
    for key, value in spec["changes"].items():
        if key in rollouts.ROW_FIELDS:
            setattr(row, key, value)
        else:
            options[key] = value
    row.options = options
    session.add(row)
    session.commit()
    try:
        with ExpiringPublisher(target) as pub:
            publish_device_config(engine, device_id=device_id, changes=None, publisher=pub)
    except PublishFailed as err:
        raise BrokerUnavailable(f"saved, not sent: {err}") from err
    session.expire_all()
    return _config_out(session, device_id)


# ---- rollouts -------------------------------------------------------------------------

@router.post("/rollouts", response_model=RolloutOut, status_code=status.HTTP_201_CREATED)
def create_rollout(session: SessionDep, body: RolloutIn, user: CurrentUser) -> RolloutOut:
    """Create a rollout; the fleet monitor sends its first stage at its next round."""
    r = rollouts.create_rollout(
        session, kind=body.kind, spec=body.spec, name=body.name,
        first_site_id=body.first_site_id, first_percent=body.first_percent,
        site_ids=body.site_ids or None, step_timeout_s=body.step_timeout_s,
        max_failure_pct=body.max_failure_pct, created_by=user.username)
    assert r.id is not None
    return _rollout_out(session, r.id)


@router.get("/rollouts", response_model=list[RolloutOut])
def list_rollouts(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[RolloutOut]:
    """Newest rollouts first."""
    ids = session.exec(select(Rollout.id).order_by(col(Rollout.id).desc()).limit(limit)).all()
    return [_rollout_out(session, i) for i in ids if i is not None]


@router.get("/rollouts/{rollout_id}", response_model=RolloutOut)
def get_rollout(session: SessionDep, rollout_id: IdPath) -> RolloutOut:
    """One rollout with every device's stage and outcome."""
    return _rollout_out(session, rollout_id)


@router.post("/rollouts/{rollout_id}/pause", response_model=RolloutOut)
def pause_rollout(session: SessionDep, rollout_id: IdPath) -> RolloutOut:
    """Stop sending to more devices."""
    rollouts.pause(session, rollout_id=rollout_id)
    return _rollout_out(session, rollout_id)


@router.post("/rollouts/{rollout_id}/resume", response_model=RolloutOut)
def resume_rollout(session: SessionDep, rollout_id: IdPath) -> RolloutOut:
    """Run again; the failed devices of the current stage are tried once more."""
    rollouts.resume(session, rollout_id=rollout_id)
    return _rollout_out(session, rollout_id)


@router.post("/rollouts/{rollout_id}/rollback", response_model=RolloutOut)
def rollback_rollout(
    session: SessionDep, engine: EngineDep, target: TargetDep, rollout_id: IdPath
) -> RolloutOut:
    """Undo on every device the rollout reached, and stop it."""
    if session.get(Rollout, rollout_id) is None:
        raise NotFoundError(f"rollout {rollout_id} not found")
    session.close()
    try:
        with ExpiringPublisher(target) as pub:
            rollouts.rollback(engine, pub, rollout_id=rollout_id)
    except PublishFailed as err:
        raise BrokerUnavailable(str(err)) from err
    return _rollout_out(session, rollout_id)


# ---- Prometheus -----------------------------------------------------------------------

metrics_router = APIRouter(tags=["fleet"], dependencies=[require_role(Role.ADMIN)])


@metrics_router.get("/metrics", response_class=PlainTextResponse,
                    responses={200: {"content": {"text/plain": {}}}})
def prometheus_metrics(engine: EngineDep) -> PlainTextResponse:
    """Prometheus text format: ingest rate and lag, dead letters, devices online, alerts.

    Behind the admin role like the rest of /fleet: Prometheus sends the bearer token
    (``authorization`` in its scrape config).
    """
    return PlainTextResponse(metrics.render(engine), media_type=metrics.CONTENT_TYPE)
