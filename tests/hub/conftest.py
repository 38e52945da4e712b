"""Hub fixtures: settings, app and client on SQLite or PostgreSQL, tokens per role.

Reuse them in any hub test:
- `hub_settings`  strong-secret Settings, parametrised over sqlite and postgres
- `sqlite_settings`  the same on SQLite only (for tests that need no second backend)
- `hub_app` / `client`  the app from create_app, and a started TestClient (migrated schema)
- `db_session`  a Session on the app's engine
- `token_for(role)` / `auth(role)`  a JWT / an Authorization header for a user of that role
- `make_settings(tmp_path, **overrides)`  build Settings without reading env or .env
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.models.users import Role, User
from hub.security import create_access_token, hash_password
from hub.settings import Settings
from tests.conftest import PG_URL

TEST_PASSWORD = "correct-horse-battery"
STRONG_SECRETS: dict[str, str] = {
    "secret_key": "test-secret-key-0123456789abcdef0123456789",
    "field_encryption_key": Fernet.generate_key().decode(),
    "lookup_hash_key": "test-lookup-hash-key-0123456789abcdef012345",
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with strong secrets and an SQLite file in tmp_path, ignoring env and .env."""
    values: dict[str, Any] = {"data_dir": tmp_path / "var", **STRONG_SECRETS, **overrides}
    return Settings(_env_file=None, **values)


@cache
def test_password_hash() -> str:
    """One argon2 hash of TEST_PASSWORD per test session (hashing is slow on purpose)."""
    return hash_password(TEST_PASSWORD)


@pytest.fixture(params=BACKENDS)
def hub_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for SQLite, or for PostgreSQL in a private schema (skipped if no server)."""
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        return make_settings(tmp_path, database_url=PG_URL, db_schema=schema)
    return make_settings(tmp_path)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on an SQLite file only."""
    return make_settings(tmp_path)


@pytest.fixture
def hub_app(hub_settings: Settings) -> FastAPI:
    """The hub app (not started)."""
    return create_app(hub_settings)


@pytest.fixture
def client(hub_app: FastAPI) -> Iterator[TestClient]:
    """A started client: the lifespan has migrated the schema."""
    with TestClient(hub_app) as c:
        yield c


@pytest.fixture
def db_session(client: TestClient) -> Iterator[Session]:
    """A session on the started app's database, for checking what was (not) written."""
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        yield session


def ensure_user(app: FastAPI, *, username: str, role: Role, active: bool = True) -> User:
    """The user with this name, created with TEST_PASSWORD if missing."""
    with Session(app.state.engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username, role=role, active=active, password_hash=test_password_hash()
            )
            session.add(user)
            session.commit()
            session.refresh(user)
        return user


@pytest.fixture
def token_for(client: TestClient) -> Callable[[Role | str], str]:
    """Make a JWT for a user `<role>-user` of that role (created on first use)."""
    app: FastAPI = client.app  # type: ignore[assignment]
    settings: Settings = app.state.settings

    def _token(role: Role | str) -> str:
        role = Role(role)
        user = ensure_user(app, username=f"{role.value}-user", role=role)
        return create_access_token(
            username=user.username,
            role=role,
            secret=settings.secret_key.get_secret_value(),
            minutes=5,
        )

    return _token


@pytest.fixture
def auth(token_for: Callable[[Role | str], str]) -> Callable[[Role | str], dict[str, str]]:
    """An Authorization header for a user of the role."""
    return lambda role: {"Authorization": f"Bearer {token_for(role)}"}
