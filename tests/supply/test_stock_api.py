"""The supply API: bad input refused with the field and the reason and nothing written;
stock, traceability, portions set on the hub reaching the kiosks through the broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from demo.broker import PrivateBroker
from edge_agent import portions as edge_portions
from edge_agent.agent import Agent
from edge_agent.store import DeviceStore
from hub.app import create_app
from hub.settings import Settings
from tests.hub.conftest import make_settings
from tests.ingest.helpers import api_headers
from tests.support.supply import PERIOD, SITE, Canteen, device_config, make_canteen
from tests.support.waiting import wait_for


def site_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Canteen, TestClient, dict[str, str], Settings]]:
    settings = make_settings(tmp_path)
    c = make_canteen(settings)
    app = create_app(settings)
    with TestClient(app) as client:
        yield c, client, api_headers(app, "manager"), settings


def count_rows(c: Canteen, table: str) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def refusal(resp: object) -> tuple[list[object], str]:
    body = resp.json()  # type: ignore[attr-defined]
    assert resp.status_code == 422, body  # type: ignore[attr-defined]
    return body["detail"][0]["loc"], body["detail"][0]["msg"]


def test_bad_input_is_refused_with_field_and_reason_and_nothing_written(hub: tuple) -> None:
    c, client, h, _ = hub
    before = {t: count_rows(c, t) for t in ("recipe_line", "stock_lot", "stock_movement",
                                            "stock_count", "goods_receipt")}
    chicken, egg = c.ingredients["chicken"], c.ingredients["egg"]
    loc, msg = refusal(client.put(f"/api/v1/supply/recipes/{c.dishes['d-kungpao']}", headers=h,
                                  json={"lines": [{"ingredient_id": chicken, "qty": 150},
                                                  {"ingredient_id": egg, "qty": -1}]}))
    assert loc == ["body", "lines", 1, "qty"] and "greater than 0" in msg
    yesterday = (site_today() - timedelta(days=1)).isoformat()
    loc, msg = refusal(client.post("/api/v1/supply/receipts", headers=h, json={
        "site_id": c.site_id, "supplier_id": c.suppliers["farm"], "lines": [
            {"ingredient_id": chicken, "qty": 500, "lot_code": "OK-1",
             "expires_on": (site_today() + timedelta(days=3)).isoformat()},
            {"ingredient_id": egg, "qty": 30, "lot_code": "OLD-1", "expires_on": yesterday}]}))
    assert loc == ["body", "lines.1.expires_on"] and "in the past" in msg
    loc, msg = refusal(client.post("/api/v1/supply/counts", headers=h, json={
        "site_id": c.site_id, "lines": [{"ingredient_id": chicken, "counted_qty": 10},
                                        {"ingredient_id": 99999, "counted_qty": 5}]}))
    assert loc == ["body", "lines.1.ingredient_id"] and "does not exist" in msg
    after = {t: count_rows(c, t) for t in before}
    assert after == before  # the good lines of each refused request were not written either
    # The recipe as it was is still there.
    got = client.get(f"/api/v1/supply/recipes/{c.dishes['d-kungpao']}", headers=h).json()
    assert got == {"lines": [{"ingredient_id": chicken, "qty": 150.0}]}


def test_receipt_stock_alerts_and_documents_through_the_api(hub: tuple) -> None:
    c, client, h, _ = hub
    chicken = c.ingredients["chicken"]
    resp = client.post("/api/v1/supply/receipts", headers=h, json={
        "site_id": c.site_id, "supplier_id": c.suppliers["farm"], "reference": "DN-7",
        "lines": [{"ingredient_id": chicken, "qty": 1500, "lot_code": "CK-7",
                   "expires_on": (site_today() + timedelta(days=1)).isoformat()}]})
    assert resp.status_code == 201, resp.text
    got = client.get(f"/api/v1/supply/stock?site_id={c.site_id}", headers=h).json()
    assert {"ingredient_id": chicken, "code": "chicken", "unit": "g", "qty": 1500.0} in \
        got["on_hand"]
    assert {(a["kind"], a["code"]) for a in got["alerts"]} >= {("expiring", "chicken"),
                                                               ("low_stock", "chicken")}
    cashier = api_headers(client.app, "cashier")
    denied = client.post("/api/v1/supply/waste", headers=cashier, json={
        "site_id": c.site_id, "ingredient_id": chicken, "qty": 1, "reason": "spoiled"})
    assert denied.status_code == 403
    bad_range = client.get(f"/api/v1/supply/traceability?site_id={c.site_id}"
                           "&start=2026-03-02&end=2026-03-01", headers=h)
    assert bad_range.status_code == 422


def test_portions_set_on_the_hub_reach_the_kiosks(tmp_path: Path, broker: PrivateBroker) -> None:
    settings = make_settings(tmp_path, mqtt_host=broker.host, mqtt_port=broker.port)
    c = make_canteen(settings)
    cfg = device_config(tmp_path, broker, "k1")
    store = DeviceStore(cfg.store_path, site_id=SITE, device_id="k1")
    agent = Agent(cfg)
    agent.start()
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            h = api_headers(app, "kitchen")
            body = {"site_id": c.site_id, "dish_id": c.dishes["d-kungpao"],
                    "service_date": site_today().isoformat(), "meal_period": PERIOD,
                    "prepared": 40}
            resp = client.put("/api/v1/supply/portions", headers=h, json=body)
            assert resp.json() == {"prepared": 40, "published": True}
            resp = client.put("/api/v1/supply/portions", headers=h,
                              json={**body, "prepared": 10, "add": True})
            assert resp.json() == {"prepared": 50, "published": True}
            wait_for(lambda: edge_portions.left(store.conn, device_id="k1",
                                                day=site_today().isoformat())
                     == {(PERIOD, "d-kungpao"): 50}, what="the hub's 50 portions on kiosk 1")
            bad = client.put("/api/v1/supply/portions", headers=h,
                             json={**body, "meal_period": "brunch"})
            assert refusal(bad)[0] == ["body", "meal_period"]
            shown = client.get(f"/api/v1/supply/portions?site_id={c.site_id}&service_date="
                               f"{site_today().isoformat()}&meal_period={PERIOD}", headers=h)
            assert [(p["code"], p["prepared"], p["sold"], p["left"]) for p in shown.json()] == [
                ("d-kungpao", 50, 0, 50)]
    finally:
        agent.stop()
        store.close()
