"""Sold-out kiosk to kiosk through the site broker, with no hub at all (real Mosquitto).

The kitchen says how many portions it prepared; every order on any kiosk counts them
down; at zero the dish is sold out on every kiosk of the site within 5 s, and comes back
when the kitchen adds portions. A kiosk that joins later learns the state from the
broker's retained messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.broker import PrivateBroker
from edge_agent import portions
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.downlinks import DownlinkApplier
from edge_agent.kitchen.kds_store import KdsStore
from edge_agent.store import DeviceStore
from kiosk.services.catalog import CatalogService
from protocol.payloads.bookings import PortionsRecorded, RecordedDish
from tests.support.supply import PERIOD, SITE, device_config, kiosk_draft, site_catalog
from tests.support.waiting import wait_for

SOLD_OUT_WITHIN_S = 5.0  # the promise, kiosk to kiosk
TZ = "Asia/Shanghai"


def today() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(TZ)).date().isoformat()


class Kiosk:
    """A kiosk: its agent (thread), its store and its menu service, as the app wires them."""

    def __init__(self, cfg: AgentConfig) -> None:
        self.cfg = cfg
        self.store = DeviceStore(cfg.store_path, site_id=SITE, device_id=cfg.device_id,
                                 timezone=TZ)
        DownlinkApplier(self.store.conn, site_id=SITE).apply_catalog(site_catalog())
        self.catalog = CatalogService(self.store, TZ)
        self.agent = Agent(cfg)
        self.agent.start()

    def sold_out(self, dish: str) -> bool:
        self.catalog.refresh()  # what the kiosk's once-a-second tick does
        return next(d for d in self.catalog.menu(PERIOD) if d.id == dish).sold_out

    def close(self) -> None:
        self.agent.stop()
        self.store.close()


@pytest.fixture
def site(tmp_path: Path, broker: PrivateBroker) -> Iterator[list[Kiosk]]:
    kiosks = [Kiosk(device_config(tmp_path, broker, d)) for d in ("k1", "k2")]
    yield kiosks
    for k in kiosks:
        k.close()


def kitchen_sets(broker_cfg: AgentConfig, dish: str, prepared: int) -> None:
    env = portions.prepared_message(site=SITE, device="kds1", day=today(), meal_period=PERIOD,
                                    dish_id=dish, prepared=prepared)
    portions.publish_once(broker_cfg.broker, env, client_id="kds1-portions")


def test_sold_out_everywhere_without_hub_and_back_when_portions_added(
        site: list[Kiosk], tmp_path: Path, broker: PrivateBroker) -> None:
    k1, k2 = site
    kitchen_sets(k1.cfg, "d-kungpao", 3)
    wait_for(lambda: portions.left(k2.store.conn, device_id="k2", day=today())
             == {(PERIOD, "d-kungpao"): 3}, what="the kitchen's count on kiosk 2")
    assert not k2.sold_out("d-kungpao") and not k2.sold_out("d-rice")

    k1.store.record_order(kiosk_draft("d-kungpao", 1))
    wait_for(lambda: portions.left(k2.store.conn, device_id="k2", day=today())
             == {(PERIOD, "d-kungpao"): 2}, SOLD_OUT_WITHIN_S, "one sold on kiosk 1, seen on 2")
    k2.store.record_order(kiosk_draft("d-kungpao", 2))
    assert k2.sold_out("d-kungpao")  # its own sale counts at once
    wait_for(lambda: k1.sold_out("d-kungpao"), SOLD_OUT_WITHIN_S,
             "the last portions, sold on kiosk 2, show sold out on kiosk 1")
    assert not k1.sold_out("d-rice")  # a dish the kitchen did not count stays on

    # The kitchen display adds 5 (its command line; it reads the total its own store knows
    # and publishes the new running total): the dish comes back.
    kds = Kiosk(device_config(tmp_path, broker, "kds1"))
    wait_for(lambda: portions.prepared_total(kds.store.conn, day=today(), meal_period=PERIOD,
                                             dish_id="d-kungpao") == 3, what="kds knows 3")
    toml = tmp_path / "kds1.toml"
    toml.write_text(f'site_id = "{SITE}"\ndevice_id = "kds1"\n'
                    f'store_path = "{kds.cfg.store_path}"\n'
                    f'[broker]\nhost = "{broker.host}"\nport = {broker.port}\n')
    assert portions.main(["--config", str(toml), "--dish", "d-kungpao", "--period", PERIOD,
                          "--portions", "5", "--add"]) == 0
    assert portions.main(["--config", str(toml), "--dish", "d-kungpao", "--period", PERIOD,
                          "--portions", "-1"]) == 1  # refused, nothing published
    kds.close()
    wait_for(lambda: not k1.sold_out("d-kungpao") and not k2.sold_out("d-kungpao"),
             SOLD_OUT_WITHIN_S, "the dish back on both kiosks")

    # A kiosk that starts now learns everything from the retained counts: 8 - 3 sold.
    k3 = Kiosk(device_config(tmp_path, broker, "k3"))
    try:
        wait_for(lambda: portions.left(k3.store.conn, device_id="k3", day=today())
                 == {(PERIOD, "d-kungpao"): 5}, what="retained counts on a new kiosk")
    finally:
        k3.close()


def test_the_kitchen_displays_record_counts_down_on_every_kiosk_without_hub(
        site: list[Kiosk], tmp_path: Path, broker: PrivateBroker) -> None:
    k1, k2 = site
    cfg = device_config(tmp_path, broker, "kds1")
    kds = KdsStore(cfg.store_path, site_id=SITE, device_id="kds1")
    agent = Agent(cfg)  # the display's agent, on the display's own store
    agent.start()
    try:
        at = datetime.now(UTC)
        kds.record_portions(PortionsRecorded(
            service_date=today(), meal_period=PERIOD, at=at,
            dishes=(RecordedDish(dish_id="d-kungpao", cooked=2, left_over=0),)))
        wait_for(lambda: portions.left(k1.store.conn, device_id="k1", day=today())
                 == {(PERIOD, "d-kungpao"): 2}, SOLD_OUT_WITHIN_S,
                 "the display's cooked count on kiosk 1")
        k2.store.record_order(kiosk_draft("d-kungpao", 2))
        wait_for(lambda: k1.sold_out("d-kungpao"), SOLD_OUT_WITHIN_S,
                 "sold out on kiosk 1 after kiosk 2 sold what the kitchen cooked")
        wait_for(lambda: kds.conn.execute(
            "SELECT unsent FROM portion_prepared WHERE dish_id = 'd-kungpao'").fetchone()
            == (0,), what="the display's count marked published")
        # Recording again (more cooked) replaces the count; the hub still gets each record.
        kds.record_portions(PortionsRecorded(
            service_date=today(), meal_period=PERIOD, at=at + timedelta(minutes=5),
            dishes=(RecordedDish(dish_id="d-kungpao", cooked=5, left_over=0),)))
        wait_for(lambda: not k2.sold_out("d-kungpao") and portions.left(
            k2.store.conn, device_id="k2", day=today()) == {(PERIOD, "d-kungpao"): 3},
            SOLD_OUT_WITHIN_S, "three more portions on kiosk 2")
        (records,) = kds.conn.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'portions.recorded'").fetchone()
        assert records == 2  # both wait for the hub in the display's outbox
    finally:
        agent.stop()
        kds.close()


def test_a_portion_message_for_another_site_or_topic_is_refused(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "k.db", site_id=SITE, device_id="k1", timezone=TZ)
    sync = portions.PortionSync(store.conn, site_id=SITE, device_id="k1")
    env = portions.prepared_message(site="other", device="kds1", day=today(),
                                    meal_period=PERIOD, dish_id="d-rice", prepared=0)
    from protocol import encode

    assert not sync.handle(env.topic(), encode(env))
    mine = portions.prepared_message(site=SITE, device="kds1", day=today(),
                                     meal_period=PERIOD, dish_id="d-rice", prepared=0)
    # Published on another dish's topic: the topic check refuses it.
    wrong = env.topic().replace("other", SITE).replace("d-rice", "d-soup")
    assert not sync.handle(wrong, encode(mine))
    assert sync.handle(mine.topic(), encode(mine))
    assert portions.sold_out(store.conn, device_id="k1", day=today()) == {(PERIOD, "d-rice")}
    store.close()
