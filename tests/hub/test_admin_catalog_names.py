"""Admin pages of dish categories and kitchen stations: bilingual, API-equal validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.admin.catalog_views import CATALOG_NAME_VIEWS
from hub.models import DishCategory, KitchenStation
from tests.support.admin import admin_shell, login


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The admin shell on a fresh SQLite file, with one admin user."""
    with admin_shell(tmp_path) as test_client:
        yield test_client


def test_pages_render_in_both_languages(client: TestClient) -> None:
    login(client)
    for view in CATALOG_NAME_VIEWS:
        for lang, title in (("zh_Hans", ("菜品分类", "出餐档口")), ("en", ("Dish categor",
                                                                       "Kitchen station"))):
            reply = client.get(f"/admin/{view.identity}/list?lang={lang}")
            assert reply.status_code == 200, view.identity
            assert any(t in reply.text for t in title)
            assert client.get(f"/admin/{view.identity}/create").status_code == 200


def test_create_and_refuse_like_the_api(client: TestClient) -> None:
    login(client)
    form = {"code": "meat", "name_zh": "荤菜", "name_en": "Meat Dishes", "sort_order": "20"}
    assert client.post("/admin/dish-category/create", data=form).status_code == 302
    # A code the catalog snapshot would refuse (upper case, '-') is refused here too.
    bad = client.post("/admin/dish-category/create?lang=en", data={**form, "code": "Hot-Pot"})
    assert bad.status_code == 400 and "Not saved, please correct:" in bad.text
    station = {"code": "wok", "name_zh": "炒锅", "name_en": "Wok"}
    assert client.post("/admin/kitchen-station/create", data=station).status_code == 302
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert [c.code for c in session.exec(select(DishCategory)).all()] == ["meat"]
        assert session.exec(select(KitchenStation)).one().name_zh == "炒锅"
