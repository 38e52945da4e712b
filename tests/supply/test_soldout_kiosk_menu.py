"""The kiosk's menu from the site's portion counts: a dish with portions left is on, the
kiosk's own last sale makes it sold out (cannot be opened), portions added bring it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge_agent import portions
from protocol import encode
from tests.kiosk.controllers.conftest import LUNCH, Kiosk, make_kiosk, order_dish

DAY = LUNCH.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    k = make_kiosk(tmp_path)
    yield k
    k.runtime.stop()


def kitchen(kiosk: Kiosk, prepared: int, minutes: int, device: str = "kds-1") -> None:
    """A portions.prepared from the kitchen display, as the agent receives it."""
    env = portions.prepared_message(site="site-1", device=device, day=DAY, meal_period="lunch",
                                    dish_id="greens", prepared=prepared,
                                    at=LUNCH + timedelta(minutes=minutes))
    sync = portions.PortionSync(kiosk.store.conn, site_id="site-1",
                                device_id="kiosk-1")
    assert sync.handle(env.topic(), encode(env))


def greens_sold_out(kiosk: Kiosk) -> bool:
    j = kiosk.journey
    return next(d for c in j.menu.state.categories for d in c.dishes
                if d.dish_id == "greens").sold_out


def test_last_portion_sold_here_sells_out_and_added_portions_bring_it_back(
        kiosk: Kiosk) -> None:
    kitchen(kiosk, 1, 0)
    j = kiosk.journey
    j.start()
    j.identify("guest")
    j.tick()
    assert not greens_sold_out(kiosk)
    order_dish(j, "greens")
    j.open_cart()
    assert j.checkout()
    j.start()
    j.identify("guest")
    j.tick()  # the kiosk's once-a-second tick: its own sale counted at once
    assert greens_sold_out(kiosk)
    assert not j.open_dish("greens")
    assert j.state.message.zh == "抱歉，这道菜已售罄。"
    kitchen(kiosk, 4, 5)  # the kitchen added 3 (a running total, newer)
    kitchen(kiosk, 1, 1, device="kds-2")  # an older total from another setter loses
    j.tick()
    assert not greens_sold_out(kiosk)
    j.dismiss_message()
    assert j.open_dish("greens"), j.state.message
