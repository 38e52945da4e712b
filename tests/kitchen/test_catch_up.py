"""A display that was off catches up after another bumped: its late "started" reopens nothing.

Real parts: a private Mosquitto, edge agent processes for the kiosk and both wok displays
(they publish the displays' events and re-send them, as no hub acks here), both KDS links
and the hub tracking service on a persistent session, all on the site broker. Display 2
is off while display 1 bumps; when it comes back it first sees the ticket and emits its
started event, stamped after the bump. The ticket stays bumped on both displays and in
the hub's fold; a cook's recall still reopens it on both and at the hub.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

import hub.models  # noqa: F401  (every table, for create_all)
from demo.broker import PrivateBroker
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink
from edge_agent.store import DeviceStore
from hub.models.tracking import OrderTrackEvent, OrderTrackStation
from kiosk.kds.controller import KdsController
from tests.kitchen.conftest import agent_toml, kitchen_toml, start_agent
from tests.support.kitchen import LUNCH, HubTracker, draft, resent_everything
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _store(cfg: KitchenConfig) -> KdsStore:
    return KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id,
                    stations=cfg.stations)


@pytest.fixture
def links() -> Iterator[dict[str, KitchenLink]]:
    """Links started by the test, by device; stopped at the end."""
    started: dict[str, KitchenLink] = {}
    yield started
    for link in started.values():
        link.stop()


def _start(links: dict[str, KitchenLink], cfg: KitchenConfig, make: object) -> None:
    link = KitchenLink(cfg, make)  # type: ignore[arg-type]
    link.start()
    links[cfg.device_id] = link
    wait_for(lambda: link.status.connected)


def _hub_station(engine: sa.Engine, order_id: str) -> str | None:
    with Session(engine) as s:
        row = s.get(OrderTrackStation, (order_id, "wok"))
        return None if row is None else row.state


def _hub_events(engine: sa.Engine, order_id: str) -> list[OrderTrackEvent]:
    with Session(engine) as s:
        return list(s.exec(select(OrderTrackEvent).where(OrderTrackEvent.order_id == order_id)
                           .order_by(col(OrderTrackEvent.at))))


@pytest.mark.parametrize("comeback", ["session", "fresh"])
def test_late_started_from_a_display_that_was_off_never_reopens_a_bump(
    broker: PrivateBroker, tmp_path: Path, agents: dict, links: dict[str, KitchenLink],
    comeback: str,
) -> None:
    for dev in ("kiosk-1", "kds-1", "kds-2"):
        start_agent(agents, agent_toml(tmp_path / f"{dev}.agent.toml", broker, dev), dev)
    a_cfg, b_cfg = (load_kitchen_config(kitchen_toml(tmp_path / f"{d}.toml", broker, d,
                                                     stations=("wok",)))
                    for d in ("kds-1", "kds-2"))
    hub_cfg = KitchenConfig(site_id="site-1", device_id="hub-tracking",
                            store_path=tmp_path / "unused.db", broker_port=broker.port)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    SQLModel.metadata.create_all(engine)
    _start(links, hub_cfg, lambda: HubTracker(engine))
    _start(links, a_cfg, lambda: _store(a_cfg))
    if comeback == "session":  # display 2 had subscribed before: the broker queues for it
        _start(links, b_cfg, lambda: _store(b_cfg))
        links.pop("kds-2").stop()
    a, b = KdsController(_store(a_cfg), a_cfg), KdsController(_store(b_cfg), b_cfg)

    def shown(screen: KdsController) -> list[str]:
        return [c["title"].split()[-1] for c in screen.refresh().cards]

    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")
    orders = [kiosk.record_order(draft(LUNCH[0])).payload for _ in range(2)]
    first, second = (o.order_no for o in orders)
    wait_for(lambda: shown(a) == [first, second])

    # Display 2 is off; the cook at display 1 bumps the first ticket.
    assert a.key("1") == "select" and a.key("b") == "bump"
    assert shown(a) == [second]
    wait_for(lambda: _hub_station(engine, orders[0].order_id) == "ready", 15)

    # Display 2 comes back and catches up; its started events are stamped after the bump.
    time.sleep(0.05)
    _start(links, b_cfg, lambda: _store(b_cfg))
    wait_for(lambda: shown(b) == [second], 30, lambda: shown(b))

    def b_started() -> list[OrderTrackEvent]:
        return [e for e in _hub_events(engine, orders[1].order_id)
                if e.device_code == "kds-2" and e.state == "in_preparation"]

    wait_for(lambda: len(b_started()) == 1, 15)  # display 2's start reached the site
    events = _hub_events(engine, orders[0].order_id)
    bump_at = next(e.at for e in events if e.state == "ready")
    late = [e for e in events if e.device_code == "kds-2"]
    # With its session kept the display saw the ticket open for a moment and said so,
    # stamped after the bump; seen fresh it may learn of the bump first and say nothing.
    assert all(e.state == "in_preparation" and not e.recall and e.at > bump_at for e in late)
    if comeback == "session":
        assert late

    # The agents re-send everything (no hub acks): still bumped on both and at the hub.
    stores = [tmp_path / "kiosk-1.db", a_cfg.store_path, b_cfg.store_path]
    wait_for(lambda: resent_everything(*stores), 60, "every event re-sent twice")
    assert shown(a) == shown(b) == [second]
    assert _hub_station(engine, orders[0].order_id) == "ready"

    # A real recall (at display 2) reopens the ticket on both and at the hub.
    assert b.key("r") == "recall"
    assert shown(b) == [first, second]
    wait_for(lambda: shown(a) == [first, second], 15, lambda: shown(a))
    wait_for(lambda: _hub_station(engine, orders[0].order_id) == "in_preparation", 15)

    # Bumped again at display 1: gone from both, ready at the hub.
    time.sleep(0.05)
    a.refresh()
    assert a.key("1") == "select" and a.key("b") == "bump"
    wait_for(lambda: shown(a) == shown(b) == [second], 15, lambda: (shown(a), shown(b)))
    wait_for(lambda: _hub_station(engine, orders[0].order_id) == "ready", 15)
