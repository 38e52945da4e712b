"""Rotation and revocation take effect once the files are regenerated and the broker reloaded."""

from __future__ import annotations

import time

from sqlmodel import select

from hub.fleet import issue_device_credentials, revoke_device_credentials
from hub.fleet.passwd import verify_mosquitto_hash
from hub.models import Device
from hub.models.fleet import BrokerAccount
from hub.security import verify_password
from protocol.topics import uplink_filter, uplink_topic
from tests.security.conftest import HUB_USER, SITE, Fleet
from tests.security.mqtt_probe import Probe


def connects(fleet: Fleet, user: str | None, password: str | None) -> bool:
    """Whether the broker accepts this login right now."""
    p = Probe(fleet.broker, user, password)
    try:
        return p.connect()
    finally:
        p.close()


def test_only_hashes_are_stored(fleet: Fleet) -> None:
    password = fleet.creds["kiosk-1"].password
    with fleet.session() as s:
        device = s.get(Device, fleet.ids["kiosk-1"])
        account = s.exec(select(BrokerAccount).where(BrokerAccount.username == "kiosk-1")).one()
    assert device is not None and device.credential_hash is not None
    assert password not in device.credential_hash and password not in account.broker_hash
    assert verify_password(password, device.credential_hash)
    assert verify_mosquitto_hash(password, account.broker_hash)
    for f in fleet.files_dir.iterdir():
        assert password not in f.read_text()
    assert "password=<hidden>" in repr(fleet.creds["kiosk-1"])


def test_rotation_invalidates_the_old_password(fleet: Fleet) -> None:
    old = fleet.creds["kiosk-1"].password
    with fleet.session() as s:
        new = issue_device_credentials(s, device_id=fleet.ids["kiosk-1"]).password
    assert new != old
    fleet.regenerate_and_reload()
    assert not connects(fleet, "kiosk-1", old)
    assert connects(fleet, "kiosk-1", new)


def test_revoked_device_is_refused_and_disconnected(fleet: Fleet) -> None:
    hub = Probe(fleet.broker, HUB_USER, fleet.creds[HUB_USER].password)
    stolen = Probe(fleet.broker, "kiosk-2", fleet.creds["kiosk-2"].password)
    try:
        assert hub.connect() and stolen.connect()
        hub.subscribe(uplink_filter(share_group="ingest"))
        with fleet.session() as s:
            assert revoke_device_credentials(s, device_id=fleet.ids["kiosk-2"])
        fleet.regenerate_and_reload()
        # Mosquitto re-checks connected clients on reload: the revoked one is dropped...
        assert stolen.disconnected.wait(5), "revoked kiosk-2 still connected after reload"
        time.sleep(0.2)
        assert not stolen.is_connected()
        # ...and cannot come back.
        assert not connects(fleet, "kiosk-2", fleet.creds["kiosk-2"].password)
        # Everyone else is unaffected.
        assert connects(fleet, "kiosk-1", fleet.creds["kiosk-1"].password)
        assert hub.is_connected()
    finally:
        hub.close()
        stolen.close()


def test_a_disabled_device_is_refused_after_reload(fleet: Fleet) -> None:
    password = fleet.creds["kiosk-1"].password
    with fleet.session() as s:
        device = s.get(Device, fleet.ids["kiosk-1"])
        assert device is not None
        device.active = False
        s.add(device)
        s.commit()
    fleet.regenerate_and_reload()
    assert not connects(fleet, "kiosk-1", password)
    acl = (fleet.files_dir / "canteen.acl").read_text()
    assert "user kiosk-1\n" not in acl and uplink_topic(SITE, "kiosk-2", "order.placed") not in acl


def test_a_deleted_device_loses_its_broker_account(fleet: Fleet) -> None:
    with fleet.session() as s:
        device = s.get(Device, fleet.ids["kiosk-9"])
        s.delete(device)
        s.commit()
        assert s.exec(
            select(BrokerAccount).where(BrokerAccount.username == "kiosk-9")
        ).first() is None
    fleet.regenerate_and_reload()
    assert not connects(fleet, "kiosk-9", fleet.creds["kiosk-9"].password)
