"""Conflicts through the real ingest path, then in the API and the admin page (issue 11, item 4).

A device re-sends an order id with another amount (under a new message id) and re-uses
a message id with other content; a real worker process refuses both as conflicts. The
API lists them with the total the device sent beside the total the hub stored, and the
admin shell shows the same, in Chinese and English.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from demo.broker import PrivateBroker
from edge_agent.simkiosk import FALLBACK_DISHES, make_draft
from hub.app import create_app
from hub.models.users import Role
from hub.settings import Settings
from protocol import Envelope, encode, make_envelope, new_order_id
from rules.money import format_cents
from tests.hub.conftest import TEST_PASSWORD, ensure_user
from tests.ingest.helpers import (
    SITE,
    FakeDevice,
    api_headers,
    prepare_hub,
    start_worker,
    stop,
    wait_for,
)

CONFLICTS = "/api/v1/sync/conflicts"
PAGE = "/admin/sync/conflicts"


def order(order_id: str, seed: int) -> Envelope:
    """An order.placed envelope of device k1 with the lines a seeded kiosk would sell."""
    draft = make_draft(random.Random(seed), FALLBACK_DISHES)
    payload = {**draft, "order_id": order_id, "order_no": f"A{seed:03d}",
               "placed_at": datetime(2026, 3, 2, 4, 30, tzinfo=UTC)}
    return make_envelope("order.placed", payload, site=SITE, device="k1")


def total(env: Envelope) -> int:
    """The order total an envelope carries."""
    return int(env.payload.total_cents)  # type: ignore[attr-defined]


def other_amount(order_id: str, than: Envelope) -> Envelope:
    """The same order id with lines that add up to another total."""
    seed = 100
    while total(env := order(order_id, seed)) == total(than):
        seed += 1
    return env


@pytest.fixture(params=["sqlite_hub", pytest.param("pg_hub", marks=pytest.mark.postgres)],
                ids=["sqlite", "postgres"])
def hub(request: pytest.FixtureRequest) -> Settings:
    """The hub's settings on SQLite or on PostgreSQL."""
    settings: Settings = request.getfixturevalue(request.param)
    return settings


@pytest.fixture
def conflicts(hub: Settings, broker: PrivateBroker,
              tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Run three messages through a worker: one stored, two refused as conflicts."""
    engine = prepare_hub(hub, ["k1"])
    worker = start_worker(hub, broker, "w1", tmp_path / "logs")
    device = FakeDevice(broker, "k1")
    try:
        first = order(new_order_id(), 1)
        same_order = other_amount(first.payload.order_id, first)  # type: ignore[attr-defined]
        # Same message id, other content (another amount, same order id).
        same_message = first.model_copy(update={"payload": same_order.payload})
        for env in (first, same_order, same_message):
            device.publish(env.topic(), encode(env))
        wait_for(lambda: device.result(first.message_id)[1:2] != [], 30,
                 "both answers for the re-used message id")
        wait_for(lambda: device.result(same_order.message_id) != [], 30,
                 "the answer for the re-used order id")
        assert device.result(first.message_id)[0][0] == "ok"
        assert device.result(first.message_id)[1][0] == "conflict"
        assert device.result(same_order.message_id)[0][0] == "conflict"
        yield {"first": first, "same_order": same_order, "same_message": same_message}
    finally:
        device.close()
        stop(worker)
        engine.dispose()


def test_api_lists_conflicts_with_both_totals(hub: Settings,
                                              conflicts: dict[str, Any]) -> None:
    first, same_order = conflicts["first"], conflicts["same_order"]
    order_id = first.payload.order_id
    app = create_app(hub)
    with TestClient(app) as client:
        h = api_headers(app, "manager")
        page = client.get(CONFLICTS, headers=h).json()
        assert page["total"] == 2
        by_kind = {c["kind"]: c for c in page["items"]}
        reused_order = by_kind["order_id"]
        assert (reused_order["message_id"], reused_order["order_id"]) == (
            same_order.message_id, order_id)
        assert reused_order["sent_total_cents"] == total(same_order)
        assert reused_order["stored_total_cents"] == total(first)
        assert reused_order["sent_total_cents"] != reused_order["stored_total_cents"]
        assert reused_order["stored_message_id"] == first.message_id
        assert (reused_order["site_code"], reused_order["device_code"],
                reused_order["type"]) == (SITE, "k1", "order.placed")
        reused_message = by_kind["message_id"]
        assert reused_message["message_id"] == first.message_id
        assert reused_message["sent_total_cents"] == total(same_order)
        assert reused_message["stored_total_cents"] == total(first)
        assert reused_message["stored_digest"] is not None
        assert order_id in reused_message["raw_text"]

        def count(query: str) -> int:
            reply = client.get(f"{CONFLICTS}?{query}", headers=h)
            assert reply.status_code == 200, reply.text
            return int(reply.json()["total"])

        assert count("kind=order_id") == count("kind=message_id") == 1
        assert count(f"site={SITE}&device=k1") == 2
        assert count("device=k2") == count("site=site_") == count("site=other") == 0
        assert count("limit=1&offset=1") == 2
        assert client.get(f"{CONFLICTS}?kind=amount", headers=h).status_code == 422
        assert client.get(f"{CONFLICTS}?device=a/b", headers=h).status_code == 422
        assert client.get(CONFLICTS, headers=api_headers(app, "admin")).status_code == 200
        for role in ("cashier", "kitchen"):
            assert client.get(CONFLICTS, headers=api_headers(app, role)).status_code == 403
        assert client.get(CONFLICTS).status_code == 401


def _sign_in(client: TestClient, app: Any, role: Role) -> None:
    user = ensure_user(app, username=f"{role.value}-desk", role=role)
    reply = client.post("/admin/login", data={"username": user.username,
                                              "password": TEST_PASSWORD})
    assert reply.status_code == 302, reply.text


def test_admin_page_shows_conflicts_in_both_languages(hub: Settings,
                                                      conflicts: dict[str, Any]) -> None:
    first, same_order = conflicts["first"], conflicts["same_order"]
    app = create_app(hub)
    with TestClient(app, follow_redirects=False) as client:
        for path in (PAGE, "/admin/dead-letter/list", "/admin/price-review/list"):
            reply = client.get(path)
            assert reply.status_code == 302, path
            assert reply.headers["location"].endswith("/admin/login"), path
        _sign_in(client, app, Role.MANAGER)
        zh = client.get(f"{PAGE}?lang=zh_Hans")
        assert zh.status_code == 200, zh.text
        page = zh.text
        assert "冲突" in page and "订单编号重复" in page and "消息编号重复" in page
        assert first.payload.order_id in page and same_order.message_id in page
        assert format_cents(total(same_order)) in page and format_cents(total(first)) in page
        en = client.get(f"{PAGE}?lang=en&kind=order_id").text
        assert "Order id reused" in en and "Message id reused</td>" not in en
        assert "Total sent" in en and "Total stored" in en
        assert same_order.message_id in en
        assert "No conflicts." in client.get(f"{PAGE}?lang=en&device=k2").text
        # Listed beside dead letters and price reviews in the menu, both of which open.
        home = client.get("/admin/?lang=en").text
        for name in ("Dead letters", "Price reviews", "Conflicts"):
            assert name in home
        for path in ("/admin/dead-letter/list", "/admin/price-review/list"):
            assert client.get(path).status_code == 200, path


def test_cashier_cannot_open_the_sync_pages(sqlite_hub: Settings, tmp_path: Path) -> None:
    prepare_hub(sqlite_hub, ["k1"]).dispose()
    app = create_app(sqlite_hub)
    with TestClient(app, follow_redirects=False) as client:
        _sign_in(client, app, Role.CASHIER)
        for path in (PAGE, "/admin/dead-letter/list", "/admin/price-review/list"):
            assert client.get(path).status_code in (302, 403), path
        assert "Conflicts" not in client.get("/admin/member-desk?lang=en").text
