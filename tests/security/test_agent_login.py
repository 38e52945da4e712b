"""The edge agent logs in with its issued credentials and its orders are acked end to end."""

from __future__ import annotations

from pathlib import Path

from edge_agent.agent import Agent
from protocol.codec import encode, parse
from protocol.envelope import make_envelope
from protocol.topics import device_downlink_topic, uplink_filter
from tests.edge.conftest import agent_config, draft, open_store, outbox_depth, wait_for
from tests.security.conftest import HUB_USER, SITE, Fleet
from tests.security.mqtt_probe import Probe


def test_agent_with_issued_credentials_delivers_and_gets_acked(
    fleet: Fleet, tmp_path: Path
) -> None:
    secret = tmp_path / "broker.password"
    secret.write_text(fleet.creds["kiosk-1"].password + "\n")
    secret.chmod(0o600)
    base = agent_config(tmp_path, fleet.broker)
    cfg = base.model_copy(update={
        "site_id": SITE,
        "device_id": "kiosk-1",
        "broker": base.broker.model_copy(update={"username": "kiosk-1", "password_file": secret}),
    })
    hub = Probe(fleet.broker, HUB_USER, fleet.creds[HUB_USER].password)
    assert hub.connect()
    hub.subscribe(uplink_filter(share_group="ingest"))
    agent = Agent(cfg)
    agent.start()
    try:
        with open_store(cfg) as store:
            for i in range(3):
                store.record_order(draft(i))
        acked: set[str] = set()

        def ack_orders() -> bool:
            for topic, raw in hub.received(0.1):
                env = parse(raw, topic=topic)  # the topic ties the envelope to kiosk-1
                if env.type != "order.placed":
                    continue
                assert env.device == "kiosk-1"
                ack = make_envelope(
                    "event.ack",
                    {"acks": [{"message_id": env.message_id, "result": "ok", "reason": None}]},
                    site=SITE, device="hub",
                )
                hub.publish(device_downlink_topic(SITE, env.device, "ack"), encode(ack))
                acked.add(env.message_id)
            return len(acked) == 3

        wait_for(ack_orders, 15, "3 orders from kiosk-1 at the hub")
        wait_for(lambda: outbox_depth(cfg) == 0, 15, "the agent's outbox emptied by the acks")
    finally:
        agent.stop()
        hub.close()
