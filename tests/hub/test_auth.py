"""Authentication: the token flow, and EVERY route of the app refusing no token / wrong role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from hub.db_types import utcnow
from hub.models.users import Role
from hub.security import JWT_ALGORITHM
from tests.hub.conftest import TEST_PASSWORD, ensure_user

# Routes that must answer without a token. Anything else needs a role.
PUBLIC = {
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/fleet/claim"),  # a new device has no token: it proves the one-time code
    # A diner asks for a one-time code and trades it for a member session: no token yet.
    ("POST", "/api/v1/me/sign-in/code"),
    ("POST", "/api/v1/me/sign-in"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
# Routes every role may use, so no role can be "wrong" there.
ANY_ROLE = {("GET", "/api/v1/auth/me")}
# Pages of mounted apps that must be reachable before login.
MOUNTED_PUBLIC = re.compile(r"^/(admin/(login|logout|statics)|member/sign-in)(/|$)")
# Where a page sends a visitor who has not signed in: staff to the admin login, diners to the
# member sign-in page.
SIGN_IN_PAGES = re.compile(r"/admin/login|/member/sign-in")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}:]+(:[^}]+)?\}", "1", path)


def api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint of the app itself, however it was included."""
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, Mount):
            continue
        for method in sorted(ctx.methods or ()):
            if method != "HEAD":
                yield method, str(ctx.path)


def mounted_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route inside mounted sub-apps (e.g. the admin pages)."""
    for route in app.routes:
        if isinstance(route, Mount):
            for sub in route.routes:
                for method in sorted(getattr(sub, "methods", None) or {"GET"}):
                    if method != "HEAD":
                        yield method, route.path + getattr(sub, "path", "")


def test_route_table_is_not_empty(client: TestClient) -> None:
    routes = set(api_routes(client.app))  # type: ignore[arg-type]
    assert ("GET", "/api/v1/dishes") in routes and len(routes) > 30


def test_every_route_refuses_missing_token_and_wrong_role(
    client: TestClient, auth: Callable[[Role], dict[str, str]]
) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    headers = {role: auth(role) for role in Role}
    checked = 0
    for method, path in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        url = _concrete(path)
        anon = client.request(method, url)
        assert anon.status_code == 401, f"{method} {path} without token gave {anon.status_code}"
        assert anon.headers.get("www-authenticate") == "Bearer"
        forged = client.request(method, url, headers={"Authorization": "Bearer nonsense"})
        assert forged.status_code == 401, f"{method} {path} took a forged token"
        statuses = {
            role: client.request(method, url, headers=headers[role]).status_code for role in Role
        }
        if (method, path) not in ANY_ROLE:
            assert 403 in statuses.values(), f"{method} {path} lets every role in: {statuses}"
        checked += 1
    assert checked > 30


def test_mounted_pages_refuse_anonymous_visitors(client: TestClient) -> None:
    for method, path in mounted_routes(client.app):  # type: ignore[arg-type]
        if MOUNTED_PUBLIC.match(path) or method != "GET":
            continue
        r = client.request(method, _concrete(path), follow_redirects=False)
        refused = r.status_code in (401, 403) or (
            r.status_code in (302, 303, 307)
            and SIGN_IN_PAGES.search(r.headers.get("location", "")) is not None
        )
        assert refused, f"{method} {path} served {r.status_code} to an anonymous visitor"


def test_token_flow(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    ensure_user(app, username="mgr", role=Role.MANAGER)
    r = client.post("/api/v1/auth/token", data={"username": "mgr", "password": TEST_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "manager" and body["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "mgr"
    assert "password_hash" not in me.json()


@pytest.mark.parametrize(
    ("username", "password"),
    [("mgr", "wrong-password"), ("nobody", TEST_PASSWORD), ("off", TEST_PASSWORD)],
)
def test_token_refused(client: TestClient, username: str, password: str) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    ensure_user(app, username="mgr", role=Role.MANAGER)
    ensure_user(app, username="off", role=Role.MANAGER, active=False)
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 401
    assert "access_token" not in r.json()


def test_expired_and_wrongly_signed_tokens_refused(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    ensure_user(app, username="admin-user", role=Role.ADMIN)
    secret = app.state.settings.secret_key.get_secret_value()
    past = utcnow() - timedelta(hours=1)
    expired = jwt.encode({"sub": "admin-user", "role": "admin", "exp": past}, secret, JWT_ALGORITHM)
    forged = jwt.encode(
        {"sub": "admin-user", "role": "admin", "exp": utcnow() + timedelta(hours=1)},
        "another-secret-another-secret-another-secret",
        JWT_ALGORITHM,
    )
    for token in (expired, forged):
        r = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_demoted_user_loses_access_at_once(
    client: TestClient, auth: Callable[[Role], dict[str, str]]
) -> None:
    headers = auth(Role.MANAGER)
    assert client.post("/api/v1/dishes", json={}, headers=headers).status_code == 422
    user_id = client.get("/api/v1/auth/me", headers=headers).json()["id"]
    admin = auth(Role.ADMIN)
    r = client.patch(f"/api/v1/users/{user_id}", json={"role": "kitchen"}, headers=admin)
    assert r.status_code == 200
    assert client.post("/api/v1/dishes", json={}, headers=headers).status_code == 403
