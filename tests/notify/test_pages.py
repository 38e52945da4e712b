"""The outbox page (both languages, filters) and the read-only /api/v1/notifications
routes: managers and admins only, filters, 404 for a missing row, 422 for a bad filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.models.users import Role
from tests.hub.conftest import TEST_PASSWORD, ensure_user, make_settings
from tests.notify.conftest import fill_outbox

NOW = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0)  # 12:00 Shanghai




@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(Path(tmp_path_factory.mktemp("notify-pages")))
    with TestClient(create_app(settings)) as c:
        fill_outbox(c.app.state.engine, NOW)  # type: ignore[attr-defined]
        yield c


def _login(client: TestClient, role: Role) -> None:
    user = ensure_user(client.app, username=f"notify-{role.value}", role=role)  # type: ignore[arg-type]
    r = client.post("/admin/login", data={"username": user.username,
                                          "password": TEST_PASSWORD}, follow_redirects=False)
    assert r.status_code == 302


def _token(client: TestClient, role: Role) -> dict[str, str]:
    user = ensure_user(client.app, username=f"notify-api-{role.value}", role=role)  # type: ignore[arg-type]
    r = client.post("/api/v1/auth/token", data={"username": user.username,
                                                "password": TEST_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Notifications", "Birthday care", "Suppressed", "no marketing consent at send time",
            "Delivery log", "Retry"]),
    ("zh_Hans", ["消息通知", "生日关怀", "已抑制", "发送记录", "重试"])])
def test_the_outbox_page_in_both_languages(client: TestClient, lang: str,
                                           words: list[str]) -> None:
    _login(client, Role.MANAGER)
    r = client.get(f"/admin/notify/outbox?lang={lang}")
    assert r.status_code == 200
    for word in words:
        assert word in r.text
    assert r.text.count('data-outbox="') == 4


def test_the_outbox_page_filters_by_state_and_kind(client: TestClient) -> None:
    _login(client, Role.MANAGER)
    r = client.get("/admin/notify/outbox?state=suppressed")
    assert r.text.count('data-outbox="') == 1 and 'data-kind="winback"' in r.text
    r = client.get("/admin/notify/outbox?kind=low_balance")
    assert r.text.count('data-outbox="') == 1 and 'data-state="queued"' in r.text
    r = client.get("/admin/notify/outbox?state=nonsense&kind=nonsense")  # ignored
    assert r.text.count('data-outbox="') == 4


def test_a_cashier_cannot_open_the_outbox(client: TestClient) -> None:
    _login(client, Role.CASHIER)
    r = client.get("/admin/notify/outbox", follow_redirects=False)
    assert r.status_code in (302, 303, 403)
    assert "data-outbox" not in r.text


def test_the_api_is_read_only_for_managers_and_admins(client: TestClient) -> None:
    manager = _token(client, Role.MANAGER)
    r = client.get("/api/v1/notifications/outbox?state=sent", headers=manager)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1 and body["items"][0]["kind"] == "birthday"
    assert "email" not in body["items"][0]  # no address in the answer
    r = client.get("/api/v1/notifications/outbox?kind=low_balance", headers=manager)
    (row,) = r.json()["items"]
    detail = client.get(f"/api/v1/notifications/outbox/{row['id']}", headers=manager).json()
    assert detail["notification"]["attempts"] == 1
    assert [d["outcome"] for d in detail["deliveries"]] == ["retry"]
    r = client.get("/api/v1/notifications/deliveries?outcome=suppressed", headers=manager)
    assert r.json()["total"] == 1
    assert client.get("/api/v1/notifications/outbox/999999", headers=manager).status_code == 404
    assert client.get("/api/v1/notifications/outbox?state=lost",
                      headers=manager).status_code == 422
    assert client.get("/api/v1/notifications/outbox",
                      headers=_token(client, Role.CASHIER)).status_code == 403
    assert client.get("/api/v1/notifications/outbox").status_code == 401
    assert client.post("/api/v1/notifications/outbox", headers=manager).status_code == 405
