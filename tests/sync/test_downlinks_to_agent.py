"""Downlinks from the hub to a real edge agent: catalog offers, member cache, device config."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from demo.broker import PrivateBroker
from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from edge_agent.store import DeviceStore
from hub.app import create_app
from hub.crypto import FieldCipher
from hub.identity.cards import add_card, block_card
from hub.identity.keys import site_identity_key
from hub.models import Dish, MealPeriod, Member, Menu, MenuItem
from hub.models.account_rules import TierDefinition
from hub.models.coupons import Promotion, PromotionKind
from hub.models.identity import MemberCard
from hub.settings import Settings
from protocol.tokens import identifier_hash
from tests.edge.conftest import draft
from tests.ingest.helpers import ROOT, SITE, api_headers, hub_env, prepare_hub, wait_for

CARD = "8800123456"


@pytest.fixture
def agent(tmp_path: Path, broker: PrivateBroker) -> Iterator[AgentConfig]:
    """A real edge agent for kiosk k1, connected (its persistent session subscribed)."""
    cfg = AgentConfig.model_validate({
        "site_id": SITE, "device_id": "k1", "store_path": str(tmp_path / "k1.db"),
        "heartbeat_interval_s": 1.0,
        "broker": {"host": broker.host, "port": broker.port, "reconnect_min_s": 0.1,
                   "reconnect_max_s": 1.0}})
    a = Agent(cfg)
    a.start()
    with DeviceStore(cfg.store_path, site_id=SITE, device_id="k1") as store:
        wait_for(lambda: (link := store.agent_link()) is not None and link.connected, 15,
                 "agent connected")
    try:
        yield cfg
    finally:
        a.stop()


def _setup(hub: Settings) -> tuple[int, int, int, str]:
    """Site with a weighed dish, a tier, a spend-save offer, a member with a card."""
    engine = prepare_hub(hub, ["k1"])
    cipher = FieldCipher.from_settings(hub)
    with Session(engine) as s:
        site_id = s.exec(select(MealPeriod.site_id)).first() or 1
        period = MealPeriod(site_id=site_id, code="lunch", name_zh="午餐", name_en="Lunch",
                            start=time(11), end=time(13, 30))
        veg = Dish(code="d-veg", name_zh="称重素菜", name_en="Weighed veg", category="veg",
                   price_cents=250, price_per_100g_cents=250, station="buffet")
        s.add_all([period, veg,
                   TierDefinition(code="gold", name_zh="金卡", name_en="Gold", rank=1,
                                  points_multiplier_pct=150),
                   Promotion(code="spend_30", kind=PromotionKind.SPEND_SAVE,
                             threshold_cents=3000, save_cents=300),
                   # A code the hub allows and the wire does not: left out, the rest sent.
                   Promotion(code="Spend-50", kind=PromotionKind.SPEND_SAVE,
                             threshold_cents=5000, save_cents=800)])
        s.flush()
        menu = Menu(site_id=site_id, meal_period_id=period.id)  # type: ignore[arg-type]
        s.add(menu)
        s.flush()
        s.add(MenuItem(menu_id=menu.id, dish_id=veg.id))  # type: ignore[arg-type]
        member = Member(member_no="m-1001", name="张三明")
        s.add(member)
        s.commit()
        assert member.id is not None
        card = add_card(session=s, cipher=cipher, member_id=member.id, card_no=CARD, actor="t")
        key = site_identity_key(session=s, cipher=cipher, site_id=site_id)
        s.commit()
        assert card.id is not None
        member_id, card_id, device_id = member.id, card.id, 1
    engine.dispose()
    return member_id, card_id, device_id, identifier_hash("card", CARD, key)


def test_catalog_members_and_config_reach_the_agent(
    hub: Settings, broker: PrivateBroker, agent: AgentConfig, tmp_path: Path
) -> None:
    member_id, card_id, device_id, card_hash = _setup(hub)
    store = DeviceStore(agent.store_path, site_id=SITE, device_id="k1")
    app = create_app(hub)
    try:
        with TestClient(app) as client:
            h = api_headers(app, "manager")
            # Catalog: offers and the per-100 g price reach the device's store.
            assert client.post("/api/v1/sync/sites/1/publish-catalog", headers=h
                               ).status_code == 200
            wait_for(lambda: store.catalog() is not None, 10, "catalog applied")
            snap = store.catalog()
            assert snap is not None
            assert [(d.id, d.price_per_100g_cents) for d in snap.dishes] == [("d-veg", 250)]
            assert [(s.code, s.threshold_cents, s.save_cents) for s in snap.offers.spend_save
                    ] == [("spend_30", 3000, 300)]
            assert [(t.code, t.points_multiplier_pct) for t in snap.offers.tiers] == [
                ("gold", 150)]

            # Member cache: the first publish is a full snapshot; the card is found.
            r = client.post("/api/v1/sync/sites/1/publish-members", headers=h)
            assert r.status_code == 200 and r.json()["to_version"] == 1000
            wait_for(lambda: store.lookup_member(card_hash) is not None, 10, "card cached")
            assert store.lookup_member(card_hash).member_id == "m-1001"  # type: ignore[union-attr]
            assert client.post("/api/v1/sync/sites/1/publish-members", headers=h
                               ).json()["to_version"] is None  # nothing changed
            assert client.post("/api/v1/sync/sites/1/publish-members",
                               headers=api_headers(app, "cashier")).status_code == 403

            # The card is blocked at the hub; the timer publisher (a real process, one
            # round) sends a delta with it as a removal; the kiosk no longer finds it.
            with Session(app.state.engine) as s:
                block_card(session=s, member_id=member_id, card_id=card_id, reason="lost",
                           actor="t")
                assert s.get(MemberCard, card_id).status == "blocked"  # type: ignore[union-attr]
            done = subprocess.run([sys.executable, "-m", "hub.downlinks", "--once"],
                                  env=hub_env(hub, broker), cwd=ROOT, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "member.delta 1000 -> 2000 of site site1" in done.stderr
            assert "0 upserts, 1 removals" in done.stderr
            wait_for(lambda: store.lookup_member(card_hash) is None, 10, "card removed")
            assert store.versions()["members"] == 2000

            # Device config: a new order prefix, pushed retained; the next order uses it.
            r = client.post(f"/api/v1/sync/devices/{device_id}/publish-config", headers=h,
                            json={"order_prefix": "K", "idle_reset_s": 60})
            assert r.status_code == 200, r.text
            assert r.json()["config"]["mode"] == "diner" and r.json()["version"] == 1
            wait_for(lambda: (c := store.device_config()) is not None
                     and c.order_prefix == "K", 10, "config applied")
            assert store.record_order(draft(3)).order_no.startswith("K")
            r = client.post(f"/api/v1/sync/devices/{device_id}/publish-config", headers=h,
                            json={"order_prefix": "B"})
            assert r.json()["version"] == 2
            wait_for(lambda: store.device_config().order_prefix == "B",  # type: ignore[union-attr]
                     10, "second config applied")
            assert client.post("/api/v1/sync/devices/99/publish-config", headers=h
                               ).status_code == 404
    finally:
        store.close()
