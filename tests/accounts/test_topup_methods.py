"""One list of top-up methods: the service, the API schema and the member desk agree on it,
and an unknown method from the desk's form is refused with nothing written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.accounts.stored_value import TOPUP_METHODS
from hub.app import create_app
from hub.models import Role, UserCreate
from hub.models.account_api import TopUpIn
from hub.models.accounts import LedgerEntry, MemberAccount, TopUpMethod, TopupRequest
from hub.models.audit import AuditLog
from hub.models.members import Member
from hub.services.users import create_user
from hub.settings import Settings

PASSWORD = "cashier-password-1"


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


def add_member(client: TestClient) -> int:
    """One active member; its id."""
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        member = Member(member_no="T100", name="王小明")
        s.add(member)
        s.commit()
        assert member.id is not None
        return member.id


def written(client: TestClient, member_id: int) -> dict[str, int]:
    """What a top-up writes, counted: ledger entries, request keys, audit rows, balance."""
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        def count(model: type, column: object) -> int:
            return s.exec(select(func.count()).select_from(model)
                          .where(column == member_id)).one()

        account = s.get(MemberAccount, member_id)
        return {
            "entries": count(LedgerEntry, LedgerEntry.member_id),
            "requests": count(TopupRequest, TopupRequest.member_id),
            "audit": count(AuditLog, AuditLog.member_id),
            "paid": 0 if account is None else account.paid_cents,
        }


def test_service_api_and_desk_share_one_list(desk: TestClient) -> None:
    assert tuple(m.value for m in TopUpMethod) == TOPUP_METHODS
    schema = TopUpIn.model_json_schema()
    method = schema["properties"]["method"]
    enum = schema["$defs"][method["$ref"].rsplit("/", 1)[-1]]["enum"] if "$ref" in method \
        else method["enum"]
    assert tuple(enum) == TOPUP_METHODS
    page = desk.get(f"/admin/member-desk/{add_member(desk)}")
    assert page.status_code == 200
    select_html = re.search(r'<select[^>]*name="method".*?</select>', page.text, re.S)
    assert select_html is not None
    assert tuple(re.findall(r'<option value="([^"]+)"', select_html.group(0))) == TOPUP_METHODS


@pytest.mark.parametrize(("lang", "message"), [
    ("zh_Hans", "未知的支付方式"),
    ("en", "Unknown payment method. Choose one of: Cash, WeChat Pay"),
])
def test_unknown_method_from_the_desk_is_refused_and_nothing_written(
    desk: TestClient, lang: str, message: str
) -> None:
    member_id = add_member(desk)
    desk.cookies.set("lang", lang)
    before = written(desk, member_id)
    for method in ("bitcoin", "", "CASH "):
        reply = desk.post(f"/admin/member-desk/{member_id}/top-up",
                          data={"amount": "20.00", "method": method, "request_key": "k-1"})
        assert reply.status_code == 400, (method, reply.status_code)
        assert message in reply.text, method
        assert written(desk, member_id) == before
    # a known method still tops up
    ok = desk.post(f"/admin/member-desk/{member_id}/top-up",
                   data={"amount": "20.00", "method": "wechat", "request_key": "k-2"})
    assert ok.status_code == 303
    assert written(desk, member_id)["paid"] == 2_000


def test_api_schema_refuses_an_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        TopUpIn.model_validate({"amount_cents": 100, "method": "bitcoin"})
    assert TopUpIn.model_validate({"amount_cents": 100, "method": "alipay"}).method == "alipay"
