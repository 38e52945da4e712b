"""The admin shell in a real browser: headless Chromium against a real hub (uvicorn, SQLite)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.models import Dish, Role, UserCreate
from hub.services.users import create_user
from tests.support.browser import (
    BROWSER_TEST,
    RunningHub,
    log_in,
    new_page,
    served_hub,
    shoot,
)

ADMIN = ("boss", "admin-password-1")
KITCHEN = ("wok", "kitchen-password-1")
MANAGER = ("lin", "manager-password-1")


@contextmanager
def running_hub(data_dir: Path) -> Iterator[RunningHub]:
    """Start the hub in a uvicorn thread, create an admin, a manager and a kitchen user."""
    with served_hub(data_dir) as (app, url):
        engine: Engine = app.state.engine
        with Session(engine) as session:
            for (username, password), role in ((ADMIN, Role.ADMIN), (KITCHEN, Role.KITCHEN),
                                               (MANAGER, Role.MANAGER)):
                create_user(
                    session=session,
                    data=UserCreate(username=username, password=password, role=role),
                )
        yield RunningHub(url=url, engine=engine)


pytestmark = BROWSER_TEST


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A real hub on a free port with its own SQLite file."""
    with running_hub(tmp_path / "hub") as running:
        yield running


def dish_by_code(engine: Engine, code: str) -> Dish | None:
    """The dish row as stored, read straight from the database."""
    with Session(engine) as session:
        return session.exec(select(Dish).where(Dish.code == code)).first()


def test_admin_creates_a_dish_priced_in_yuan_and_switches_language(
    hub: RunningHub, browser: Browser, artifacts: Path
) -> None:
    page = new_page(browser, "en-US")
    log_in(page, hub, ADMIN)
    expect(page.locator(".page-title")).to_have_text("Dashboard")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("boss")
    shoot(page, artifacts, "admin-dashboard-en")

    # Create a dish through the SQLAdmin form: the price is typed in yuan.
    page.goto(f"{hub.url}/admin/dish/create")
    expect(page.locator("label[for=price_cents]")).to_have_text(re.compile(r"Price \(yuan\)"))
    page.fill("#code", "mapo-tofu")
    page.fill("#name_zh", "麻婆豆腐")
    page.fill("#name_en", "Mapo tofu")
    page.fill("#category", "hot")
    page.fill("#price_cents", "12.5")
    page.check("input[name=tags][value=spicy]")
    page.check("input[name=allergens][value=soy]")
    shoot(page, artifacts, "admin-dish-form-en")
    page.click("input[type=submit][value='Save']")

    expect(page).to_have_url(re.compile(r"/admin/dish/list"))
    row = page.locator("tbody tr", has_text="mapo-tofu")
    expect(row).to_contain_text("￥12.50")
    expect(row).to_contain_text("Mapo tofu")
    expect(row).to_contain_text("Spicy")
    shoot(page, artifacts, "admin-dishes-en")

    stored = dish_by_code(hub.engine, "mapo-tofu")
    assert stored is not None
    assert stored.price_cents == 1250  # cents in the database, yuan on the screen
    assert stored.tags == ["spicy"] and stored.allergens == ["soy"]

    # A price with three decimals is refused with a message and nothing is written.
    page.goto(f"{hub.url}/admin/dish/create")
    page.fill("#code", "bad-price")
    page.fill("#name_zh", "坏价格")
    page.fill("#name_en", "Bad price")
    page.fill("#category", "hot")
    page.fill("#price_cents", "12.345")
    page.click("input[type=submit][value='Save']")
    expect(page.get_by_text("Enter an amount in yuan, e.g. 12.50")).to_be_visible()
    assert dish_by_code(hub.engine, "bad-price") is None

    # Switch to Chinese on the list page: labels, menu and money read in Chinese.
    page.goto(f"{hub.url}/admin/dish/list")
    page.get_by_test_id("language-switch").get_by_text("中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("thead")).to_contain_text("价格（元）")
    expect(page.locator("thead")).to_contain_text("名称（中文）")
    expect(page.locator("tbody tr", has_text="mapo-tofu")).to_contain_text("辣")
    expect(page.get_by_text("新建菜品")).to_be_visible()
    shoot(page, artifacts, "admin-dishes-zh")

    # The choice sticks (cookie) on pages opened without ?lang=.
    page.goto(f"{hub.url}/admin/")
    expect(page.locator(".page-title")).to_have_text("概览")
    expect(page.get_by_text("今日订单")).to_be_visible()
    expect(page.locator(".dashboard-card", has_text="在售菜品").locator(".count")).to_have_text("1")
    shoot(page, artifacts, "admin-dashboard-zh")

    page.goto(f"{hub.url}/admin/dish/create")
    expect(page.locator("label[for=price_cents]")).to_have_text(re.compile("价格（元）"))
    expect(page.locator("label", has_text="花生 (peanut)")).to_be_visible()
    shoot(page, artifacts, "admin-dish-form-zh")

    # Logging out ends the session: the admin pages send the browser back to the login.
    page.get_by_text("退出登录").click()
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    page.goto(f"{hub.url}/admin/dish/list")
    expect(page).to_have_url(re.compile(r"/admin/login$"))


def test_kitchen_user_is_refused_in_both_languages(
    hub: RunningHub, browser: Browser, artifacts: Path
) -> None:
    page = new_page(browser, "zh-CN")
    log_in(page, hub, KITCHEN)
    error = page.get_by_test_id("login-error")
    expect(error).to_have_text("您的角色（后厨）无权使用管理后台，请联系管理员。")
    shoot(page, artifacts, "admin-login-refused-zh")
    page.goto(f"{hub.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login$"))  # no session was made

    page = new_page(browser, "en-GB")
    log_in(page, hub, KITCHEN)
    expect(page.get_by_test_id("login-error")).to_have_text(
        "Your role (kitchen) may not use the admin pages. Ask an administrator."
    )
    # A wrong password is a different, equally clear refusal.
    page.fill("#username", ADMIN[0])
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_have_text("Invalid credentials.")


def test_manager_may_use_the_admin_shell(hub: RunningHub, browser: Browser) -> None:
    page = new_page(browser, "zh-CN")
    log_in(page, hub, MANAGER)
    expect(page.locator(".page-title")).to_have_text("概览")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("lin")
