"""Claiming devices with one-time codes, and decommissioning them.

An administrator makes a code for one device-to-be (site, kind, code); the hub keeps only
its SHA-256. The device sends the code once (``canteen-agent claim``); the hub creates the
device, issues its broker login, gives it to the plugin when the hub manages Mosquitto's
dynamic security (else the installer regenerates the broker files), and answers with the
device's identity and password. A code works once, until it expires; every refused try is
counted per address, and too many in a window are refused without looking at the code.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError, ServiceError
from hub.fleet.credentials import issue_device_credentials, revoke_device_credentials
from hub.fleet.dynsec import DeviceAccess, DynsecAdmin, DynsecError
from hub.models.devices import Device, DeviceKind
from hub.models.fleet_access import ClaimAttempt, ClaimCode
from hub.models.sites import Site
from protocol.claim import (
    DEVICE_CODE_PATTERN,
    ClaimGrant,
    claim_qr_text,
    kitchen_login,
    new_claim_code,
    normalise_claim_code,
)

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(hours=24)
MIN_TTL = timedelta(minutes=5)
MAX_TTL = timedelta(days=7)
# Refused tries per address before it is refused outright, and the window they count in.
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
_DEVICE_RE = re.compile(DEVICE_CODE_PATTERN)


class ClaimRefused(ServiceError):
    """The code is unknown, used, cancelled or expired (one answer for all: no oracle)."""

    status_code = 403


class ClaimRateLimited(ServiceError):
    """Too many refused tries from this address in the window."""

    status_code = 429


class BrokerUnavailable(ServiceError):
    """The broker's plugin could not take the change; nothing was changed at the hub."""

    status_code = 503


@dataclass(frozen=True, slots=True)
class IssuedClaimCode:
    """A new code: shown once to the administrator (text and QR), then only its hint."""

    id: int
    code: str
    expires_at: datetime
    site: str
    device_code: str
    kind: str

    def qr_text(self, hub_url: str) -> str:
        """What the QR shows: the hub's address and the code."""
        return claim_qr_text(hub_url, self.code)

    def __repr__(self) -> str:
        return f"IssuedClaimCode(id={self.id}, device_code={self.device_code!r}, code=<hidden>)"


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """What a claimed device is told about its broker."""

    host: str
    port: int
    tls_ca_pem: str | None = None


def code_hash(normalised: str) -> str:
    """The stored form of a code (a 59-bit random secret that lives a day: no salt needed)."""
    return hashlib.sha256(normalised.encode()).hexdigest()


def create_claim_code(
    session: Session, *, site_id: int, kind: str, device_code: str, device_name: str = "",
    created_by: str = "", ttl: timedelta = DEFAULT_TTL,
) -> IssuedClaimCode:
    """A one-time code for one new device; refuses a taken device code. Commits."""
    site = session.get(Site, site_id)
    if site is None:
        raise InvalidInputError(f"no site with id {site_id}", field="site_id")
    if not site.active:
        raise InvalidInputError(f"site {site.code!r} is disabled", field="site_id")
    if _DEVICE_RE.fullmatch(site.code) is None:
        raise InvalidInputError(
            f"site code {site.code!r} cannot be a device's site id (a-z 0-9 _ -)", field="site_id")
    if kind not in {k.value for k in DeviceKind}:
        raise InvalidInputError(f"unknown device kind {kind!r}", field="kind")
    if _DEVICE_RE.fullmatch(device_code) is None:
        raise InvalidInputError("device code: 1-32 of a-z 0-9 _ -, starting with a letter or "
                                "digit", field="device_code")
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise InvalidInputError("a code lives between 5 minutes and 7 days", field="ttl_minutes")
    if session.exec(select(Device.id).where(Device.code == device_code)).first() is not None:
        raise ConflictError(f"device {device_code!r} exists already")
    now = utcnow()
    open_code = session.exec(
        select(ClaimCode.id).where(
            ClaimCode.device_code == device_code, col(ClaimCode.claimed_at).is_(None),
            col(ClaimCode.cancelled_at).is_(None), ClaimCode.expires_at > now)
    ).first()
    if open_code is not None:
        raise ConflictError(f"device {device_code!r} has an open claim code; cancel it first")
    code = new_claim_code()
    normalised = normalise_claim_code(code)
    assert normalised is not None
    row = ClaimCode(code_hash=code_hash(normalised), hint=normalised[-4:], site_id=site_id,
                    kind=kind, device_code=device_code, device_name=device_name,
                    created_by=created_by, created_at=now, expires_at=now + ttl)
    session.add(row)
    session.commit()
    assert row.id is not None
    log.info("claim code %d for device %s at %s made by %s", row.id, device_code, site.code,
             created_by)
    return IssuedClaimCode(row.id, code, row.expires_at, site.code, device_code, kind)


def cancel_claim_code(session: Session, *, claim_id: int) -> None:
    """Cancel an unused code; a used one stays as it is (its device is decommissioned). Commits."""
    row = session.get(ClaimCode, claim_id)
    if row is None:
        raise NotFoundError(f"no claim code with id {claim_id}")
    if row.claimed_at is not None:
        raise ConflictError("the code was used; decommission the device instead")
    if row.cancelled_at is None:
        row.cancelled_at = utcnow()
        session.add(row)
        session.commit()


def list_claim_codes(session: Session, *, limit: int = 200) -> list[tuple[ClaimCode, str]]:
    """Recent codes with their site's code, newest first."""
    rows = session.exec(
        select(ClaimCode, Site.code).join(Site, Site.id == ClaimCode.site_id)  # type: ignore[arg-type]
        .order_by(col(ClaimCode.id).desc()).limit(limit)
    ).all()
    return [(code, str(site)) for code, site in rows]


def code_state(row: ClaimCode, now: datetime | None = None) -> str:
    """open, claimed, cancelled or expired."""
    now = now or utcnow()
    if row.claimed_at is not None:
        return "claimed"
    if row.cancelled_at is not None:
        return "cancelled"
    return "expired" if row.expires_at <= now else "open"


def _recent_failures(session: Session, remote: str, now: datetime) -> int:
    return int(session.exec(
        select(sa.func.count()).select_from(ClaimAttempt).where(
            ClaimAttempt.remote == remote, ClaimAttempt.succeeded == False,  # noqa: E712
            ClaimAttempt.at > now - FAILURE_WINDOW)
    ).one())


def _refuse(session: Session, remote: str, now: datetime) -> ClaimRefused:
    session.add(ClaimAttempt(remote=remote, at=now, succeeded=False))
    session.commit()
    log.warning("claim refused for %s", remote)
    return ClaimRefused("unknown, used, cancelled or expired claim code")


def claim_device(
    session: Session, *, code: str, remote: str, broker: BrokerAddress,
    dynsec: DynsecAdmin | None = None,
) -> ClaimGrant:
    """Trade a code for the device's identity and broker login, once.

    With ``dynsec`` (the hub manages the broker's plugin) the login works as soon as this
    returns; without, after the broker files are regenerated and the broker reloaded.
    """
    now = utcnow()
    remote = remote[:64]
    if _recent_failures(session, remote, now) >= MAX_FAILURES:
        raise ClaimRateLimited(
            f"too many refused claim codes from this address; try again in "
            f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes")
    normalised = normalise_claim_code(code)
    row = None if normalised is None else session.exec(
        select(ClaimCode).where(ClaimCode.code_hash == code_hash(normalised))).first()
    if row is None or code_state(row, now) != "open":
        raise _refuse(session, remote, now)
    site = session.get(Site, row.site_id)
    if site is None or not site.active:
        raise _refuse(session, remote, now)
    if session.exec(select(Device.id).where(Device.code == row.device_code)).first():
        raise ConflictError(f"device {row.device_code!r} exists already; make a new code")
    # Mark the code used in the same statement that checks it is unused: two devices racing
    # with one code cannot both win (the loser's UPDATE matches no row).
    taken = session.execute(
        sa.update(ClaimCode).where(col(ClaimCode.id) == row.id,
                                   col(ClaimCode.claimed_at).is_(None))
        .values(claimed_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise _refuse(session, remote, now)
    device = Device(code=row.device_code, kind=DeviceKind(row.kind), site_id=site.id or 0,
                    name=row.device_name, active=True)
    session.add(device)
    session.flush()
    assert device.id is not None
    session.execute(sa.update(ClaimCode).where(col(ClaimCode.id) == row.id)
                    .values(device_id=device.id))
    session.add(ClaimAttempt(remote=remote, at=now, succeeded=True))
    creds = issue_device_credentials(session, device_id=device.id)  # commits all of the above
    access = DeviceAccess(site.code, device.code, str(device.kind))
    if dynsec is not None:
        try:
            dynsec.add_device(access, creds.password)
        except DynsecError as err:
            _undo_claim(session, claim_id=row.id or 0, device_id=device.id)
            raise BrokerUnavailable(f"the broker did not take the new login ({err}); the "
                                    "code still works: try again") from err
    log.info("device %s claimed at %s from %s", device.code, site.code, remote)
    kitchen = len(access.logins()) > 1
    return ClaimGrant.model_validate({
        "site": site.code, "device": device.code, "kind": str(device.kind),
        "username": creds.username, "password": creds.password,
        "kitchen_username": kitchen_login(creds.username) if kitchen else None,
        "broker_host": broker.host, "broker_port": broker.port,
        "tls_ca_pem": broker.tls_ca_pem, "timezone": site.timezone,
    })


def _undo_claim(session: Session, *, claim_id: int, device_id: int) -> None:
    session.rollback()
    session.execute(sa.update(ClaimCode).where(col(ClaimCode.id) == claim_id)
                    .values(claimed_at=None, device_id=None))
    device = session.get(Device, device_id)
    if device is not None:
        session.delete(device)  # its broker account goes with it (ON DELETE CASCADE)
    session.commit()


def decommission_device(
    session: Session, *, device_id: int, dynsec: DynsecAdmin | None = None
) -> bool:
    """Disable the device and revoke its broker login; with the plugin it is cut off at once.

    The device row stays (orders and history refer to it). True if it had a login. Commits.
    """
    device = session.get(Device, device_id)
    if device is None:
        raise NotFoundError(f"no device with id {device_id}")
    if dynsec is not None:
        try:
            dynsec.remove_device(device.code)
        except DynsecError as err:
            raise BrokerUnavailable(f"the broker did not drop the login ({err}); nothing "
                                    "was changed: try again") from err
    device.active = False
    session.add(device)
    had = revoke_device_credentials(session, device_id=device_id)  # commits
    log.info("device %s decommissioned", device.code)
    return had
