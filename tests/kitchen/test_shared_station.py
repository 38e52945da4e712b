"""Two kitchen displays on one station: a bump or recall on one shows on the other.

Real parts: a private Mosquitto, edge agent processes for the kiosk and both displays
(they publish the displays' order.state events, and re-send them until a hub acks,
which here never happens: replays must change nothing), both KDS links in this process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.kitchen.config import KitchenConfig, load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.kitchen.link import KitchenLink
from edge_agent.store import DeviceStore
from kiosk.kds.controller import KdsController
from tests.kitchen.conftest import agent_toml, kitchen_toml, start_agent
from tests.support.kitchen import LUNCH, draft, resent_everything
from tests.support.waiting import wait_for


def _store(cfg: KitchenConfig) -> KdsStore:
    return KdsStore(cfg.store_path, site_id=cfg.site_id, device_id=cfg.device_id,
                    stations=cfg.stations)


@pytest.fixture
def links() -> Iterator[list[KitchenLink]]:
    """Links started by the test; stopped at the end."""
    started: list[KitchenLink] = []
    yield started
    for link in started:
        link.stop()


def test_a_bump_on_one_display_shows_on_the_other(
    broker: PrivateBroker, tmp_path: Path, agents: dict, links: list[KitchenLink]
) -> None:
    for dev in ("kiosk-1", "kds-1", "kds-2"):
        start_agent(agents, agent_toml(tmp_path / f"{dev}.agent.toml", broker, dev), dev)
    cfgs = [load_kitchen_config(kitchen_toml(tmp_path / f"{d}.toml", broker, d,
                                             stations=("wok",)))
            for d in ("kds-1", "kds-2")]
    for cfg in cfgs:
        link = KitchenLink(cfg, lambda cfg=cfg: _store(cfg))  # type: ignore[misc]
        link.start()
        links.append(link)
    wait_for(lambda: all(link.status.connected for link in links))
    screens = [KdsController(_store(cfg), cfg) for cfg in cfgs]

    def shown(i: int) -> list[str]:
        return [c["title"].split()[-1] for c in screens[i].refresh().cards]

    kiosk = DeviceStore(tmp_path / "kiosk-1.db", site_id="site-1", device_id="kiosk-1")
    numbers = [kiosk.record_order(draft(*LUNCH)).payload.order_no for _ in range(3)]
    wait_for(lambda: shown(0) == numbers and shown(1) == numbers)

    # The cook at display 1 bumps the first ticket; display 2 loses it too.
    assert screens[0].key("1") == "select" and screens[0].key("b") == "bump"
    assert shown(0) == numbers[1:]
    wait_for(lambda: shown(1) == numbers[1:], 15)

    # At display 2 the other cook bumps the second one, then recalls it.
    screens[1].refresh()
    assert screens[1].key("1") == "select" and screens[1].key("b") == "bump"
    wait_for(lambda: shown(0) == numbers[2:], 15)
    time.sleep(0.05)  # the recall is stamped later than the bump
    assert screens[1].key("r") == "recall"
    wait_for(lambda: shown(0) == numbers[1:], 15)

    # The agents re-send every event (no hub acks them here): replays change nothing.
    stores = [tmp_path / "kiosk-1.db", *(cfg.store_path for cfg in cfgs)]
    wait_for(lambda: resent_everything(*stores), 60, "every event re-sent twice")
    assert shown(0) == shown(1) == numbers[1:]
