"""Staged rollouts: one site or a percentage of devices first, health watched, then everyone.

A rollout has a *kind* (``config``, ``catalog``; the model downlink registers ``model``
with ``register_kind``) that knows how to validate what is rolled out, push it to a set of
devices, read the version a device reports in its heartbeat, and undo it. This module
only sequences: stage 0 (the first site, or ``first_percent`` of the devices, at least
one) then stage 1 (everyone else). A device is ``ok`` when its heartbeat reports the
target version, ``failed`` when it has not within ``step_timeout_s``. When the failed
share of a stage exceeds ``max_failure_pct`` the rollout pauses itself; staff resume
(failed devices are tried again) or roll back. ``tick`` does one round; the fleet monitor
calls it every few seconds, and the API after each action.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.downlinks.catalog import Publisher, publish_catalog
from hub.downlinks.config import publish_device_config
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.devices import Device
from hub.models.downlinks import DeviceConfigRow
from hub.models.fleet_health import DeviceState, Rollout, RolloutTarget
from hub.models.sites import Site
from protocol.payloads.config import OPTION_FIELDS, DeviceConfig

log = logging.getLogger(__name__)

RUNNING, PAUSED, COMPLETED, ROLLED_BACK = "running", "paused", "completed", "rolled_back"
# DeviceConfigRow's own columns (schema 1.0); the rest of a config goes into ``options``.
ROW_FIELDS = ("order_prefix", "heartbeat_interval_s", "idle_reset_s", "offline_sales")


@dataclass(frozen=True)
class RolloutKind:
    """How one kind of update is validated, pushed, observed and undone.

    ``apply(engine, publisher, rollout, devices)`` pushes to those devices and returns, per
    device id, (target version as text, what to restore on rollback). ``reported(state)``
    is the version a device's latest heartbeat shows. ``revert`` may be None: a rollback
    of that kind stops the rollout and says that nothing could be undone.
    """

    name: str
    validate: Callable[[dict[str, Any]], dict[str, Any]]
    apply: Callable[[Engine, Publisher, Rollout, list[Device]],
                    dict[int, tuple[str, dict[str, Any]]]]
    reported: Callable[[DeviceState], str | None]
    reached: Callable[[str | None, str], bool]
    revert: Callable[[Engine, Publisher, Rollout, list[RolloutTarget]], None] | None = None


KINDS: dict[str, RolloutKind] = {}


def register_kind(kind: RolloutKind) -> None:
    """Make a kind available to rollouts (the model downlink registers ``model``)."""
    KINDS[kind.name] = kind


def _int_reached(reported: str | None, target: str) -> bool:
    return reported is not None and reported.isdigit() and int(reported) >= int(target)


# ---- kind: device config ---------------------------------------------------------------

def _validate_config(spec: dict[str, Any]) -> dict[str, Any]:
    changes = spec.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise InvalidInputError("spec.changes: give at least one setting to change")
    allowed = set(ROW_FIELDS) | set(OPTION_FIELDS)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInputError(f"spec.changes: unknown settings {unknown} "
                                f"(known: {sorted(allowed)})")
    try:
        # The device's own schema decides (protocol.payloads.config.DeviceConfig).
        DeviceConfig.model_validate({"version": 1, **changes})
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise InvalidInputError(f"spec.changes.{where}: {e['msg']}") from err
    return {"changes": dict(changes)}


def _row_snapshot(row: DeviceConfigRow) -> dict[str, Any]:
    return {**{k: getattr(row, k) for k in ROW_FIELDS}, "options": dict(row.options or {})}


def _apply_config(engine: Engine, publisher: Publisher, rollout: Rollout,
                  devices: list[Device]) -> dict[int, tuple[str, dict[str, Any]]]:
    changes = rollout.spec["changes"]
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for device in devices:
        assert device.id is not None
        with Session(engine) as session:
            row = session.get(DeviceConfigRow, device.id) or DeviceConfigRow(device_id=device.id)
            previous = _row_snapshot(row)
            options = dict(row.options or {})
            for key, value in changes.items():
                if key in ROW_FIELDS:
                    setattr(row, key, value)
                else:
                    options[key] = value
            row.options = options
            session.add(row)
            session.commit()
        done = publish_device_config(engine, device_id=device.id, changes=None,
                                     publisher=publisher)
        out[device.id] = (str(done.version), previous)
    return out


def _revert_config(engine: Engine, publisher: Publisher, rollout: Rollout,
                   targets: list[RolloutTarget]) -> None:
    for t in targets:
        if not t.previous:
            continue
        with Session(engine) as session:
            row = session.get(DeviceConfigRow, t.device_id)
            if row is None:
                continue
            for key in ROW_FIELDS:
                setattr(row, key, t.previous.get(key, getattr(row, key)))
            row.options = dict(t.previous.get("options") or {})
            session.add(row)
            session.commit()
        # Same content as before, a higher version: the device replaces what it got.
        publish_device_config(engine, device_id=t.device_id, changes=None, publisher=publisher)


def _config_reported(state: DeviceState) -> str | None:
    return None if state.config_version is None else str(state.config_version)


register_kind(RolloutKind("config", _validate_config, _apply_config, _config_reported,
                          _int_reached, _revert_config))


# ---- kind: catalog (per site: the catalog is a site downlink) ---------------------------

def _validate_catalog(spec: dict[str, Any]) -> dict[str, Any]:
    if spec:
        raise InvalidInputError("spec: a catalog rollout takes no settings (it publishes "
                                "each site's current catalog)")
    return {}


def _apply_catalog(engine: Engine, publisher: Publisher, rollout: Rollout,
                   devices: list[Device]) -> dict[int, tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        sites = {s.id: s.code for s in session.exec(select(Site)).all()}
    versions: dict[int, str] = {}
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for device in devices:
        assert device.id is not None
        if device.site_id not in versions:
            done = publish_catalog(engine, sites[device.site_id], publisher)
            assert done is not None
            versions[device.site_id] = str(done.version)
        out[device.id] = (versions[device.site_id], {})
    return out


def _catalog_reported(state: DeviceState) -> str | None:
    return None if state.catalog_version is None else str(state.catalog_version)


register_kind(RolloutKind("catalog", _validate_catalog, _apply_catalog, _catalog_reported,
                          _int_reached, None))


# ---- sequencing ----------------------------------------------------------------------

def _first_stage(rollout_seed: str, devices: list[Device], *, first_site_id: int | None,
                 first_percent: int | None) -> set[int]:
    if first_site_id is not None:
        return {d.id for d in devices if d.site_id == first_site_id and d.id is not None}
    pct = first_percent or 10
    # A stable pseudo-random pick: the same devices for the same rollout on every tick.
    ranked = sorted(devices, key=lambda d: hashlib.sha256(
        f"{rollout_seed}:{d.code}".encode()).hexdigest())
    n = max(1, (len(ranked) * pct + 99) // 100)
    return {d.id for d in ranked[:n] if d.id is not None}


def create_rollout(
    session: Session, *, kind: str, spec: dict[str, Any], name: str = "",
    first_site_id: int | None = None, first_percent: int | None = None,
    site_ids: list[int] | None = None, step_timeout_s: int = 600, max_failure_pct: int = 20,
    created_by: str = "",
) -> Rollout:
    """Validate and store a rollout with its targets (every active device of the chosen
    sites, or of all sites); it starts running at the next tick. Commits."""
    entry = KINDS.get(kind)
    if entry is None:
        raise InvalidInputError(f"kind: unknown rollout kind {kind!r} (known: {sorted(KINDS)})")
    if (first_site_id is None) == (first_percent is None):
        raise InvalidInputError("first stage: give either first_site_id or first_percent")
    if first_percent is not None and not 1 <= first_percent <= 100:
        raise InvalidInputError("first_percent: must be between 1 and 100")
    if not 5 <= step_timeout_s <= 86_400:
        raise InvalidInputError("step_timeout_s: must be between 5 and 86400")
    if not 0 <= max_failure_pct <= 100:
        raise InvalidInputError("max_failure_pct: must be between 0 and 100")
    clean = entry.validate(spec)
    busy = session.exec(select(Rollout).where(Rollout.kind == kind,
                                              col(Rollout.status).in_([RUNNING, PAUSED]))).first()
    if busy is not None:
        raise ConflictError(f"rollout {busy.id} of kind {kind} is still {busy.status}: "
                            "finish or roll it back first")
    stmt = select(Device).where(Device.active == True)  # noqa: E712
    if site_ids:
        stmt = stmt.where(col(Device.site_id).in_(site_ids))
    devices = list(session.exec(stmt.order_by(Device.code)).all())
    if first_site_id is not None and session.get(Site, first_site_id) is None:
        raise NotFoundError(f"site {first_site_id} not found")
    if not devices:
        raise InvalidInputError("no active device to roll out to")
    rollout = Rollout(kind=kind, spec=clean, name=name[:120], first_site_id=first_site_id,
                      first_percent=first_percent, step_timeout_s=step_timeout_s,
                      max_failure_pct=max_failure_pct, created_by=created_by[:120],
                      updated_at=utcnow())
    session.add(rollout)
    session.flush()
    first = _first_stage(f"{rollout.id}:{kind}", devices, first_site_id=first_site_id,
                         first_percent=first_percent)
    if not first:
        session.rollback()
        raise InvalidInputError("first stage: no active device at that site")
    assert rollout.id is not None
    for d in devices:
        assert d.id is not None
        session.add(RolloutTarget(rollout_id=rollout.id, device_id=d.id,
                                  stage=0 if d.id in first else 1))
    session.commit()
    session.refresh(rollout)
    return rollout


def _targets(session: Session, rollout_id: int) -> list[RolloutTarget]:
    return list(session.exec(select(RolloutTarget).where(RolloutTarget.rollout_id == rollout_id)
                             .order_by(col(RolloutTarget.device_id))).all())


def tick(engine: Engine, publisher: Publisher, *, now: datetime | None = None) -> int:
    """One round over every running rollout; returns how many changed."""
    now = now or utcnow()
    with Session(engine) as session:
        ids = [r.id for r in session.exec(select(Rollout).where(Rollout.status == RUNNING))]
    changed = 0
    for rollout_id in ids:
        assert rollout_id is not None
        changed += _advance(engine, publisher, rollout_id, now)
    return changed


def _advance(engine: Engine, publisher: Publisher, rollout_id: int, now: datetime) -> int:
    with Session(engine) as session:
        rollout = session.get(Rollout, rollout_id)
        assert rollout is not None
        kind = KINDS[rollout.kind]
        targets = [t for t in _targets(session, rollout_id) if t.stage == rollout.stage]
        pending = [t.device_id for t in targets if t.status == "pending"]
        devices = list(session.exec(select(Device).where(col(Device.id).in_(pending))).all())
        session.expunge(rollout)
    changed = 0
    if devices:
        pushed = kind.apply(engine, publisher, rollout, devices)
        with Session(engine) as session:
            for device_id, (version, previous) in pushed.items():
                t = session.get(RolloutTarget, (rollout_id, device_id))
                assert t is not None
                t.status, t.target_version, t.previous, t.started_at = (
                    "applying", version, previous, now)
                session.add(t)
            session.commit()
        changed = 1
    with Session(engine) as session:
        rollout = session.get(Rollout, rollout_id)
        assert rollout is not None
        targets = [t for t in _targets(session, rollout_id) if t.stage == rollout.stage]
        states = {s.device_id: s for s in session.exec(
            select(DeviceState).where(col(DeviceState.device_id).in_(
                [t.device_id for t in targets])))}
        timeout = timedelta(seconds=rollout.step_timeout_s)
        for t in targets:
            if t.status != "applying" or t.target_version is None:
                continue
            state = states.get(t.device_id)
            if state is not None and kind.reached(kind.reported(state), t.target_version):
                t.status, t.finished_at, t.detail = "ok", now, None
            elif t.started_at is not None and now - t.started_at >= timeout:
                t.status, t.finished_at = "failed", now
                t.detail = (f"did not report version {t.target_version} within "
                            f"{rollout.step_timeout_s} s")
            else:
                continue
            session.add(t)
            changed = 1
        failed = sum(t.status == "failed" for t in targets)
        if failed and failed * 100 > rollout.max_failure_pct * len(targets):
            rollout.status = PAUSED
            rollout.reason = (f"paused automatically: {failed} of {len(targets)} devices "
                              f"in stage {rollout.stage + 1} failed")
            log.warning("rollout %s %s", rollout_id, rollout.reason)
            changed = 1
        elif all(t.status in ("ok", "failed") for t in targets):
            if rollout.stage == 0 and any(t.stage == 1 for t in _targets(session, rollout_id)):
                rollout.stage = 1
            else:
                rollout.status, rollout.reason = COMPLETED, None
            changed = 1
        rollout.updated_at = now
        session.add(rollout)
        session.commit()
    return changed


def pause(session: Session, *, rollout_id: int, reason: str = "paused by staff") -> Rollout:
    """Stop sending to more devices (devices already sent to keep what they got)."""
    rollout = _get(session, rollout_id)
    if rollout.status != RUNNING:
        raise ConflictError(f"rollout {rollout_id} is {rollout.status}, not running")
    rollout.status, rollout.reason, rollout.updated_at = PAUSED, reason[:300], utcnow()
    session.add(rollout)
    session.commit()
    session.refresh(rollout)
    return rollout


def resume(session: Session, *, rollout_id: int) -> Rollout:
    """Run again; the current stage's failed devices are tried once more."""
    rollout = _get(session, rollout_id)
    if rollout.status != PAUSED:
        raise ConflictError(f"rollout {rollout_id} is {rollout.status}, not paused")
    for t in _targets(session, rollout_id):
        if t.stage == rollout.stage and t.status == "failed":
            t.status, t.detail, t.started_at, t.finished_at = "pending", None, None, None
            session.add(t)
    rollout.status, rollout.reason, rollout.updated_at = RUNNING, None, utcnow()
    session.add(rollout)
    session.commit()
    session.refresh(rollout)
    return rollout


def rollback(engine: Engine, publisher: Publisher, *, rollout_id: int) -> Rollout:
    """Undo on every device it reached and stop; a kind without undo only stops."""
    with Session(engine) as session:
        rollout = _get(session, rollout_id)
        if rollout.status in (ROLLED_BACK,):
            raise ConflictError(f"rollout {rollout_id} is already rolled back")
        reached = [t for t in _targets(session, rollout_id)
                   if t.status in ("applying", "ok", "failed")]
        for t in reached:
            session.expunge(t)
        session.expunge(rollout)
    kind = KINDS[rollout.kind]
    if kind.revert is not None:
        kind.revert(engine, publisher, rollout, reached)
    with Session(engine) as session:
        rollout = _get(session, rollout_id)
        for t in _targets(session, rollout_id):
            if t.status in ("applying", "ok", "failed"):
                t.status = "rolled_back"
                session.add(t)
        rollout.status, rollout.updated_at = ROLLED_BACK, utcnow()
        rollout.reason = ("rolled back" if kind.revert is not None
                          else "stopped: this kind cannot be undone on the devices")
        session.add(rollout)
        session.commit()
        session.refresh(rollout)
        return rollout


def _get(session: Session, rollout_id: int) -> Rollout:
    rollout = session.get(Rollout, rollout_id)
    if rollout is None:
        raise NotFoundError(f"rollout {rollout_id} not found")
    return rollout


def progress(session: Session, rollout_id: int) -> dict[str, Any]:
    """Counts per stage and status, and every target, for the pages and the API."""
    rollout = _get(session, rollout_id)
    targets = _targets(session, rollout_id)
    codes = {d.id: d.code for d in session.exec(
        select(Device).where(col(Device.id).in_([t.device_id for t in targets])))}
    counts: dict[str, dict[str, int]] = {"0": {}, "1": {}}
    for t in targets:
        stage = counts[str(t.stage)]
        stage[t.status] = stage.get(t.status, 0) + 1
    return {"rollout": rollout, "counts": counts,
            "targets": [(codes.get(t.device_id, "?"), t) for t in targets]}
