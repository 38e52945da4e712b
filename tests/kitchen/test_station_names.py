"""The KDS names stations from the catalog in the screen's language (the code only if unnamed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.downlinks import DownlinkApplier
from edge_agent.kitchen.config import KitchenConfig
from edge_agent.kitchen.kds_store import KdsStore
from kiosk.kds.controller import KdsController
from protocol import make_envelope, new_order_id
from tests.support.kitchen import LUNCH, T0, draft, named_catalog


def screen(tmp_path: Path, language: str) -> KdsController:
    """A KDS controller over a store with one LUNCH order (no broker needed)."""
    cfg = KitchenConfig.model_validate({"site_id": "site-1", "device_id": "kds-1",
                                        "store_path": tmp_path / "kds.db",
                                        "language": language})
    store = KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1")
    payload = {**draft(*LUNCH), "order_id": new_order_id(), "order_no": "A001", "placed_at": T0}
    store.apply_envelope(make_envelope("order.placed", payload, site="site-1", device="kiosk-1"))
    return KdsController(store, cfg, now=lambda: T0)


@pytest.mark.parametrize(("language", "wok", "noodles"),
                         [("zh", "炒锅", "面档"), ("en", "Wok", "Noodle Bar")])
def test_station_names_follow_the_screen_language(
    tmp_path: Path, language: str, wok: str, noodles: str
) -> None:
    kds = screen(tmp_path, language)
    assert sorted(c["station_text"] for c in kds.refresh().cards) == ["noodles", "wok"]
    DownlinkApplier(kds.store.conn, site_id="site-1").apply_catalog(named_catalog())
    view = kds.refresh()  # a new catalog version is read on the next refresh
    assert {c["station"]: c["station_text"] for c in view.cards} == {
        "wok": wok, "noodles": noodles}
    assert f"{wok}: 1" in view.counts and f"{noodles}: 1" in view.counts
    # A later catalog without names: back to the codes, never a stale name.
    DownlinkApplier(kds.store.conn, site_id="site-1").apply_catalog(
        named_catalog(version=2, stations=()))
    assert {c["station_text"] for c in kds.refresh().cards} == {"wok", "noodles"}
