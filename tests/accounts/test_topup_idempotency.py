"""A top-up repeated with the same request key (double click, retried request) tops up once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.accounts.stored_value import top_up
from hub.app import create_app
from hub.models import Role, UserCreate
from hub.models.accounts import LedgerEntry, MemberAccount
from hub.models.members import Member
from hub.services.users import create_user
from hub.settings import Settings
from tests.accounts.conftest import add_member

AT = datetime(2025, 3, 5, 4, 0, tzinfo=UTC)
PASSWORD = "cashier-password-1"


def entries(session: Session, member_id: int) -> list[LedgerEntry]:
    """The member's ledger entries, read fresh."""
    session.expire_all()
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.member_id == member_id)))


def test_same_key_returns_first_receipt_and_writes_nothing(engine: Engine) -> None:
    with Session(engine) as s:
        m = add_member(s, "K100")
        first = top_up(s, member_id=m, amount_cents=5_000, method="cash", actor="c", at=AT,
                       request_key="form-1")
        again = top_up(s, member_id=m, amount_cents=5_000, method="cash", actor="c", at=AT,
                       request_key="form-1")
        assert again.receipt_no == first.receipt_no
        assert again.paid_balance_cents == first.paid_balance_cents == 5_000
        assert [e.amount for e in entries(s, m)] == [5_000]
        other = top_up(s, member_id=m, amount_cents=1_000, method="cash", actor="c", at=AT,
                       request_key="form-2")
        assert other.receipt_no != first.receipt_no and other.paid_balance_cents == 6_000
        account = s.get(MemberAccount, m)
        assert account is not None and account.paid_cents == 6_000


def test_api_idempotency_key_header(client: TestClient, auth: object, db_session: Session
                                    ) -> None:
    headers = auth(Role.CASHIER)  # type: ignore[operator]
    member = Member(member_no="K200", name="王小明")
    db_session.add(member)
    db_session.commit()
    url = f"/api/v1/accounts/{member.id}/top-ups"
    body = {"amount_cents": 2_000, "method": "wechat"}
    one = client.post(url, headers={**headers, "Idempotency-Key": "abc-1"}, json=body)
    two = client.post(url, headers={**headers, "Idempotency-Key": "abc-1"}, json=body)
    assert one.status_code == 201 and two.status_code == 201, two.text
    assert one.json()["receipt_no"] == two.json()["receipt_no"]
    assert two.json()["paid_balance_cents"] == 2_000
    assert member.id is not None and len(entries(db_session, member.id)) == 1


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[TestClient]:
    """The hub on SQLite with a cashier signed in to the admin shell."""
    app = create_app(Settings(demo_mode=True, data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as c:
        with Session(app.state.engine) as s:
            create_user(session=s, data=UserCreate(username="till", password=PASSWORD,
                                                   role=Role.CASHIER))
        assert c.post("/admin/login", data={"username": "till",
                                            "password": PASSWORD}).status_code == 302
        yield c


def test_member_desk_form_posted_twice_tops_up_once(desk: TestClient) -> None:
    engine = desk.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        m = add_member(s, "K300")
    page = desk.get(f"/admin/member-desk/{m}")
    assert page.status_code == 200, page.text
    keys = re.findall(r'name="request_key" value="([^"]+)"', page.text)
    assert len(keys) == 1 and len(keys[0]) >= 20
    form = {"amount": "30.00", "method": "cash", "request_key": keys[0]}
    first = desk.post(f"/admin/member-desk/{m}/top-up", data=form)
    second = desk.post(f"/admin/member-desk/{m}/top-up", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]  # same receipt
    with Session(engine) as s:
        assert [e.amount for e in entries(s, m)] == [3_000]
        account = s.get(MemberAccount, m)
        assert account is not None and account.paid_cents == 3_000
    # a fresh rendering carries a fresh key: a second real top-up goes through
    fresh = re.findall(r'name="request_key" value="([^"]+)"', desk.get(
        f"/admin/member-desk/{m}").text)[0]
    assert fresh != keys[0]
    desk.post(f"/admin/member-desk/{m}/top-up", data={**form, "request_key": fresh})
    with Session(engine) as s:
        assert [e.amount for e in entries(s, m)] == [3_000, 3_000]
