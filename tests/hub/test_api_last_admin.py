"""The hub always keeps an active admin: the last one can be neither deactivated nor demoted.

Before, `PATCH /users/1 {"active": false}` by the only admin answered 200 and nobody
could administer the hub any more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.models.users import Role

Auth = Callable[[Role], dict[str, str]]


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    return dict(client.get("/api/v1/auth/me", headers=headers).json())


@pytest.mark.parametrize("change", [{"active": False}, {"role": "manager"}])
def test_last_admin_cannot_lock_the_hub_out(
    client: TestClient, auth: Auth, change: dict[str, Any]
) -> None:
    admin = auth(Role.ADMIN)
    me = _me(client, admin)
    r = client.patch(f"/api/v1/users/{me['id']}", json=change, headers=admin)
    assert r.status_code == 409, r.text
    assert "last active admin" in r.json()["detail"]
    assert _me(client, admin) == me  # nothing changed, the token still works


def test_with_a_second_admin_the_first_may_step_down(client: TestClient, auth: Auth) -> None:
    admin = auth(Role.ADMIN)
    me = _me(client, admin)
    body = {"username": "second-admin", "role": "admin", "password": "another-long-password"}
    second = client.post("/api/v1/users", json=body, headers=admin).json()
    r = client.patch(f"/api/v1/users/{me['id']}", json={"role": "manager"}, headers=admin)
    assert r.status_code == 200 and r.json()["role"] == "manager"
    # The second is now the last one: it cannot be deactivated, by anyone.
    from hub.security import create_access_token

    settings = client.app.state.settings  # type: ignore[attr-defined]
    token = create_access_token(
        username="second-admin",
        role=Role.ADMIN,
        secret=settings.secret_key.get_secret_value(),
        minutes=5,
    )
    r = client.patch(
        f"/api/v1/users/{second['id']}",
        json={"active": False},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 409


def test_an_inactive_admin_does_not_count(client: TestClient, auth: Auth) -> None:
    admin = auth(Role.ADMIN)
    me = _me(client, admin)
    body = {"username": "old-admin", "role": "admin", "password": "another-long-password",
            "active": False}
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    r = client.patch(f"/api/v1/users/{me['id']}", json={"active": False}, headers=admin)
    assert r.status_code == 409
