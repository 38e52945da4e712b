"""The pre-booking and forecast API: a booking after the cut-off refused with the field and
nothing written, roles, the kitchen headcount, the forecast run and read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.app import create_app
from hub.db_types import utcnow
from hub.models.supply_bookings import Booking
from hub.models.users import Role, User
from hub.security import create_access_token, hash_password
from hub.settings import Settings
from tests.support.supply_demand import load_demand, make_member

SECRET = "test-secret-key-0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None, data_dir=tmp_path_factory.mktemp("hub"), secret_key=SECRET,
        field_encryption_key=Fernet.generate_key().decode(),
        lookup_hash_key="test-lookup-hash-key-0123456789abcdef012345")
    with TestClient(create_app(settings)) as c:
        yield c


def _auth(client: TestClient, role: Role) -> dict[str, str]:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        name = f"{role.value}-sup"
        if s.exec(select(User).where(User.username == name)).first() is None:
            s.add(User(username=name, role=role, password_hash=hash_password("x" * 12)))
            s.commit()
    token = create_access_token(username=name, role=role, secret=SECRET, minutes=5)
    return {"Authorization": f"Bearer {token}"}


def test_booking_api_cutoff_roles_headcount_and_forecast(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        site = load_demand(s, dishes=2, periods=2, days=56,
                           end=utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date())
        member = make_member(s)
        s.commit()
    lunch = site.period_ids[1]
    manager, cashier, kitchen = (_auth(client, r) for r in (Role.MANAGER, Role.CASHIER,
                                                            Role.KITCHEN))
    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    # Lunch closes at 00:00 of the day itself: today's lunch is always closed.
    r = client.put(f"/api/v1/supply/booking-rules/{lunch}", params={"site_id": site.site_id},
                   json={"cutoff": "00:00", "meal_price_cents": 0}, headers=manager)
    assert r.status_code == 200, r.text
    body: dict[str, int | str] = {"member_id": member, "site_id": site.site_id,
                                  "meal_period_id": lunch, "day": today.isoformat(),
                                  "kind": "meal"}
    r = client.post("/api/v1/supply/bookings", json=body, headers=cashier)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "day"]
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Booking)).one() == 0
    assert client.post("/api/v1/supply/bookings", json=body,
                       headers=kitchen).status_code == 403
    later = {**body, "day": (today + timedelta(days=2)).isoformat()}
    r = client.post("/api/v1/supply/bookings", json=later, headers=cashier)
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/supply/headcount",
                   params={"site_id": site.site_id, "day": later["day"]}, headers=kitchen)
    assert r.status_code == 200 and r.json()[0]["booked"] == 1
    assert client.put(f"/api/v1/supply/booking-rules/{lunch}", params={"site_id": site.site_id},
                      json={"cutoff": "25:00"}, headers=manager).status_code == 422
    # The forecast: run it, read it back per dish, meal period and day.
    start = (today + timedelta(days=1)).isoformat()
    r = client.post("/api/v1/supply/forecasts",
                    json={"site_id": site.site_id, "start": start, "days": 3}, headers=manager)
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/supply/forecasts",
                   params={"site_id": site.site_id, "start": start, "days": 3}, headers=kitchen)
    assert r.status_code == 200 and len(r.json()) == 2 * 2 * 3
    assert client.get("/api/v1/supply/forecasts", params={"site_id": site.site_id,
                      "start": "0001-01-01", "days": 3}, headers=kitchen).status_code == 422
