"""Issue, rotate and revoke broker credentials; the password is returned once, never stored."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from hub.db_types import utcnow
from hub.fleet.errors import CredentialConflict, UnknownDevice
from hub.fleet.passwd import mosquitto_hash, new_password
from hub.models.devices import Device
from hub.models.fleet import BrokerAccount, BrokerAccountKind
from hub.security import hash_password

log = logging.getLogger(__name__)

# Broker user names: what a device code may be, and nothing a password_file line could break.
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class DeviceCredentials:
    """A broker login as issued: show the password to the installer once, then forget it."""

    username: str
    password: str
    issued_at: datetime

    def __repr__(self) -> str:
        return f"DeviceCredentials(username={self.username!r}, password=<hidden>)"


def _account(session: Session, username: str) -> BrokerAccount | None:
    return session.exec(select(BrokerAccount).where(BrokerAccount.username == username)).first()


def _store(
    session: Session, *, username: str, kind: BrokerAccountKind, device_id: int | None
) -> DeviceCredentials:
    password = new_password()
    account = _account(session, username)
    if account is not None and (account.kind != kind or account.device_id != device_id):
        raise CredentialConflict(f"broker user {username!r} already belongs to someone else")
    if account is None:
        account = BrokerAccount(username=username, kind=kind, device_id=device_id, broker_hash="")
    # Rotation overwrites the one hash: the old password stops working at the next reload.
    account.broker_hash = mosquitto_hash(password)
    account.issued_at = utcnow()
    session.add(account)
    return DeviceCredentials(username=username, password=password, issued_at=account.issued_at)


def issue_device_credentials(session: Session, *, device_id: int) -> DeviceCredentials:
    """New (or rotated) broker credentials for an active device; commits."""
    device = session.get(Device, device_id)
    if device is None:
        raise UnknownDevice(f"no device with id {device_id}")
    if not device.active:
        raise CredentialConflict(f"device {device.code!r} is disabled; enable it first")
    creds = _store(
        session, username=device.code, kind=BrokerAccountKind.DEVICE, device_id=device_id
    )
    device.credential_hash = hash_password(creds.password)
    session.add(device)
    session.commit()
    log.info("issued broker credentials for device %s", device.code)
    return creds


def issue_service_credentials(session: Session, *, username: str) -> DeviceCredentials:
    """New (or rotated) credentials for a hub service user (ingest, downlink publisher); commits."""
    if USERNAME_RE.fullmatch(username) is None:
        raise CredentialConflict(f"broker user name {username!r} is not a valid id")
    if session.exec(select(Device).where(Device.code == username)).first() is not None:
        raise CredentialConflict(f"{username!r} is a device code; pick another service name")
    creds = _store(session, username=username, kind=BrokerAccountKind.SERVICE, device_id=None)
    session.commit()
    log.info("issued broker credentials for service user %s", username)
    return creds


def revoke_device_credentials(session: Session, *, device_id: int) -> bool:
    """Forget a device's broker account and credential hash; True if it had one. Commits."""
    device = session.get(Device, device_id)
    if device is None:
        raise UnknownDevice(f"no device with id {device_id}")
    account = session.exec(
        select(BrokerAccount).where(BrokerAccount.device_id == device_id)
    ).first()
    had = account is not None or device.credential_hash is not None
    if account is not None:
        session.delete(account)
    device.credential_hash = None
    session.add(device)
    session.commit()
    log.info("revoked broker credentials of device %s", device.code)
    return had


def revoke_service_credentials(session: Session, *, username: str) -> bool:
    """Forget a hub service user; True if it existed. Commits."""
    account = _account(session, username)
    if account is None or account.kind != BrokerAccountKind.SERVICE:
        return False
    session.delete(account)
    session.commit()
    return True
