"""What an attacker on the site network sees: a real Mosquitto run from the hub's files."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator

import pytest
from paho.mqtt.reasoncodes import ReasonCode

from protocol.topics import (
    device_downlink_filters,
    device_downlink_topic,
    kitchen_filter,
    site_downlink_topic,
    status_topic,
    uplink_filter,
    uplink_topic,
)
from tests.security.conftest import HUB_USER, OTHER_SITE, SITE, Fleet
from tests.security.mqtt_probe import Probe

QUIET = 0.7  # how long "nothing arrives" is watched for
NOT_AUTHORIZED = 0x87


def body() -> bytes:
    """A payload that can only have come from this publish."""
    return f"order-{uuid.uuid4()}".encode()


@pytest.fixture
def probes(fleet: Fleet) -> Iterator[list[Probe]]:
    """Probes made in a test, closed at its end."""
    made: list[Probe] = []
    yield made
    for p in made:
        p.close()


def login(fleet: Fleet, probes: list[Probe], user: str, *, v5: bool = True) -> Probe:
    """A connected probe logged in as ``user`` with its issued password."""
    p = Probe(fleet.broker, user, fleet.creds[user].password, v5=v5)
    probes.append(p)
    assert p.connect(), f"{user} was refused: {p.connack}"
    return p


def hub_subscriber(fleet: Fleet, probes: list[Probe]) -> Probe:
    """The hub's ingest subscription, on the shared group as the real worker uses it."""
    hub = login(fleet, probes, HUB_USER)
    [rc] = hub.subscribe(uplink_filter(share_group="ingest"))
    assert not rc.is_failure, rc
    return hub


def test_the_hub_may_leave_its_shared_group(fleet: Fleet, probes: list[Probe]) -> None:
    """A stopping ingest worker unsubscribes before it ends its session (hub/ingest/worker.py)."""
    hub = hub_subscriber(fleet, probes)
    unsubacks: queue.Queue[list[ReasonCode]] = queue.Queue()
    hub.client.on_unsubscribe = lambda _c, _u, _mid, rcs, _p: unsubacks.put(list(rcs))
    hub.client.unsubscribe(uplink_filter(share_group="ingest"))
    codes = unsubacks.get(timeout=5)
    assert codes and not any(rc.is_failure for rc in codes), codes
    kiosk = login(fleet, probes, "kiosk-1")
    assert not kiosk.publish(uplink_topic(SITE, "kiosk-1", "order.placed"), body()).is_failure
    assert hub.received(QUIET) == []


def test_a_device_publishes_its_own_order_and_the_hub_receives_it(
    fleet: Fleet, probes: list[Probe]
) -> None:
    hub = hub_subscriber(fleet, probes)
    kiosk = login(fleet, probes, "kiosk-1")
    topic, payload = uplink_topic(SITE, "kiosk-1", "order.placed"), body()
    assert not kiosk.publish(topic, payload).is_failure
    assert (topic, payload) in hub.received(2.0)


@pytest.mark.parametrize("v5", [True, False], ids=["mqtt5", "mqtt311"])
def test_publishing_as_another_device_never_reaches_anyone(
    fleet: Fleet, probes: list[Probe], v5: bool
) -> None:
    hub = hub_subscriber(fleet, probes)
    victim = login(fleet, probes, "kiosk-2")
    for f in device_downlink_filters(SITE, "kiosk-2"):
        assert not victim.subscribe(f)[0].is_failure
    attacker = login(fleet, probes, "kiosk-1", v5=v5)
    forged = [
        uplink_topic(SITE, "kiosk-2", "order.placed"),  # an order in kiosk-2's name
        uplink_topic(OTHER_SITE, "kiosk-9", "order.placed"),  # another site's kiosk
        status_topic(SITE, "kiosk-2"),  # mark kiosk-2 offline
        device_downlink_topic(SITE, "kiosk-2", "ack"),  # fake hub acks: kiosk-2 drops its outbox
        device_downlink_topic(SITE, "kiosk-2", "config"),
        site_downlink_topic(SITE, "catalog"),  # prices for the whole site
    ]
    for topic in forged:
        rc = attacker.publish(topic, body())
        if v5:  # MQTT 5 tells the publisher; 3.1.1 acks and silently drops
            assert rc.value == NOT_AUTHORIZED, (topic, rc)
    assert hub.received(QUIET) == []
    assert victim.received(0.1) == []
    # The attacker is still connected and its own publishes still flow.
    own = uplink_topic(SITE, "kiosk-1", "order.placed"), body()
    attacker.publish(*own)
    assert own in hub.received(2.0)


def test_a_device_cannot_read_another_devices_downlinks_or_others_orders(
    fleet: Fleet, probes: list[Probe]
) -> None:
    snoop = login(fleet, probes, "kiosk-1")
    refused = [
        device_downlink_filters(SITE, "kiosk-2")[0],
        uplink_filter(SITE),  # every kiosk's orders (member ids, payments)
        uplink_filter(),
        device_downlink_filters(OTHER_SITE, "kiosk-9")[1],
    ]
    for f in [*refused, "#"]:
        # Mosquitto 2.0's acl_file is checked when a message is delivered, not at SUBSCRIBE:
        # the SUBACK may say granted, but nothing the ACL does not allow ever arrives.
        snoop.subscribe(f)
    hub = login(fleet, probes, HUB_USER)
    secret_ack = device_downlink_topic(SITE, "kiosk-2", "ack"), body()
    assert not hub.publish(*secret_ack).is_failure
    other = login(fleet, probes, "kiosk-2")
    other.publish(uplink_topic(SITE, "kiosk-2", "order.placed"), body())
    hub.publish(site_downlink_topic(OTHER_SITE, "catalog"), body())
    mine = device_downlink_topic(SITE, "kiosk-1", "ack"), body()
    hub.publish(*mine)
    got = snoop.received(QUIET)
    assert got == [mine]


def test_the_kitchen_display_reads_its_sites_orders_only(
    fleet: Fleet, probes: list[Probe]
) -> None:
    kds = login(fleet, probes, "kds-1")
    assert not kds.subscribe(uplink_filter(SITE))[0].is_failure
    assert not kds.subscribe(kitchen_filter(SITE))[0].is_failure
    kds.subscribe(uplink_filter(OTHER_SITE))  # granted, but never delivers (see above)
    here = uplink_topic(SITE, "kiosk-1", "order.placed"), body()
    login(fleet, probes, "kiosk-1").publish(*here)
    login(fleet, probes, "kiosk-9").publish(uplink_topic(OTHER_SITE, "kiosk-9", "order.placed"),
                                            body())
    assert kds.received(QUIET) == [here]
    # A kitchen display still publishes only as itself.
    rc = kds.publish(uplink_topic(SITE, "kiosk-1", "order.state"), body())
    assert rc.value == NOT_AUTHORIZED


@pytest.mark.parametrize(
    ("user", "password"),
    [
        ("kiosk-1", "wrong-password"),
        ("kiosk-1", ""),
        ("nobody", "whatever"),
        (None, None),  # anonymous
        ("kiosk-2", "<kiosk-1's password>"),
    ],
    ids=["wrong-password", "empty-password", "unknown-user", "anonymous", "someone-elses-password"],
)
def test_bad_logins_are_refused(
    fleet: Fleet, probes: list[Probe], user: str | None, password: str | None
) -> None:
    if password == "<kiosk-1's password>":
        password = fleet.creds["kiosk-1"].password
    p = Probe(fleet.broker, user, password)
    probes.append(p)
    assert not p.connect()
    assert p.connack is not None and p.connack.is_failure


def test_v311_anonymous_is_refused_too(fleet: Fleet, probes: list[Probe]) -> None:
    p = Probe(fleet.broker, None, None, v5=False)
    probes.append(p)
    assert not p.connect()
