"""A real Mosquitto run by the dynamic security plugin, managed by the hub over $CONTROL.

Each device's login is bound to its client id; a device publishes only as itself and reads
only its own and its site's downlinks; a removed device is cut off within a second, without
a broker restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.fleet.dynsec import DeviceAccess, DynsecError
from protocol.topics import (
    device_downlink_topic,
    site_downlink_topic,
    uplink_filter,
    uplink_topic,
)
from tests.hub.conftest import make_settings
from tests.security.mqtt_probe import Probe
from tests.support.fleet_access import HUB_USER, OTHER_SITE, SITE, DynsecFleet, dynsec_fleet
from tests.support.waiting import wait_for

QUIET = 0.3


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynsecFleet]:
    tmp = tmp_path_factory.mktemp("dynsec")
    with dynsec_fleet(tmp, make_settings(tmp)) as f:
        yield f


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for p in made:
        p.close()


def login(fleet: DynsecFleet, probes: list[Probe], user: str, client_id: str | None = None,
          password: str | None = None) -> Probe:
    p = Probe(fleet.broker, user, password or fleet.creds[user.removesuffix("-kitchen")].password,
              client_id=client_id or user)
    probes.append(p)
    return p


def test_a_device_publishes_only_as_itself(fleet: DynsecFleet, probes: list[Probe]) -> None:
    hub = login(fleet, probes, HUB_USER, client_id="hub-ingest-1")
    assert hub.connect()
    assert not hub.subscribe(f"$share/ingest/{uplink_filter()}")[0].is_failure
    kiosk = login(fleet, probes, "kiosk-1")
    assert kiosk.connect()
    own = kiosk.publish(uplink_topic(SITE, "kiosk-1", "order.placed"), b"own")
    forged = kiosk.publish(uplink_topic(SITE, "kiosk-2", "order.placed"), b"forged")
    assert not own.is_failure
    assert forged.is_failure and forged.value == 0x87  # Not authorized, in the PUBACK
    got = hub.received(QUIET)
    assert [p for _, p in got] == [b"own"]


def test_a_device_cannot_use_another_devices_client_id(
    fleet: DynsecFleet, probes: list[Probe],
) -> None:
    victim = login(fleet, probes, "kiosk-1")
    assert victim.connect()
    thief = login(fleet, probes, "kiosk-2", client_id="kiosk-1")
    assert not thief.connect()
    assert thief.connack is not None and thief.connack.is_failure
    assert victim.is_connected() and not victim.disconnected.is_set()
    # The kitchen link's login is bound to its own id too; the agent's id is not its to take.
    assert login(fleet, probes, "kds-1-kitchen").connect()
    assert not login(fleet, probes, "kds-1-kitchen", client_id="kds-1").connect()


def test_a_device_reads_only_its_own_and_its_sites_downlinks(
    fleet: DynsecFleet, probes: list[Probe],
) -> None:
    hub = login(fleet, probes, HUB_USER, client_id="hub-downlinks")
    assert hub.connect()
    kiosk = login(fleet, probes, "kiosk-1")
    assert kiosk.connect()
    assert kiosk.subscribe(f"canteen/v1/site/{OTHER_SITE}/down/#")[0].is_failure
    assert kiosk.subscribe("canteen/v1/site/+/down/#")[0].is_failure
    assert kiosk.subscribe("#")[0].is_failure
    assert not kiosk.subscribe(f"canteen/v1/site/{SITE}/down/#")[0].is_failure
    assert not kiosk.subscribe(f"canteen/v1/site/{SITE}/device/kiosk-1/down/#")[0].is_failure
    for topic in (site_downlink_topic(OTHER_SITE, "catalog"),
                  device_downlink_topic(SITE, "kiosk-2", "ack"),
                  site_downlink_topic(SITE, "catalog"),
                  device_downlink_topic(SITE, "kiosk-1", "ack")):
        assert not hub.publish(topic, topic.encode()).is_failure
    got = sorted(t for t, _ in kiosk.received(QUIET))
    assert got == sorted([site_downlink_topic(SITE, "catalog"),
                          device_downlink_topic(SITE, "kiosk-1", "ack")])


def test_changes_apply_live_and_a_removed_device_is_cut_off_within_a_second(
    fleet: DynsecFleet, probes: list[Probe],
) -> None:
    assert fleet.broker.proc is not None
    pid = fleet.broker.proc.pid
    newcomer = DeviceAccess(SITE, "kiosk-new", "kiosk")
    with fleet.admin() as admin:
        admin.add_device(newcomer, "newcomer-password-0123456789abcdef")
    device = login(fleet, probes, "kiosk-new", password="newcomer-password-0123456789abcdef")
    assert device.connect()
    assert not device.publish(uplink_topic(SITE, "kiosk-new", "order.placed"), b"x").is_failure
    kds = login(fleet, probes, "kds-1")
    assert kds.connect()
    with fleet.admin() as admin:
        admin.remove_device("kiosk-new")
    wait_for(device.disconnected.is_set, 1.0, "the broker to drop the removed device")
    assert not login(fleet, probes, "kiosk-new",
                     password="newcomer-password-0123456789abcdef").connect()
    # Nobody else was touched, and the broker never restarted.
    assert kds.is_connected() and fleet.broker.proc.pid == pid


def test_the_admin_login_is_checked(fleet: DynsecFleet, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-admin-password")
    admin = fleet.admin()
    admin.target = type(admin.target)(fleet.broker.host, fleet.broker.port, "hub-dynsec", wrong)
    with pytest.raises(DynsecError, match="refused"):
        admin.__enter__()
    # A device's own login cannot administer the plugin.
    own = tmp_path / "kiosk-1.password"
    own.write_text(fleet.creds["kiosk-1"].password)
    device = fleet.admin()
    device.target = type(device.target)(fleet.broker.host, fleet.broker.port, "kiosk-1", own)
    with pytest.raises(DynsecError, match=r"refused|may not read"):
        device.__enter__()
