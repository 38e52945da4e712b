"""Bulk import (CSV, XLSX) all or nothing with a row report, export round trip, erasure."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from hub.accounts.stored_value import top_up
from hub.db_types import utcnow
from hub.models.accounts import LedgerEntry, MemberAccount
from hub.models.identity import MemberCard
from hub.models.members import Member
from hub.models.users import Role
from tests.support.identity import make_member

Auth = Callable[[Role], dict[str, str]]
GOOD = (
    "member_no,name,phone,employer,department,birthday,card_no,consent_data\n"
    "E001,王小明,13800000001,Acme,IT,1990-05-01,CARD0001,yes\n"
    "E002,Ann Lee,13800000002,Acme,HR,,,no\n"
)


def upload(client: TestClient, auth: Auth, name: str, content: bytes) -> dict[str, Any]:
    r = client.post(
        "/api/v1/member-import", files={"file": (name, content)}, headers=auth(Role.ADMIN)
    )
    assert r.status_code == 202, r.text
    job = client.get(f"/api/v1/member-import/{r.json()['id']}", headers=auth(Role.ADMIN))
    assert job.status_code == 200
    return dict(job.json())


def members(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Member)).one())


def test_csv_import_happy_path_and_export_round_trip(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    job = upload(client, auth, "people.csv", GOOD.encode())
    assert job["status"] == "done" and job["imported"] == 2 and job["errors"] == []
    found = client.get(
        "/api/v1/member-desk/search", params={"card_no": "card0001"}, headers=auth(Role.CASHIER)
    )
    assert [m["name"] for m in found.json()] == ["王小明"]
    assert found.json()[0]["phone"] == "13800000001" and found.json()[0]["consent_data_at"]
    csv_out = client.get(
        "/api/v1/member-export", params={"format": "csv"}, headers=auth(Role.ADMIN)
    )
    assert csv_out.status_code == 200 and csv_out.content.startswith("\ufeff".encode())
    text = csv_out.content.decode("utf-8-sig")
    assert "E001,王小明,13800000001,Acme,IT,,1990-05-01,CARD0001,yes" in text
    xlsx = client.get("/api/v1/member-export", params={"format": "xlsx"}, headers=auth(Role.ADMIN))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][:3] == ("E001", "王小明", "13800000001")
    assert client.get("/api/v1/member-export", headers=auth(Role.MANAGER)).status_code == 403
    # Round trip: the export imported into an empty hub gives the same export.
    db_session.exec(select(Member)).all()
    for card in db_session.exec(select(MemberCard)).all():
        db_session.delete(card)
    for m in db_session.exec(select(Member)).all():
        db_session.delete(m)
    db_session.commit()
    assert upload(client, auth, "again.csv", csv_out.content)["status"] == "done"
    again = client.get("/api/v1/member-export", params={"format": "csv"}, headers=auth(Role.ADMIN))
    assert again.content == csv_out.content


def test_xlsx_import_with_chinese_headers(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["会员号", "姓名", "手机号", "部门"])
    sheet.append(["X001", "赵六", 13800000009, "财务"])
    out = io.BytesIO()
    book.save(out)
    job = upload(client, auth, "people.xlsx", out.getvalue())
    assert job["status"] == "done", job["errors"]
    member = db_session.exec(select(Member).where(Member.member_no == "X001")).one()
    assert member.name == "赵六" and member.department == "财务" and member.phone_encrypted


def test_import_with_row_errors_writes_nothing(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    make_member(client, auth, no="OLD1", phone="13800000002")
    bad = GOOD + (
        "E001,重复,13800000003,,,,,no\n"  # duplicate member_no in the file
        "E004,,13800000004,,,,,no\n"  # name missing
        "E005,钱七,12,,,,,no\n"  # bad phone
        "E006,孙八,,,,1990-13-01,,maybe\n"  # bad consent
        "E007,周九,,,,1990-13-01,,no\n"
    )  # bad date
    job = upload(client, auth, "bad.csv", bad.encode())
    assert job["status"] == "refused" and job["imported"] == 0
    errors = {(e["row"], e["column"]) for e in job["errors"]}
    assert {
        (3, "phone"),
        (4, "member_no"),
        (5, "name"),
        (6, "phone"),
        (7, "consent_data"),
        (8, "birthday"),
    } <= errors, job["errors"]
    assert all(e["zh"] and e["en"] for e in job["errors"])
    assert (
        members(db_session) == 1
        and db_session.exec(select(func.count()).select_from(MemberCard)).one() == 0
    )
    for name, content in (
        ("x.txt", b"a,b"),
        ("x.csv", b"\xff\xfe\x00bad"),
        ("x.csv", b"foo,bar\n1,2\n"),
        ("x.xlsx", b"not a zip"),
    ):
        job = upload(client, auth, name, content)
        assert job["status"] == "refused" and job["errors"][0]["row"] == 0, (name, job)
    assert members(db_session) == 1
    r = client.post(
        "/api/v1/member-import",
        files={"file": ("p.csv", GOOD.encode())},
        headers=auth(Role.MANAGER),
    )
    assert r.status_code == 403 and members(db_session) == 1


def test_erasure_keeps_money_and_personal_data_export(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    member = make_member(client, auth, birthday="1990-01-02")
    client.post(
        f"/api/v1/members/{member}/cards", json={"card_no": "CARD7777"}, headers=auth(Role.CASHIER)
    )
    top_up(
        db_session, member_id=member, amount_cents=5000, method="cash", actor="cashier", at=utcnow()
    )
    data = client.get(f"/api/v1/members/{member}/personal-data", headers=auth(Role.ADMIN)).json()
    assert data["profile"]["phone"] == "13800138000" and data["cards"][0]["card_no"] == "CARD7777"
    assert sum(e["amount"] for e in data["ledger"]) >= 5000
    db_session.expire_all()
    before = db_session.get(MemberAccount, member)
    assert before is not None
    paid_before = before.paid_cents
    ledger_before = db_session.exec(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.member_id == member)
    ).one()
    assert (
        client.post(f"/api/v1/members/{member}/erase", headers=auth(Role.MANAGER)).status_code
        == 403
    )
    r = client.post(f"/api/v1/members/{member}/erase", headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["phone"] is None and body["birthday"] is None and "张" not in body["name"]
    assert (
        client.post(f"/api/v1/members/{member}/erase", headers=auth(Role.ADMIN)).status_code == 409
    )
    assert client.post("/api/v1/members/999/erase", headers=auth(Role.ADMIN)).status_code == 404
    db_session.expire_all()
    after = db_session.get(MemberAccount, member)
    assert after is not None and after.paid_cents == paid_before
    assert (
        db_session.exec(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.member_id == member)
        ).one()
        == ledger_before
    )
    assert db_session.exec(select(func.count()).select_from(MemberCard)).one() == 0
    found = client.get(
        "/api/v1/member-desk/search", params={"phone": "13800138000"}, headers=auth(Role.CASHIER)
    )
    assert found.json() == []
