"""KDS and pickup board in Chinese and English, shot under Xvfb and copied to docs/."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from edge_agent.kitchen.board_store import BoardStore
from edge_agent.kitchen.config import load_kitchen_config
from edge_agent.kitchen.kds_store import KdsStore
from protocol import make_envelope, new_order_id
from tests.kitchen.conftest import kitchen_toml, run_screen
from tests.kitchen.helpers import LUNCH, draft, state

pytestmark = pytest.mark.screen
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kds_and_pickup_screens(broker: PrivateBroker, tmp_path: Path, lang: str) -> None:
    kconf = kitchen_toml(tmp_path / "kds.toml", broker, "kds-1", language=lang)
    cfg = load_kitchen_config(kconf)
    store = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
    now = datetime.now(UTC)
    for i, age_min in enumerate((9, 6, 3, 2, 1, 0.2)):
        d = draft(*LUNCH)
        d["lines"][0]["modifiers"] = [{"code": "less_spicy", "name_zh": "少辣",
                                       "name_en": "Less spicy", "price_delta_cents": 0}]
        payload = {**d, "order_id": new_order_id(), "order_no": f"A{i + 21:03d}",
                   "placed_at": now - timedelta(minutes=age_min)}
        store.apply_order(make_envelope("order.placed", payload, site="site-1",
                                        device="kiosk-1").payload)  # type: ignore[arg-type]
    shot = tmp_path / f"kds-{lang}.png"
    out = run_screen(kconf, tmp_path / "kds.json", "--expect", "12", "--shot", str(shot))
    assert len(out["cards"]) == 12 and out["banner"] == ""  # type: ignore[arg-type]
    shutil.copy(tmp_path / f"kds-{lang}0001.png", DOCS / f"kds-{lang}.png")

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
    assert out["ready"][:3] == ["A036", "A035", "A034"]  # type: ignore[index]
    assert len(out["preparing"]) == 4  # type: ignore[arg-type]
    shutil.copy(tmp_path / f"pickup-{lang}0001.png", DOCS / f"pickup-{lang}.png")


def _t0() -> datetime:
    from tests.kitchen.helpers import T0

    return T0
