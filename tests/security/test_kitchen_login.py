"""The kitchen link logs in with its device's issued credentials, and only as itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.agent import Agent
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink, display_topic
from protocol.codec import encode, parse
from protocol.payloads.device import DeviceStatus
from protocol.payloads.kitchen import OrderStateChanged
from protocol.payloads.order import OrderPlaced
from protocol.topics import kitchen_filter, uplink_filter, uplink_topic
from tests.edge.conftest import agent_config
from tests.security.conftest import HUB_USER, OTHER_SITE, SITE, Fleet
from tests.security.mqtt_probe import Probe
from tests.support.kitchen import placed, state
from tests.support.waiting import wait_for

NOT_AUTHORIZED = 0x87
QUIET = 0.7


def kitchen_conf(tmp_path: Path, fleet: Fleet, device: str, password: str) -> KitchenConfig:
    """A KDS config file as an installer writes it: [broker] with user and password file."""
    secret = tmp_path / f"{device}.password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    path = tmp_path / f"{device}.toml"
    path.write_text(
        f'mode = "kds"\nsite_id = "{SITE}"\ndevice_id = "{device}"\n'
        f'store_path = "{tmp_path / (device + ".db")}"\nannounce = "off"\n'
        f'[broker]\nhost = "{fleet.broker.host}"\nport = {fleet.broker.port}\n'
        f'username = "{device}"\npassword_file = "{secret}"\n')
    return load_kitchen_config(path)


def kds_store(cfg: KitchenConfig) -> KdsStore:
    """The KDS store of a config."""
    return KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id)


@pytest.fixture
def closing() -> Iterator[list[Probe | KitchenLink | Agent]]:
    """Probes, links and agents made in a test, stopped at its end."""
    made: list[Probe | KitchenLink | Agent] = []
    yield made
    for m in reversed(made):
        if isinstance(m, Probe):
            m.close()
        else:
            m.stop()


def probe(fleet: Fleet, closing: list[Probe | KitchenLink | Agent], user: str,
          password: str) -> Probe:
    """A connected probe (asserted accepted)."""
    p = Probe(fleet.broker, user, password)
    closing.append(p)
    assert p.connect(), f"{user} was refused: {p.connack}"
    return p


def test_kds_with_issued_credentials_gets_orders_and_sends_its_states_only_as_itself(
    fleet: Fleet, tmp_path: Path, closing: list[Probe | KitchenLink | Agent]
) -> None:
    cfg = kitchen_conf(tmp_path, fleet, "kds-1", fleet.creds["kds-1"].password)
    hub = probe(fleet, closing, HUB_USER, fleet.creds[HUB_USER].password)
    hub.subscribe(uplink_filter())
    link = KitchenLink(cfg, lambda: kds_store(cfg))
    closing.append(link)
    link.start()
    wait_for(lambda: link.status.connected, 10, "the kitchen link logged in as kds-1")
    # The KDS's own agent (same device, same login, its own client id) sends its events.
    base = agent_config(tmp_path, fleet.broker)
    agent = Agent(base.model_copy(update={
        "site_id": SITE, "device_id": "kds-1", "store_path": cfg.store_path,
        "broker": base.broker.model_copy(update={
            "username": cfg.broker.username, "password_file": cfg.broker.password_file}),
    }))
    closing.append(agent)
    agent.start()

    order = placed()
    assert isinstance(order.payload, OrderPlaced)
    order_id = order.payload.order_id
    kiosk = probe(fleet, closing, "kiosk-1", fleet.creds["kiosk-1"].password)
    assert not kiosk.publish(order.topic(), encode(order)).is_failure
    elsewhere = placed().model_copy(update={"site": OTHER_SITE, "device": "kiosk-9"})
    probe(fleet, closing, "kiosk-9", fleet.creds["kiosk-9"].password).publish(
        elsewhere.topic(), encode(elsewhere))
    view = kds_store(cfg)
    wait_for(lambda: len(view.open_tickets()) == 2, 10, "the site's order on the KDS")
    assert {t.order_id for t in view.open_tickets()} == {order_id}
    assert view.bump(order_id, "wok")

    states: list[tuple[str, str | None]] = []

    def hub_has_states() -> bool:
        for topic, raw in hub.received(0.1):
            env = parse(raw, topic=topic)  # the topic ties the envelope to its sender
            if isinstance(env.payload, OrderStateChanged) and env.device == "kds-1":
                assert env.payload.order_id == order_id
                states.append((env.payload.state, env.payload.station))
        return ("ready", "wok") in states

    wait_for(hub_has_states, 15, "kds-1's order.state at the hub")
    assert ("in_preparation", "noodles") in states

    # Its presence was accepted: the retained "online" is on its own display topic.
    same_login = probe(fleet, closing, "kds-1", cfg.broker.password() or "")
    same_login.subscribe(kitchen_filter(SITE))
    presence = dict(same_login.received(1.0))
    online = parse(presence[display_topic(SITE, "kds-1")]).payload
    assert isinstance(online, DeviceStatus) and online.state == "online"

    # The same login cannot speak for another device, nor show up as another display.
    forged = [
        (uplink_topic(SITE, "kiosk-1", "order.state"),
         state(order_id, "ready", 1, "noodles", device="kiosk-1")),
        (uplink_topic(SITE, "kiosk-2", "order.placed"), placed()),
        (display_topic(SITE, "kds-2"), None),
    ]
    for topic, env in forged:
        rc = same_login.publish(topic, encode(env) if env is not None else b"forged")
        assert rc.value == NOT_AUTHORIZED, (topic, rc)
    assert [t for t, _ in hub.received(QUIET) if "/kds-1/" not in t] == []
    assert display_topic(SITE, "kds-2") not in dict(same_login.received(0.2))


def test_kitchen_link_with_a_wrong_password_is_refused(
    fleet: Fleet, tmp_path: Path, closing: list[Probe | KitchenLink | Agent],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = kitchen_conf(tmp_path, fleet, "kds-1", "not-" + fleet.creds["kds-1"].password)
    link = KitchenLink(cfg, lambda: kds_store(cfg))
    closing.append(link)
    link.start()
    order = placed()
    kiosk = probe(fleet, closing, "kiosk-1", fleet.creds["kiosk-1"].password)
    kiosk.publish(order.topic(), encode(order))
    refusal = "broker refused the connection: Not authorized"
    wait_for(lambda: refusal in caplog.text, 10, "the broker's refusal")
    time.sleep(QUIET)  # it keeps retrying, and keeps being refused
    assert not link.status.connected and link.last_error is not None
    assert kds_store(cfg).open_tickets() == []
    wrong = Probe(fleet.broker, "kds-1", cfg.broker.password())
    closing.append(wrong)
    assert not wrong.connect()
    assert wrong.connack is not None and wrong.connack.is_failure
