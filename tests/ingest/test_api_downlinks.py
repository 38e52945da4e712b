"""Totals API, price review flags, heartbeats and the catalog downlink (SQLite, Mosquitto)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlmodel import Session

from demo.broker import PrivateBroker
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.app import create_app
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.models import Dish, MealPeriod, Menu, MenuItem
from hub.settings import Settings
from protocol import (
    CatalogSnapshot,
    encode,
    make_envelope,
    new_order_id,
    parse,
    site_downlink_topic,
)
from tests.ingest.helpers import SITE, api_headers, prepare_hub, scalar, start_worker, stop


def order_msg(device: str, placed_at: datetime, seed: int, **changes: Any) -> Inbound:
    """An order.placed message as a device would send it."""
    draft = make_draft(random.Random(seed), FALLBACK_DISHES)
    payload = {**draft, "order_id": new_order_id(), "order_no": f"A{seed:03d}",
               "placed_at": placed_at, **changes}
    env = make_envelope("order.placed", payload, site=SITE, device=device)
    return Inbound(env.topic(), encode(env))


def test_totals_per_device_site_and_local_day(sqlite_hub: Settings) -> None:
    engine = prepare_hub(sqlite_hub, ["k1", "k2"])
    # 15:59 UTC is 23:59 in Shanghai, 16:01 UTC is 00:01 the next day there.
    late = datetime(2025, 3, 1, 15, 59, tzinfo=UTC)
    early = datetime(2025, 3, 1, 16, 1, tzinfo=UTC)
    msgs = [order_msg("k1", late, 1), order_msg("k1", early, 2), order_msg("k2", early, 3)]
    outcomes = BatchWriter(engine).write(msgs)
    assert [o.result for o in outcomes] == ["ok"] * 3
    cents = [parse(m.raw).payload.total_cents for m in msgs]  # type: ignore[attr-defined]
    app = create_app(sqlite_hub)
    with TestClient(app) as client:
        h = api_headers(app, "manager")
        by_device = client.get("/api/v1/sync/totals?group_by=device", headers=h).json()
        assert by_device == [
            {"site": SITE, "device": "k1", "day": None, "orders": 2,
             "total_cents": cents[0] + cents[1]},
            {"site": SITE, "device": "k2", "day": None, "orders": 1, "total_cents": cents[2]},
        ]
        by_site = client.get(f"/api/v1/sync/totals?group_by=site&site={SITE}", headers=h).json()
        assert by_site == [{"site": SITE, "device": None, "day": None, "orders": 3,
                            "total_cents": sum(cents)}]
        by_day = client.get("/api/v1/sync/totals?group_by=day", headers=h).json()
        assert [(r["day"], r["orders"], r["total_cents"]) for r in by_day] == [
            ("2025-03-01", 1, cents[0]), ("2025-03-02", 2, cents[1] + cents[2])]
        assert client.get("/api/v1/sync/totals?group_by=week", headers=h).status_code == 422
        assert client.get("/api/v1/sync/totals", headers=api_headers(app, "kitchen")
                          ).status_code == 403


def test_price_difference_flagged_order_kept(sqlite_hub: Settings) -> None:
    engine = prepare_hub(sqlite_hub, ["k1"])
    with Session(engine) as s:
        for d in FALLBACK_DISHES:  # the hub's price of rice is 1.50, the kiosk's 1.00
            price = 150 if d.dish_id == "d-rice" else d.price_cents
            s.add(Dish(code=d.dish_id, name_zh=d.name_zh, name_en=d.name_en,
                       category="hot", price_cents=price, station=d.station))
        s.commit()
    at = datetime(2025, 3, 1, 4, 0, tzinfo=UTC)
    line = {"dish_id": "d-rice", "name_zh": "米饭", "name_en": "Rice", "qty": 2,
            "unit_price_cents": 100, "line_total_cents": 200, "station": "staple"}
    fair = {"dish_id": "d-soup", "name_zh": "汤", "name_en": "Soup", "qty": 1,
            "unit_price_cents": 300, "line_total_cents": 300, "station": "soup"}
    pay = [{"method": "counter", "amount_cents": 200}]
    cheap = order_msg("k1", at, 1, lines=[line], subtotal_cents=200, total_cents=200,
                      payments=pay, member_id=None, paid=False)
    ok = order_msg("k1", at, 2, lines=[fair], subtotal_cents=300, total_cents=300,
                   payments=[{"method": "counter", "amount_cents": 300}], member_id=None,
                   paid=False)
    assert [o.result for o in BatchWriter(engine).write([cheap, ok])] == ["ok", "ok"]
    oid = parse(cheap.raw).payload.order_id  # type: ignore[attr-defined]
    assert scalar(engine, "SELECT total_cents FROM orders WHERE id = :i", i=oid) == 200
    assert scalar(engine, "SELECT count(*) FROM sync_price_review") == 1
    assert scalar(engine, "SELECT hub_subtotal_cents FROM sync_price_review WHERE order_id = :i",
                  i=oid) == 300
    assert scalar(engine, "SELECT kiosk_total_cents FROM sync_price_review") == 200


def test_heartbeat_updates_health_and_feedback_waits_for_its_order(sqlite_hub: Settings) -> None:
    engine = prepare_hub(sqlite_hub, ["k1"])
    w = BatchWriter(engine)
    at = datetime(2025, 3, 1, 4, 0, tzinfo=UTC)
    order = order_msg("k1", at, 1)
    order_id = parse(order.raw).payload.order_id  # type: ignore[attr-defined]
    fb = make_envelope("feedback.given", {"order_id": order_id, "rating": 5,
                                          "tags": ["great_taste"]}, site=SITE, device="k1")
    hb = make_envelope("device.heartbeat", {"queue_depth": 7, "disk_free_mb": 100,
                                            "uptime_s": 5, "app_version": "x"},
                       site=SITE, device="k1")
    first = w.write([Inbound(fb.topic(), encode(fb)), Inbound(hb.topic(), encode(hb))])
    assert [o.result for o in first] == ["deferred", "none"]
    assert scalar(engine, "SELECT queue_depth FROM sync_device_health") == 7
    assert scalar(engine, "SELECT count(*) FROM feedback") == 0
    second = w.write([order, Inbound(fb.topic(), encode(fb))])
    assert [o.result for o in second] == ["ok", "ok"]
    assert scalar(engine, "SELECT rating FROM feedback") == 5


@pytest.fixture
def catalog_site(sqlite_hub: Settings) -> Settings:
    engine = prepare_hub(sqlite_hub, ["k1"])
    with Session(engine) as s:
        site_id = scalar(engine, "SELECT id FROM site WHERE code = :c", c=SITE)
        period = MealPeriod(site_id=site_id, code="lunch", name_zh="午餐", name_en="Lunch",
                            start=time(11), end=time(13, 30))
        dish = Dish(code="d-rice", name_zh="米饭", name_en="Rice", category="staple",
                    price_cents=100, station="staple")
        s.add_all([period, dish])
        s.flush()
        menu = Menu(site_id=site_id, meal_period_id=period.id)  # type: ignore[arg-type]
        s.add(menu)
        s.flush()
        s.add(MenuItem(menu_id=menu.id, dish_id=dish.id))  # type: ignore[arg-type]
        s.commit()
    engine.dispose()
    return sqlite_hub


def test_publish_catalog_retained_and_versioned(
    catalog_site: Settings, broker: PrivateBroker
) -> None:
    app = create_app(catalog_site.model_copy(
        update={"mqtt_host": broker.host, "mqtt_port": broker.port}))
    with TestClient(app) as client:
        site_id = scalar(app.state.engine, "SELECT id FROM site WHERE code = :c", c=SITE)
        url = f"/api/v1/sync/sites/{site_id}/publish-catalog"
        h = api_headers(app, "admin")
        assert client.post(url, headers=h).json()["version"] == 1
        assert client.post(url, headers=h).json()["version"] == 1  # unchanged: same version
        with Session(app.state.engine) as s:
            dish = s.get(Dish, 1)
            assert dish is not None
            dish.price_cents = 120
            s.add(dish)
            s.commit()
        assert client.post(url, headers=h).json()["version"] == 2
        assert client.post("/api/v1/sync/sites/999/publish-catalog", headers=h
                           ).status_code == 404
        assert client.post(url, headers=api_headers(app, "cashier")).status_code == 403
    snap = retained(broker, site_downlink_topic(SITE, "catalog")).payload_as(CatalogSnapshot)
    assert snap.version == 2 and [(d.id, d.price_cents) for d in snap.dishes] == [("d-rice", 120)]
    assert snap.menus[0].meal_period == "lunch" and snap.meal_periods[0].start == "11:00"


def retained(broker: PrivateBroker, topic: str) -> Any:
    """The retained message on a topic, parsed by protocol (what a new device receives)."""
    got: list[bytes] = []
    done = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)

    def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        got.append(bytes(msg.payload))
        done.set()

    c.on_message = on_message
    c.connect(broker.host, broker.port)
    c.subscribe(topic, qos=1)
    c.loop_start()
    assert done.wait(30), "no retained message"
    c.disconnect()
    c.loop_stop()
    return parse(got[0], topic=topic)


def test_worker_publishes_catalogs_when_it_connects(
    catalog_site: Settings, broker: PrivateBroker, tmp_path: Path
) -> None:
    worker = start_worker(catalog_site, broker, "w1", tmp_path / "logs", catalog=True)
    try:
        snap = retained(broker, site_downlink_topic(SITE, "catalog")).payload_as(CatalogSnapshot)
        assert snap.version == 1 and [d.id for d in snap.dishes] == ["d-rice"]
    finally:
        stop(worker)
    assert worker.returncode == 0
