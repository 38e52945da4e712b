"""The fleet as staff see it: one row per device with presence, versions, backlog, hardware."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session

from hub.fleet.health import as_utc
from hub.models.devices import Device
from hub.models.fleet_health import DeviceState, FleetAlert
from hub.models.sites import Site

T_DEVICE = Device.__table__  # type: ignore[attr-defined]
T_SITE = Site.__table__  # type: ignore[attr-defined]
T_STATE = DeviceState.__table__  # type: ignore[attr-defined]
T_ALERT = FleetAlert.__table__  # type: ignore[attr-defined]


class DeviceRow(BaseModel):
    """One device of the fleet overview."""

    id: int
    code: str
    name: str
    kind: str
    site_id: int
    site_code: str
    presence: str  # online / offline / unknown (no status seen yet)
    presence_since: datetime | None
    heartbeat_at: datetime | None
    app_version: str | None
    catalog_version: int | None
    config_version: int | None
    model_version: str | None
    queue_depth: int | None
    oldest_unsent_age_s: int | None
    dead_letters: int | None
    printer: str | None
    scale_present: bool | None
    card_reader_present: bool | None
    disk_free_mb: int | None
    disk_total_mb: int | None
    cpu_temp_c: float | None
    clock_skew_s: int | None
    in_use: bool | None
    pending_update: str | None
    alerts: list[str]
    active: bool = True


def device_rows(
    session: Session, *, site_id: int | None = None, state: str | None = None,
    device_id: int | None = None,
) -> list[DeviceRow]:
    """Active devices (or one device) by site and code; ``state`` filters by presence or
    ``alert`` (any open alert)."""
    conn = session.connection()
    stmt = (sa.select(T_DEVICE.c.id, T_DEVICE.c.code, T_DEVICE.c.name, T_DEVICE.c.kind,
                      T_DEVICE.c.site_id, T_DEVICE.c.active,
                      T_SITE.c.code.label("site_code"), T_STATE)
            .join(T_SITE, T_SITE.c.id == T_DEVICE.c.site_id)
            .outerjoin(T_STATE, T_STATE.c.device_id == T_DEVICE.c.id)
            .order_by(T_SITE.c.code, T_DEVICE.c.code))
    if device_id is not None:
        stmt = stmt.where(T_DEVICE.c.id == device_id)
    else:
        stmt = stmt.where(T_DEVICE.c.active)
    if site_id is not None:
        stmt = stmt.where(T_DEVICE.c.site_id == site_id)
    open_alerts: dict[int, list[str]] = {}
    for dev, kind in conn.execute(sa.select(T_ALERT.c.device_id, T_ALERT.c.kind)
                                  .where(T_ALERT.c.closed_at.is_(None))
                                  .order_by(T_ALERT.c.kind)):
        open_alerts.setdefault(dev, []).append(kind)
    out = []
    for r in conn.execute(stmt).mappings():
        row = DeviceRow(
            id=r["id"], code=r["code"], name=r["name"], kind=str(r["kind"]),
            site_id=r["site_id"], site_code=r["site_code"], presence=r["presence"] or "unknown",
            presence_since=as_utc(r["presence_since"]), heartbeat_at=as_utc(r["heartbeat_at"]),
            app_version=r["app_version"], catalog_version=r["catalog_version"],
            config_version=r["config_version"], model_version=r["model_version"],
            queue_depth=r["queue_depth"], oldest_unsent_age_s=r["oldest_unsent_age_s"],
            dead_letters=r["dead_letters"], printer=r["printer"],
            scale_present=r["scale_present"], card_reader_present=r["card_reader_present"],
            disk_free_mb=r["disk_free_mb"], disk_total_mb=r["disk_total_mb"],
            cpu_temp_c=r["cpu_temp_c"], clock_skew_s=r["clock_skew_s"], in_use=r["in_use"],
            pending_update=r["pending_update"], alerts=open_alerts.get(r["id"], []),
            active=bool(r["active"]),
        )
        if state == "alert" and not row.alerts:
            continue
        if state in ("online", "offline", "unknown") and row.presence != state:
            continue
        out.append(row)
    return out
