"""Admin routes over HTTP (real app, real SQLite file): login required, API-equal validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.admin.views import ALL_VIEWS
from hub.models import Dish, MealPeriod, Menu, MenuItem, Site, User
from tests.support.admin import admin_shell, login


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The admin shell on a fresh SQLite file, with one admin user."""
    with admin_shell(tmp_path) as test_client:
        yield test_client


def admin_pages() -> list[str]:
    """Every page path of the admin shell a signed-out visitor might try."""
    pages = ["/admin/"]
    for view in ALL_VIEWS:
        pages += [f"/admin/{view.identity}/list", f"/admin/{view.identity}/details/1",
                  f"/admin/{view.identity}/edit/1", f"/admin/{view.identity}/create",
                  f"/admin/{view.identity}/export/csv"]
    return pages


def test_every_admin_page_needs_a_login(client: TestClient) -> None:
    for path in admin_pages():
        reply = client.get(path)
        assert reply.status_code == 302, path
        assert reply.headers["location"].endswith("/admin/login"), path
    reply = client.post("/admin/dish/create", data={"code": "x", "price_cents": "1"})
    assert reply.status_code == 302 and dish_count(client) == 0


def test_login_page_and_static_files_are_open(client: TestClient) -> None:
    assert client.get("/admin/login").status_code == 200
    assert client.get("/admin/statics/css/main.css").status_code == 200


def dish_count(client: TestClient) -> int:
    """Dishes in the database."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return len(session.exec(select(Dish)).all())


def dish_form(**changes: object) -> dict[str, object]:
    """A valid dish form as the browser posts it, with some fields changed."""
    form: dict[str, object] = {
        "code": "rice", "name_zh": "米饭", "name_en": "Rice", "category": "staple",
        "price_cents": "1.00", "station": "main", "active": "y", "save": "Save",
    }
    form.update(changes)
    return form


def test_form_validation_equals_the_api(client: TestClient) -> None:
    login(client)
    # Each of these is refused by DishCreate (the API's shape): the form refuses it too.
    for bad in (
        {"code": "no spaces allowed"},
        {"name_en": "x" * 121},
        {"station": ""},
        {"price_cents": "-1"},
    ):
        reply = client.post("/admin/dish/create", data=dish_form(**bad))
        assert reply.status_code == 400, bad
    assert dish_count(client) == 0
    reply = client.post("/admin/dish/create?lang=en", data=dish_form(code="bad code"))
    assert "Not saved, please correct:" in reply.text and "Code:" in reply.text
    reply = client.post("/admin/dish/create", data=dish_form(tags=["spicy", "SPICY"]))
    assert reply.status_code == 400  # "SPICY" is no code of rules.dietary
    reply = client.post("/admin/dish/create", data=dish_form(tags=["spicy"]))
    assert reply.status_code == 302
    assert dish_count(client) == 1
    # Editing goes through the same check and keeps money in cents.
    reply = client.post(
        "/admin/dish/edit/1", data=dish_form(price_cents="3.5", tags=["spicy", "halal"])
    )
    assert reply.status_code == 302
    reply = client.post("/admin/dish/edit/1", data=dish_form(code="bad code"))
    assert reply.status_code == 400
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        dish = session.exec(select(Dish)).one()
        assert (dish.code, dish.price_cents, dish.tags) == ("rice", 350, ["spicy", "halal"])
        assert dish.updated_at is not None


def test_a_deactivated_user_loses_the_session(client: TestClient) -> None:
    login(client)
    assert client.get("/admin/dish/list").status_code == 200
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "boss")).one()
        user.active = False
        session.add(user)
        session.commit()
    reply = client.get("/admin/dish/list")
    assert reply.status_code == 302 and reply.headers["location"].endswith("/admin/login")


def test_language_choice_is_remembered_in_a_cookie(client: TestClient) -> None:
    reply = client.get("/admin/login?lang=en", headers={"accept-language": "zh-CN"})
    assert "Login to Canteen hub admin" in reply.text
    assert client.cookies.get("lang") == "en"
    reply = client.get("/admin/login", headers={"accept-language": "zh-CN"})
    assert "Login to Canteen hub admin" in reply.text
    client.cookies.clear()
    reply = client.get("/admin/login", headers={"accept-language": "zh-CN"})
    assert "登录食堂管理后台" in reply.text


def test_every_page_renders_for_an_admin(client: TestClient) -> None:
    login(client)
    assert client.get("/admin/").status_code == 200
    for view in ALL_VIEWS:
        assert client.get(f"/admin/{view.identity}/list").status_code == 200, view.identity
        if view.can_create:
            assert client.get(f"/admin/{view.identity}/create").status_code == 200, view.identity


def test_menus_pick_site_meal_period_and_dish_by_name(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        site = Site(code="hq", name_zh="总部食堂", name_en="HQ canteen")
        session.add(site)
        session.flush()
        lunch = MealPeriod(site_id=site.id or 0, code="lunch", name_zh="午餐", name_en="Lunch",
                           start=time(11), end=time(13, 30))
        session.add(lunch)
        session.commit()
        site_id, lunch_id = site.id, lunch.id
    login(client)
    page = client.get("/admin/menu/create?lang=zh_Hans").text
    assert "总部食堂" in page and "午餐" in page
    reply = client.post("/admin/menu/create", data={
        "site_id": str(site_id), "meal_period_id": str(lunch_id), "active": "y", "save": "Save",
    })
    assert reply.status_code == 302, reply.text
    assert client.post("/admin/dish/create", data=dish_form()).status_code == 302
    page = client.get("/admin/menu-item/create?lang=en").text
    assert "Rice" in page
    with Session(engine) as session:
        menu = session.exec(select(Menu)).one()
        dish = session.exec(select(Dish)).one()
    reply = client.post("/admin/menu-item/create", data={
        "menu_id": str(menu.id), "dish_id": str(dish.id), "available": "y", "sort_order": "1",
        "save": "Save",
    })
    assert reply.status_code == 302, reply.text
    with Session(engine) as session:
        item = session.exec(select(MenuItem)).one()
        assert (item.menu_id, item.dish_id, item.sold_out) == (menu.id, dish.id, False)


def test_form_errors_of_wtforms_follow_the_page_language(client: TestClient) -> None:
    login(client)
    reply = client.post("/admin/dish/create?lang=zh_Hans", data=dish_form(name_zh=""))
    assert reply.status_code == 400 and "该字段是必填字段。" in reply.text
    reply = client.post("/admin/dish/create?lang=en", data=dish_form(name_zh=""))
    assert reply.status_code == 400 and "This field is required." in reply.text
