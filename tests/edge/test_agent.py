"""The agent on a real Mosquitto with a fake hub: delete only after ack, re-send, dead letters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from protocol.envelope import Envelope
from tests.edge.conftest import (
    DEVICE,
    FakeHub,
    agent_config,
    catalog_msg,
    draft,
    open_store,
    outbox_depth,
    wait_for,
)


@pytest.fixture
def cfg(tmp_path: Path, broker: PrivateBroker) -> AgentConfig:
    return agent_config(tmp_path, broker)


@pytest.fixture
def agent(cfg: AgentConfig) -> Iterator[Agent]:
    a = Agent(cfg)
    a.start()
    try:
        yield a
    finally:
        a.stop()


def record(cfg: AgentConfig, n: int) -> int:
    """Record n orders as the kiosk would; returns their money total."""
    with open_store(cfg) as store:
        return sum(store.record_order(draft(i)).total_cents for i in range(n))


def test_rows_deleted_only_after_the_hub_acks(broker: PrivateBroker, cfg: AgentConfig) -> None:
    acking = [False]
    hub = FakeHub(broker, lambda env, n: ("ok", None) if acking[0] else None).start()
    agent = Agent(
        cfg.model_copy(
            update={
                "outbox": cfg.outbox.model_copy(
                    update={"ack_timeout_s": 30.0, "max_retry_interval_s": 30.0}
                )
            }
        )
    )
    agent.start()
    try:
        total = record(cfg, 20)
        wait_for(lambda: hub.distinct() == 20, 10, "20 orders at the hub")
        time.sleep(0.5)
        # Published, received, but not acknowledged: everything is still queued.
        assert outbox_depth(cfg) == 20
        acking[0] = True
        # New orders flow and get acked; the 20 old ones wait for their re-send.
        record(cfg, 1)
        wait_for(lambda: outbox_depth(cfg) == 20, 10, "the 21st order acked")
        assert hub.order_total()[0] == 21 and total > 0
    finally:
        agent.stop()
        hub.stop()


def test_unacked_rows_are_re_sent_after_the_timeout(
    broker: PrivateBroker, cfg: AgentConfig, agent: Agent
) -> None:
    # The hub "loses" the first delivery of every message (as if it crashed before commit).
    hub = FakeHub(broker, lambda env, n: ("ok", None) if n >= 2 else None).start()
    try:
        total = record(cfg, 10)
        wait_for(lambda: outbox_depth(cfg) == 0, 15, "outbox drained after re-sends")
        assert hub.order_total() == (10, total)
        assert all(n >= 2 for n in hub.seen.values())
        with open_store(cfg) as store:
            assert store.counters()["acked"] == 10
    finally:
        hub.stop()


def test_conflict_and_rejected_go_to_dead_letter_and_heartbeat(
    broker: PrivateBroker, cfg: AgentConfig, agent: Agent
) -> None:
    refuse = {0: ("conflict", "same id, other content"), 1: ("rejected", "unknown dish")}
    order_of: dict[str, int] = {}

    def decide(env: Envelope, n: int) -> tuple[str, str | None] | None:
        i = order_of.setdefault(env.message_id, len(order_of))
        if i == 5:
            return None  # the sixth order is never acknowledged: the agent keeps re-sending it
        return refuse.get(i, ("duplicate" if i == 2 else "ok", None))

    hub = FakeHub(broker, decide).start()
    try:
        record(cfg, 5)
        wait_for(lambda: outbox_depth(cfg) == 0, 10, "outbox empty")
        with open_store(cfg) as store:
            dead = store.conn.execute(
                "SELECT result, reason FROM dead_letter ORDER BY seq"
            ).fetchall()
            assert dead == [("conflict", "same id, other content"), ("rejected", "unknown dish")]
        # An unacknowledged order is re-sent; the dead letters, in the same store, never are.
        record(cfg, 1)
        wait_for(lambda: max(hub.seen.values()) >= 3, 30, "two re-sends of the unacked order")
        assert sorted(hub.seen.values()) == [1, 1, 1, 1, 1, max(hub.seen.values())]
        wait_for(
            lambda: any(
                hb.payload.hardware.get("agent_dead_letters") == "2"  # type: ignore[attr-defined]
                for hb in hub.heartbeats
            ),
            5,
            "a heartbeat reporting 2 dead letters",
        )
        hb = hub.heartbeats[-1].payload
        assert hb.queue_depth == 1 and hb.last_sync_at is not None  # type: ignore[attr-defined]
    finally:
        hub.stop()


def test_in_flight_window_bounds_what_is_published(tmp_path: Path, broker: PrivateBroker) -> None:
    cfg = agent_config(tmp_path, broker, window=7, ack_timeout_s=30.0, max_retry_interval_s=30.0)
    hub = FakeHub(broker, lambda env, n: None).start()  # never acks
    agent = Agent(cfg)
    agent.start()
    try:
        record(cfg, 40)
        wait_for(lambda: hub.distinct() == 7, 10, "the first window")
        time.sleep(1.5)
        assert hub.distinct() == 7
        # Oldest first: the hub got the 7 oldest rows.
        with open_store(cfg) as store:
            oldest = [
                r[0]
                for r in store.conn.execute("SELECT message_id FROM outbox ORDER BY seq LIMIT 7")
            ]
        assert sorted(hub.seen) == sorted(oldest)
    finally:
        agent.stop()
        hub.stop()


def test_status_retained_online_and_catalog_downlink_applied(
    broker: PrivateBroker, cfg: AgentConfig, agent: Agent, hub: FakeHub
) -> None:
    wait_for(lambda: hub.status.get(DEVICE) == "online", 10, "status online")
    hub.publish_site_downlink("catalog", catalog_msg(4))
    hub.publish_site_downlink("catalog", b"not json at all")
    hub.publish_site_downlink("catalog", catalog_msg(3))

    def refused_two() -> bool:
        with open_store(cfg) as store:
            return store.counters().get("refused.catalog", 0) == 2

    wait_for(refused_two, 10, "two bad catalogs refused")
    with open_store(cfg) as store:
        cat = store.catalog()
        assert cat is not None and cat.version == 4
    wait_for(
        lambda: any(hb.payload.catalog_version == 4 for hb in hub.heartbeats),  # type: ignore[attr-defined]
        5,
        "heartbeat with catalog version 4",
    )
    agent.stop()
    wait_for(lambda: hub.status.get(DEVICE) == "offline", 5, "status offline after stop")
