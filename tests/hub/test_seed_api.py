"""After seeding, the hub API serves the demo canteen to the demo users (SQLite, PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.seed import seed_demo
from hub.seed.people import generate_members

API = "/api/v1"


def seed_and_login(client: TestClient, username: str) -> dict[str, str]:
    """Seed the app's database, then log in through the API with the demo password."""
    state = client.app.state  # type: ignore[attr-defined]
    with Session(state.engine) as session:
        assert not seed_demo(session, seed=42, cipher=state.cipher).skipped
    response = client.post(
        f"{API}/auth/token", data={"username": username, "password": "canteen-demo"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == username
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_demo_admin_finds_a_member_by_phone_and_sees_the_menu(client: TestClient) -> None:
    headers = seed_and_login(client, "admin")
    first = generate_members(42)[0]
    assert first.phone is not None

    found = client.get(f"{API}/members", params={"phone": first.phone}, headers=headers)
    assert found.status_code == 200, found.text
    [member] = found.json()["items"]
    assert (member["member_no"], member["name"], member["phone"]) == (
        first.member_no, first.name, first.phone,
    )

    dishes = client.get(f"{API}/dishes", params={"q": "宫保"}, headers=headers).json()["items"]
    assert [d["name_en"] for d in dishes] == ["Kung Pao Chicken"]
    assert "peanut" in dishes[0]["allergens"] and dishes[0]["price_cents"] == 1500

    meals = client.get(f"{API}/set-meals", params={"limit": 50}, headers=headers).json()["items"]
    byo = next(m for m in meals if m["name_zh"] == "两荤一素加米饭")
    assert {(s["category"], s["max_picks"]) for s in byo["slots"]} == {
        ("meat", 2), ("vegetable", 1), ("staple", 1),
    }


def test_demo_kitchen_user_can_log_in_and_read_dishes(client: TestClient) -> None:
    headers = seed_and_login(client, "kitchen")
    halal = client.get(f"{API}/dishes", params={"tag": "halal", "limit": 100}, headers=headers)
    assert halal.status_code == 200, halal.text
    items = halal.json()["items"]
    assert items and all("pork" not in d["tags"] for d in items)
    assert any(d["name_zh"] == "兰州牛肉面" for d in items)
