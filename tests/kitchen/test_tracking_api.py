"""The tracking API over HTTP: timeline, station times, open orders per site, roles.

The hub's own fixtures (``client``, ``auth``; SQLite, and PostgreSQL when reachable);
events go in through ``hub.tracking.service.record`` inside one transaction, as the
ingest batch will call it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hub.tracking.service import record
from protocol import Envelope, new_order_id
from tests.hub.conftest import auth, client, hub_app, hub_settings, token_for  # noqa: F401
from tests.support.kitchen import T0, placed, state

Auth = Callable[[str], dict[str, str]]
API = "/api/v1/tracking"
# Events half an hour ago, so they fall inside the default 24 h window of station times.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
OFFSET = (BASE - T0).total_seconds() / 60


def _shift(oid: str, no: str, *, collected: bool, site: str = "site-1") -> list[Envelope]:
    evs = [
        placed(oid, order_no=no, placed_at=BASE),
        state(oid, "in_preparation", OFFSET + 1, "wok", order_no=no),
        state(oid, "in_preparation", OFFSET + 1, "noodles", device="kds-2", order_no=no),
        state(oid, "ready", OFFSET + 5, "wok", order_no=no),
    ]
    if collected:
        evs += [state(oid, "ready", OFFSET + 7, "noodles", device="kds-2", order_no=no),
                state(oid, "collected", OFFSET + 9, device="pickup-1", order_no=no)]
    if site != "site-1":
        evs = [e.model_copy(update={"site": site}) for e in evs]
    return evs


@pytest.fixture
def shift(client: TestClient) -> dict[str, str]:  # noqa: F811
    """Three orders: one collected and one half-ready at site-1, one open at site-2."""
    ids = {"done": new_order_id(), "open": new_order_id(), "other": new_order_id()}
    engine = client.app.state.engine  # type: ignore[attr-defined]
    batch = (_shift(ids["done"], "A001", collected=True)
             + _shift(ids["open"], "A002", collected=False)
             + _shift(ids["other"], "B001", collected=False, site="site-2"))
    with engine.begin() as conn:
        assert record(conn, batch).new == 14
    with engine.begin() as conn:  # a re-sent batch changes nothing
        assert record(conn, batch[:6]).duplicates == 6
    return ids


def test_timeline_of_an_order(client: TestClient, auth: Auth, shift: dict[str, str]) -> None:  # noqa: F811
    r = client.get(f"{API}/orders/{shift['done']}/timeline", headers=auth("kitchen"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "collected" and body["order_no"] == "A001"
    assert [e["state"] for e in body["events"]] == [
        "placed", "in_preparation", "in_preparation", "ready", "ready", "collected"]
    assert [e["device"] for e in body["events"]][-1] == "pickup-1"
    missing = client.get(f"{API}/orders/{new_order_id()}/timeline", headers=auth("kitchen"))
    assert missing.status_code == 404


def test_station_times_of_a_site(client: TestClient, auth: Auth, shift: dict[str, str]) -> None:  # noqa: F811
    r = client.get(f"{API}/sites/site-1/stations?hours=2", headers=auth("manager"))
    assert r.status_code == 200, r.text
    times = {t["station"]: t for t in r.json()}
    # wok: started 1 min after placing, bumped at 5 -> 4 min cooking, 5 min waiting
    assert times["wok"]["tickets"] == 2
    assert times["wok"]["prep_median_s"] == 240.0 and times["wok"]["wait_median_s"] == 300.0
    assert times["noodles"]["prep_median_s"] == 360.0  # the one bumped noodles ticket
    assert client.get(f"{API}/sites/site-1/stations?hours=0",
                      headers=auth("manager")).status_code == 422


def test_open_orders_per_site(client: TestClient, auth: Auth, shift: dict[str, str]) -> None:  # noqa: F811
    r = client.get(f"{API}/sites/site-1/open", headers=auth("cashier"))
    assert r.status_code == 200, r.text
    (only,) = r.json()  # the collected order is gone; site-2's is not here
    assert only["order_id"] == shift["open"] and only["state"] == "in_preparation"
    assert only["stations_ready"] == ["wok"]
    other = client.get(f"{API}/sites/site-2/open", headers=auth("cashier")).json()
    assert [o["order_no"] for o in other] == ["B001"]
    assert client.get(f"{API}/sites/bad site!/open",
                      headers=auth("cashier")).status_code in (404, 422)


def test_a_device_account_or_no_account_is_refused(
    client: TestClient, auth: Auth, shift: dict[str, str]  # noqa: F811
) -> None:
    url = f"{API}/sites/site-1/open"
    assert client.get(url, headers=auth("device")).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(f"{API}/orders/{shift['done']}/timeline",
                      headers=auth("device")).status_code == 403
