"""The admin shell over HTTP: the hub app on a fresh SQLite file with one admin, and its login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.app import create_app
from hub.models import Role, UserCreate
from hub.services.users import create_user
from hub.settings import Settings

PASSWORD = "admin-password-1"


@contextmanager
def admin_shell(data_dir: Path) -> Iterator[TestClient]:
    """The hub app, migrated on a fresh SQLite file in data_dir, with the admin `boss`."""
    app = create_app(Settings(demo_mode=True, data_dir=data_dir))
    with TestClient(app, follow_redirects=False) as test_client:
        with Session(app.state.engine) as session:
            create_user(
                session=session,
                data=UserCreate(username="boss", password=PASSWORD, role=Role.ADMIN),
            )
        yield test_client


def login(client: TestClient) -> None:
    """Sign in as the admin; the session cookie stays in the client."""
    reply = client.post("/admin/login", data={"username": "boss", "password": PASSWORD})
    assert reply.status_code == 302, reply.text
