"""KDS and pickup board in Chinese and English, shot under Xvfb and copied to docs/."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.broker import PrivateBroker
from edge_agent.downlinks import DownlinkApplier
from edge_agent.kitchen.board_store import BoardStore
from edge_agent.kitchen.config import load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from protocol import make_envelope, new_order_id
from tests.kitchen.conftest import kitchen_toml, run_screen
from tests.support.kitchen import LUNCH, draft, named_catalog, state
from tests.support.screenshots import publish_screenshot

pytestmark = pytest.mark.screen


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kds_and_pickup_screens(broker: PrivateBroker, tmp_path: Path, lang: str) -> None:
    kconf = kitchen_toml(tmp_path / "kds.toml", broker, "kds-1", language=lang)
    cfg = load_kitchen_config(kconf)
    store = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
    # The hub's catalog names the stations: the screen shows 炒锅 / Wok, not "wok".
    DownlinkApplier(store.conn, site_id="site-1").apply_catalog(named_catalog())
    now = datetime.now(UTC)
    notes = {0: ("", "不要香菜"), 2: ("多放葱 extra scallions", ""), 4: ("", "面要软一点")}
    for i, age_min in enumerate((9, 6, 3, 2, 1, 0.2)):
        d = draft(*LUNCH, notes=notes.get(i, ()))
        d["lines"][0]["modifiers"] = [{"code": "less_spicy", "name_zh": "少辣",
                                       "name_en": "Less spicy", "price_delta_cents": 0}]
        payload = {**d, "order_id": new_order_id(), "order_no": f"A{i + 21:03d}",
                   "placed_at": now - timedelta(minutes=age_min)}
        store.apply_envelope(make_envelope("order.placed", payload, site="site-1",
                                           device="kiosk-1"))
    shot = tmp_path / f"kds-{lang}.png"
    out = run_screen(kconf, tmp_path / "kds.json", "--expect", "12", "--shot", str(shot))
    assert len(out["cards"]) == 12 and out["banner"] == ""
    # What a cook reads: the note is on its ticket, the header keeps station and age apart.
    notes_shown = [c[3] for c in out["cards"] if c[3]]
    assert len(notes_shown) == 3 and any("不要香菜" in n for n in notes_shown)
    assert min(out["header_gaps"]) >= 8  # dp(10) spacing
    named = {"zh": {"炒锅", "面档"}, "en": {"Wok", "Noodle Bar"}}[lang]
    assert {c[4] for c in out["cards"]} == named
    publish_screenshot(tmp_path / f"kds-{lang}0001.png", f"kds-{lang}.png")

    pconf = kitchen_toml(tmp_path / "pickup.toml", broker, "pickup-1", mode="pickup",
                         language=lang)
    board = BoardStore(load_kitchen_config(pconf).store_path, site_id="site-1",
                       device_id="pickup-1")
    for i in range(10):
        oid, no = new_order_id(), f"A{i + 31:03d}"
        minutes = (now - timedelta(minutes=10 - i) - _t0()).total_seconds() / 60
        board.apply_envelope(state(oid, "in_preparation", minutes, "wok", order_no=no))
        if i < 6:
            board.apply_envelope(state(oid, "ready", minutes + 0.1, "wok", order_no=no))
            board.apply_envelope(state(oid, "ready", minutes + 0.2, "noodles", order_no=no))
    out = run_screen(pconf, tmp_path / "p.json", "--expect", "6", "--shot",
                     str(tmp_path / f"pickup-{lang}.png"))
    assert out["ready"][:3] == ["A036", "A035", "A034"]
    assert len(out["preparing"]) == 4
    publish_screenshot(tmp_path / f"pickup-{lang}0001.png", f"pickup-{lang}.png")


def _t0() -> datetime:
    from tests.support.kitchen import T0

    return T0


def test_kds_banner_when_the_broker_is_killed(broker: PrivateBroker, tmp_path: Path) -> None:
    """The red banner, with the time of loss and of the last message, on a real broker kill."""
    import threading

    from paho.mqtt import publish

    from protocol.codec import encode
    from tests.support.kitchen import placed, wait_online

    kconf = kitchen_toml(tmp_path / "kds.toml", broker, "kds-1", language="zh")
    out: dict[str, Any] = {}
    shot = tmp_path / "kds-offline-zh.png"
    screen = threading.Thread(target=lambda: out.update(run_screen(
        kconf, tmp_path / "kds.json", "--expect", "4", "--banner", "--shot", str(shot),
        "--timeout", "60", timeout=90)))
    screen.start()
    wait_online(broker, "kds-1")
    for no in ("A041", "A042"):  # two orders from a kiosk, over the broker
        env = placed(new_order_id(), order_no=no, placed_at=datetime.now(UTC))
        publish.single(env.topic(), encode(env), qos=1, hostname=broker.host, port=broker.port)
    time.sleep(1.5)  # the tickets are on screen
    broker.kill()
    screen.join(100)
    banner = str(out["banner"])
    assert banner.startswith("与厨房服务器断开 — 断开于 ") and "最后消息" in banner
    assert "无" not in banner.split("最后消息")[1]  # a real last-message time is shown
    assert len(out["cards"]) == 4  # tickets stay while offline
    publish_screenshot(tmp_path / "kds-offline-zh0001.png", "kds-offline-zh.png")
