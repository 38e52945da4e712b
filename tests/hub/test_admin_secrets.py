"""No admin page shows a secret column, and no view's column lists can be a bare string."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqladmin import ModelView
from sqlmodel import Session

from hub.admin.views import COLUMN_SEQUENCES, HubModelView, is_secret_column
from hub.app import create_app
from hub.models import Device, Role, Site, UserCreate
from hub.models.devices import DeviceKind
from hub.services.users import create_user
from hub.settings import Settings

PASSWORD = "admin-password-1"
CREDENTIAL_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$NOT-FOR-ANY-PAGE-0123456789"


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[TestClient]:
    """The hub on a fresh SQLite file with an administrator signed in to the admin shell."""
    app = create_app(Settings(demo_mode=True, data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as c:
        with Session(app.state.engine) as s:
            create_user(session=s, data=UserCreate(username="boss", password=PASSWORD,
                                                   role=Role.ADMIN))
        assert c.post("/admin/login", data={"username": "boss",
                                            "password": PASSWORD}).status_code == 302
        yield c


def registered_views(client: TestClient) -> list[ModelView]:
    """Every model view the mounted admin shell serves."""
    views = [v for v in client.app.state.admin_shell.views  # type: ignore[attr-defined]
             if isinstance(v, ModelView)]
    assert len(views) >= 9
    return views


def test_secret_columns_are_recognised() -> None:
    for name in ("credential_hash", "password_hash", "phone_encrypted", "phone_hash",
                 "card_hash", "card_encrypted", "private_key_encrypted", "broker_hash"):
        assert is_secret_column(name), name
    for name in ("code", "price_cents", "name", "last_seen_at", "hash_rate_note"):
        assert not is_secret_column(name), name


def test_column_lists_are_sequences_of_names_and_show_no_secret(admin: TestClient) -> None:
    for view in registered_views(admin):
        where = type(view).__name__
        for attr in COLUMN_SEQUENCES:
            value = getattr(view, attr)
            assert not isinstance(value, str), f"{where}.{attr} is the string {value!r}"
            assert all(isinstance(c, str) or hasattr(c, "key") for c in value), (where, attr)
        shown = {
            "list": view.get_list_columns(),
            "details": view.get_details_columns(),
            "form": view.get_form_columns(),
            "export": view.get_export_columns(),
        }
        for page, columns in shown.items():
            secret = [c for c in columns if is_secret_column(c)]
            assert not secret, f"{where} {page} page shows {secret}"


def test_a_column_list_written_as_a_bare_string_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="column_details_exclude_list"):

        class _Broken(HubModelView, model=Site):
            column_details_exclude_list = ("created_at")  # the slip under test


def test_device_detail_page_does_not_show_the_credential_hash(admin: TestClient) -> None:
    engine = admin.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        site = Site(code="hq", name_zh="总部食堂", name_en="HQ canteen", timezone="Asia/Shanghai")
        s.add(site)
        s.flush()
        assert site.id is not None
        device = Device(code="kiosk-01", kind=DeviceKind.KIOSK, site_id=site.id,
                        name="Kiosk 1", credential_hash=CREDENTIAL_HASH)
        s.add(device)
        s.commit()
        device_id = device.id
    page = admin.get(f"/admin/device/details/{device_id}")
    assert page.status_code == 200, page.text
    assert "kiosk-01" in page.text
    assert CREDENTIAL_HASH not in page.text
    assert "NOT-FOR-ANY-PAGE" not in page.text
    listing = admin.get("/admin/device/list")
    assert listing.status_code == 200 and "NOT-FOR-ANY-PAGE" not in listing.text
