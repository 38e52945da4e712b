"""Remote commands: request over MQTT with a command id and an expiry, result back via ingest.

The hub stores a command (``queued``), publishes it to the device's ``command`` downlink at
QoS 1 with an MQTT message expiry equal to its time to live (``sent``): a broker holding it
for an offline device drops it when it expires instead of delivering it hours later, and
the device itself refuses one whose ``expires_at`` has passed. The device answers with a
``device.command_result`` through its outbox; ingest calls ``record_results`` in the same
transaction as the message log, so a re-sent result changes nothing. A command with no
answer by its expiry is marked ``expired`` (``expire_overdue``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.errors import InvalidInputError
from hub.fleet.errors import UnknownDevice
from hub.models.devices import Device
from hub.models.fleet_health import FleetCommand
from hub.models.sites import Site
from protocol import encode, make_envelope
from protocol.ids import new_message_id
from protocol.payloads.command import COMMAND_NAMES, MAX_LOG_BYTES, CommandResult

log = logging.getLogger(__name__)

HUB_ID = "hub"
DEFAULT_TTL_S = 300
MIN_TTL_S, MAX_TTL_S = 10, 3600
OPEN = ("queued", "sent")
FINAL = ("ok", "failed", "refused", "expired")
T_COMMAND = FleetCommand.__table__  # type: ignore[attr-defined]


class CommandPublisher(Protocol):
    """What sending a command needs: a QoS 1 publish that may carry a message expiry."""

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                expiry_s: int | None = None) -> Any:
        """Publish and return once the broker confirmed it."""


def create_command(
    session: Session, *, device_id: int, name: str, args: dict[str, str] | None = None,
    ttl_s: int = DEFAULT_TTL_S, requested_by: str = "", now: datetime | None = None,
) -> FleetCommand:
    """Store a queued command for an active device; commits. Refuses bad input (422/404)."""
    if name not in COMMAND_NAMES:
        raise InvalidInputError(f"name: unknown command {name!r} (known: "
                                f"{', '.join(COMMAND_NAMES)})")
    if not MIN_TTL_S <= ttl_s <= MAX_TTL_S:
        raise InvalidInputError(f"ttl_s: must be between {MIN_TTL_S} and {MAX_TTL_S} seconds")
    device = session.get(Device, device_id)
    if device is None:
        raise UnknownDevice(f"device {device_id} not found")
    if not device.active:
        raise InvalidInputError(f"device {device.code!r} is disabled")
    now = now or utcnow()
    cmd = FleetCommand(command_id=new_message_id(), device_id=device_id, name=name,
                       args=dict(args or {}), requested_by=requested_by[:120], created_at=now,
                       expires_at=now + timedelta(seconds=ttl_s))
    session.add(cmd)
    session.commit()
    session.refresh(cmd)
    return cmd


def send_command(engine: Engine, *, command_pk: int, publisher: CommandPublisher,
                 now: datetime | None = None) -> FleetCommand:
    """Publish a queued command (or mark it expired if its time is up); returns the row."""
    now = now or utcnow()
    with Session(engine) as session:
        cmd = session.get(FleetCommand, command_pk)
        if cmd is None:
            raise UnknownDevice(f"command {command_pk} not found")
        if cmd.status != "queued":
            return cmd
        if cmd.expires_at <= now:
            cmd.status, cmd.detail, cmd.finished_at = "expired", "expired before it was sent", now
            session.add(cmd)
            session.commit()
            session.refresh(cmd)
            return cmd
        device = session.get(Device, cmd.device_id)
        assert device is not None
        site = session.get(Site, device.site_id)
        assert site is not None
        env = make_envelope("device.command", {
            "command_id": cmd.command_id, "device": device.code, "name": cmd.name,
            "args": cmd.args, "expires_at": cmd.expires_at,
        }, site=site.code, device=HUB_ID)
        topic = env.topic(to_device=device.code)
        expiry = max(1, int((cmd.expires_at - now).total_seconds()))
        publisher.publish(topic, encode(env), qos=1, retain=False, expiry_s=expiry)
        cmd.status, cmd.sent_at = "sent", now
        session.add(cmd)
        session.commit()
        session.refresh(cmd)
        log.info("command %s %s sent to %s", cmd.name, cmd.command_id, device.code)
        return cmd


def expire_overdue(conn: Connection, *, now: datetime | None = None) -> int:
    """Commands still open after their expiry become ``expired``; returns how many."""
    now = now or utcnow()
    return conn.execute(
        sa.update(T_COMMAND)
        .where(T_COMMAND.c.status.in_(OPEN), T_COMMAND.c.expires_at <= now)
        .values(status="expired", finished_at=now,
                detail="no answer before the command expired")
    ).rowcount


def _cap(text: str | None) -> str | None:
    if text is None:
        return None
    raw = text.encode("utf-8")[:MAX_LOG_BYTES]
    return raw.decode("utf-8", errors="ignore")


def record_results(conn: Connection, events: Sequence[Any], counts: Counter[str]) -> None:
    """Ingest handler of ``device.command_result``: store each result on its command.

    Only the device the command was for may answer it; a result for an unknown command, or
    for a command already finished, is counted and otherwise ignored.
    """
    for e in events:
        result = e.envelope.payload_as(CommandResult)
        row = conn.execute(
            sa.select(T_COMMAND.c.id, T_COMMAND.c.device_id, T_COMMAND.c.status)
            .where(T_COMMAND.c.command_id == result.command_id)
        ).first()
        if row is None or row.device_id != e.device.device_id:
            counts["fleet.command_result_unknown"] += 1
            log.warning("command result for unknown command %s from %s", result.command_id,
                        e.envelope.device)
            continue
        if row.status in FINAL and row.status != "expired":
            counts["fleet.command_result_late"] += 1
            continue
        conn.execute(sa.update(T_COMMAND).where(T_COMMAND.c.id == row.id).values(
            status=result.status, detail=result.detail, output=_cap(result.output),
            finished_at=result.finished_at))
        counts[f"fleet.command_{result.status}"] += 1


def list_commands(session: Session, *, device_id: int, limit: int = 20) -> list[FleetCommand]:
    """A device's newest commands first (expired ones marked as such first)."""
    if expire_overdue(session.connection()):
        session.commit()
    return list(session.exec(
        select(FleetCommand).where(FleetCommand.device_id == device_id)
        .order_by(col(FleetCommand.id).desc()).limit(limit)
    ).all())
