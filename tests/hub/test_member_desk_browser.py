"""The member desk in headless Chromium against a real hub: a cashier tops up, a manager issues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.accounts.bonus_rules import create_bonus_rule
from hub.coupons.templates import create_template
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.identity.cards import add_card
from hub.models import MemberCreate, Role, UserCreate
from hub.models.account_rules import TopupBonusRuleCreate
from hub.models.accounts import EntryKind, LedgerEntry
from hub.models.coupons import Coupon, CouponTemplateCreate
from hub.services.members import create_member
from hub.services.users import create_user
from rules.order import CouponKind
from tests.support.browser import (
    BROWSER_TEST,
    RunningHub,
    log_in,
    new_page,
    served_hub,
    shoot,
)

CASHIER = ("mei", "cashier-password-1")
MANAGER = ("lin", "manager-password-1")
PHONE = "13812345678"
CARD = "6222 0000 1234 5678"

pytestmark = BROWSER_TEST


@dataclass
class DeskHub(RunningHub):
    """A running hub plus the member the test serves."""

    member_id: int


def seed(engine: Engine, cipher: FieldCipher) -> int:
    """A cashier, a manager, three members (one with a card), a coupon template, a bonus rule."""
    with Session(engine) as session:
        for (username, password), role in ((CASHIER, Role.CASHIER), (MANAGER, Role.MANAGER)):
            create_user(session=session,
                        data=UserCreate(username=username, password=password, role=role))
        ming = create_member(session=session, cipher=cipher, data=MemberCreate(
            member_no="E1001", name="张小明", phone=PHONE, employer="星河科技",
            department="研发部"))
        for no, name, phone in (("E1002", "李雷", "13900001111"), ("E1003", "Ann Lee", None)):
            create_member(session=session, cipher=cipher, data=MemberCreate(
                member_no=no, name=name, phone=phone, employer="星河科技"))
        assert ming.id is not None
        add_card(session=session, cipher=cipher, member_id=ming.id, card_no=CARD, actor="seed")
        create_template(session=session, actor="seed", data=CouponTemplateCreate(
            code="lunch-5", name_zh="午餐立减5元", name_en="Lunch ￥5 off",
            kind=CouponKind.AMOUNT_OFF, amount_cents=500, valid_days=30))
        create_bonus_rule(session, actor="seed", at=utcnow(), data=TopupBonusRuleCreate(
            code="fifty-five", name_zh="充50送5", name_en="Top up ￥50, get ￥5",
            min_topup_cents=5000, bonus_cents=500))
        return ming.id


@contextmanager
def desk_hub(data_dir: Path) -> Iterator[DeskHub]:
    """The hub under uvicorn on a migrated SQLite file, seeded through the hub's services."""
    with served_hub(data_dir) as (app, url):
        member_id = seed(app.state.engine, app.state.cipher)
        yield DeskHub(url=url, engine=app.state.engine, member_id=member_id)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[DeskHub]:
    """A seeded hub of its own."""
    with desk_hub(tmp_path / "hub") as running:
        yield running


def entries(engine: Engine, member_id: int) -> list[LedgerEntry]:
    """The member's ledger entries as stored, oldest first."""
    with Session(engine) as session:
        return list(session.exec(
            select(LedgerEntry).where(LedgerEntry.member_id == member_id)
            .order_by(col(LedgerEntry.id))
        ).all())


def top_up(page: Page, amount: str) -> None:
    """Type an amount into the top-up form and send it."""
    page.get_by_test_id("topup-form").locator("#amount").fill(amount)
    page.get_by_test_id("topup-form").locator("button[type=submit]").click()


def test_cashier_finds_a_member_by_phone_and_tops_up(
    hub: DeskHub, browser: Browser, artifacts: Path
) -> None:
    page = new_page(browser, "zh-CN")
    log_in(page, hub, CASHIER)
    # A cashier lands on the member desk, and the menu offers nothing else.
    expect(page).to_have_url(re.compile(r"/admin/member-desk$"))
    expect(page.locator(".page-title")).to_have_text("会员服务台")
    menu = page.locator("#navbar-menu")
    expect(menu).to_contain_text("会员服务台")
    expect(menu).not_to_contain_text("菜品")
    expect(menu).not_to_contain_text("站点")

    page.select_option("#by", "phone")
    page.fill("#q", PHONE)
    page.get_by_role("button", name="搜索").click()
    results = page.get_by_test_id("member-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("张小明")
    expect(results).to_contain_text("138****5678")
    expect(results).not_to_contain_text(PHONE)
    shoot(page, artifacts, "member-search-zh")

    results.get_by_role("link", name="打开").click()
    expect(page.get_by_test_id("member-name")).to_contain_text("张小明")
    expect(page.get_by_test_id("member-phone")).to_have_text("138****5678")
    expect(page.get_by_test_id("balance-paid")).to_have_text("￥0.00")
    expect(page.get_by_test_id("adjust-form")).to_have_count(0)  # managers only

    # Refusals are said plainly, and nothing is written.
    for typed in ("abc", "0", "-5", "12.345"):
        top_up(page, typed)
        expect(page.get_by_test_id("desk-error")).to_be_visible()
    expect(page.get_by_test_id("desk-error")).to_contain_text("请输入以元为单位的金额")
    shoot(page, artifacts, "member-topup-refused-zh")
    top_up(page, "0")
    expect(page.get_by_test_id("desk-error")).to_have_text(
        "充值金额须在 ￥0.01 至 ￥10000.00 之间。"
    )
    assert entries(hub.engine, hub.member_id) == []

    top_up(page, "50")
    receipt = page.get_by_test_id("topup-receipt")
    expect(receipt).to_contain_text("充值凭条")
    expect(page.get_by_test_id("receipt-amount")).to_have_text("￥50.00")
    expect(page.get_by_test_id("receipt-bonus")).to_have_text("￥5.00")
    expect(page.get_by_test_id("receipt-balance")).to_have_text("￥50.00")
    expect(page.get_by_test_id("receipt-operator")).to_have_text("mei")
    local_time = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
    expect(page.get_by_test_id("receipt-time")).to_have_text(local_time)
    expect(page.get_by_test_id("balance-paid")).to_have_text("￥50.00")
    expect(page.get_by_test_id("balance-bonus")).to_have_text("￥5.00")
    ledger = page.get_by_test_id("ledger")
    expect(ledger.locator("tbody tr")).to_have_count(2)
    expect(ledger.locator("tbody tr").first).to_contain_text("充值赠送")  # newest first
    shoot(page, artifacts, "member-profile-zh")

    stored = entries(hub.engine, hub.member_id)
    assert [(e.kind, e.amount, e.balance_after, e.actor) for e in stored] == [
        (EntryKind.TOPUP, 5000, 5000, "mei"),
        (EntryKind.TOPUP_BONUS, 500, 500, "mei"),
    ]
    assert len({e.operation_id for e in stored}) == 1

    # The same receipt in English, a click away.
    page.get_by_test_id("language-switch").get_by_text("English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(receipt).to_contain_text("Top-up receipt")
    expect(receipt).to_contain_text("New stored value balance")
    expect(page.get_by_test_id("receipt-amount")).to_have_text("￥50.00")
    shoot(page, artifacts, "member-topup-en")
    assert len(entries(hub.engine, hub.member_id)) == 2  # the reload wrote nothing


def test_cashier_cannot_reach_the_dish_pages(hub: DeskHub, browser: Browser) -> None:
    page = new_page(browser, "en-US")
    log_in(page, hub, CASHIER)
    expect(page).to_have_url(re.compile(r"/admin/member-desk$"))
    for path in ("/admin/dish/list", "/admin/dish/create", "/admin/menu/list",
                 "/admin/site/list", "/admin/member/list"):
        reply = page.goto(f"{hub.url}{path}")
        assert reply is not None and reply.status == 403, path
    page.goto(f"{hub.url}/admin/")  # the dashboard sends a cashier to the desk
    expect(page).to_have_url(re.compile(r"/admin/member-desk$"))
    posted = page.request.post(
        f"{hub.url}/admin/member-desk/{hub.member_id}/adjust",
        form={"account": "paid", "amount": "100", "reason": "gift"}, max_redirects=0,
    )
    assert posted.status == 403
    assert entries(hub.engine, hub.member_id) == []


def test_manager_finds_by_card_and_issues_a_coupon(
    hub: DeskHub, browser: Browser, artifacts: Path
) -> None:
    page = new_page(browser, "en-US")
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}/admin/member-desk")
    page.select_option("#by", "card")
    page.fill("#q", "6222-0000-1234-5678")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("member-results").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("member-results").get_by_role("link", name="Open").click()
    expect(page.get_by_test_id("coupons")).to_contain_text("No coupon.")

    page.select_option("#template_id", label="Lunch ￥5 off (lunch-5)")
    page.get_by_test_id("coupon-form").get_by_role("button", name="Issue").click()
    expect(page.get_by_test_id("desk-done")).to_have_text("Coupon issued.")
    coupons = page.get_by_test_id("coupons")
    expect(coupons.locator("tbody tr")).to_have_count(1)
    expect(coupons).to_contain_text("Lunch ￥5 off")
    expect(coupons).to_contain_text("Not used yet")

    # An adjustment needs a reason: refused without one, recorded with one.
    form = page.get_by_test_id("adjust-form")
    form.locator("#adjust-amount").fill("8.80")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("desk-error")).to_have_text("An adjustment needs a reason.")
    assert entries(hub.engine, hub.member_id) == []
    form.locator("#adjust-amount").fill("8.80")
    form.locator("#reason").fill("card reader fault on 3 June")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("desk-done")).to_have_text("Adjustment recorded.")
    expect(page.get_by_test_id("balance-paid")).to_have_text("￥8.80")
    shoot(page, artifacts, "member-coupon-en")
    with Session(hub.engine) as session:
        held = session.exec(select(Coupon).where(Coupon.member_id == hub.member_id)).all()
    assert [(c.status, c.issued_by) for c in held] == [("issued", "lin")]

    page.get_by_test_id("language-switch").get_by_text("中文").click()
    expect(page.get_by_test_id("coupons")).to_contain_text("午餐立减5元")
    expect(page.get_by_test_id("coupons")).to_contain_text("未使用")
    shoot(page, artifacts, "member-coupon-zh")
