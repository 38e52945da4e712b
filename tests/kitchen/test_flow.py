"""Kiosk order -> agent -> site broker -> KDS -> bump -> pickup board -> hub, on real parts.

Real Mosquitto (killed -9 and restarted mid-shift), real edge agent processes, real
SQLite stores, the KDS window in its own process under Xvfb. The hub side is the hub
tracking service fed from the broker by a persistent session (the ingest worker has
no per-type dispatch yet); it is down during service and catches up afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

import hub.models  # noqa: F401
from demo.broker import PrivateBroker
from edge_agent.kitchen.board_store import BoardStore
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink
from edge_agent.store import DeviceStore
from hub.tracking import queries
from tests.kitchen.conftest import agent_toml, kitchen_toml, run_screen, start_agent
from tests.support.kitchen import LUNCH, HubTracker, draft
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.screen, pytest.mark.slow]






def _link(cfg: KitchenConfig, make: Callable[[], object]) -> KitchenLink:
    link = KitchenLink(cfg, make)  # type: ignore[arg-type]
    link.start()
    wait_for(lambda: link.status.connected)
    return link


def test_order_to_kds_to_pickup_to_hub_through_restarts(
    broker: PrivateBroker, tmp_path: Path, agents: dict, artifacts: Path
) -> None:
    for dev in ("kiosk-1", "kds-1", "pickup-1"):
        start_agent(agents, agent_toml(tmp_path / f"{dev}.agent.toml", broker, dev), dev)
    kds_cfg = load_kitchen_config(kitchen_toml(tmp_path / "kds-1.toml", broker, "kds-1",
                                               stations=("wok", "noodles")))
    pick_cfg = load_kitchen_config(kitchen_toml(tmp_path / "pickup-1.toml", broker,
                                                "pickup-1", mode="pickup"))
    hub_cfg = KitchenConfig(site_id="site-1", device_id="hub-tracking",
                            store_path=tmp_path / "unused.db", broker_port=broker.port)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    SQLModel.metadata.create_all(engine)
    # The hub subscribes once, then goes down for the whole service.
    _link(hub_cfg, lambda: HubTracker(engine)).stop()

    def kds_store() -> KdsStore:
        return KdsStore(kds_cfg.store_path, site_id="site-1", device_id="kds-1",
                        stations=kds_cfg.stations)

    def board() -> BoardStore:
        return BoardStore(pick_cfg.store_path, site_id="site-1", device_id="pickup-1")

    kds = _link(kds_cfg, kds_store)
    pickup = _link(pick_cfg, board)
    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")
    view = kds_store()

    def order(n: int) -> None:
        for _ in range(n):
            kiosk.record_order(draft(*LUNCH))

    order(5)
    wait_for(lambda: len(view.open_tickets()) == 10)
    broker.kill()  # mid-shift crash of the site broker
    wait_for(lambda: not kds.status.connected, 5)
    order(5)  # the kiosk keeps selling; its agent holds the orders in the outbox
    broker.start()
    wait_for(lambda: len(view.open_tickets()) == 20, 30)
    kds.stop()  # the KDS goes away; the broker queues for its session
    order(5)
    time.sleep(1.0)
    kds = _link(kds_cfg, kds_store)
    wait_for(lambda: len(view.open_tickets()) == 30, 30)
    keys = [t.key for t in view.open_tickets()]
    assert len(set(keys)) == 30  # nothing lost, nothing shown twice
    kds.stop()

    # The cook's window, in its own process: sees the 30 tickets, bumps every one.
    shown = run_screen(tmp_path / "kds-1.toml", tmp_path / "kds.json", "--expect", "30",
                       "--shot", str(artifacts / "kds-flow.png"), "--bump-all")
    assert len(shown["cards"]) == 30 and shown["banner"] == ""
    assert shown["after_bump"] == 0
    pick = board()
    numbers = [o.payload.order_no for o in _orders(kiosk)]
    wait_for(lambda: all(pick.state_of(n) == "ready" for n in numbers), 30)
    assert pick.collect(numbers[0]) and pick.state_of(numbers[0]) == "collected"
    pickup.stop()

    # The hub comes back and catches up from its persistent session.
    tracker = _link(hub_cfg, lambda: HubTracker(engine))
    with Session(engine) as s:
        wait_for(lambda: len(_states(engine)) == 15 and set(_states(engine).values()) <= {
            "ready", "collected"}, 30)
        # Ready can be folded before the kiosk's order.placed re-send lands: wait for all five.
        oid = _orders(kiosk)[1].payload.order_id
        wait_for(lambda: len(getattr(queries.timeline(s, oid), "events", [])) == 5, 15)
        tl = queries.timeline(s, oid)
        assert tl is not None and tl.state == "ready"
        assert [e.state for e in tl.events][:1] == ["placed"]
        assert sorted(e.state for e in tl.events) == [
            "in_preparation", "in_preparation", "placed", "ready", "ready"]
    wait_for(lambda: _states(engine).get(_orders(kiosk)[0].payload.order_id) == "collected", 15)
    tracker.stop()


def _orders(kiosk: DeviceStore) -> list:
    from edge_agent.store import RecordedOrder  # noqa: F401  (type only)
    from protocol import OrderPlaced

    rows = kiosk.conn.execute("SELECT payload FROM orders ORDER BY order_no").fetchall()
    return [type("R", (), {"payload": OrderPlaced.model_validate_json(r[0])}) for r in rows]


def _states(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT order_id, state FROM order_track")).all()
        return {str(r[0]): str(r[1]) for r in rows}
