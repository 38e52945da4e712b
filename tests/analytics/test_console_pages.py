"""The console pages over HTTP, signed in to the admin shell, in both languages."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from hub.models.accounts import LedgerEntry
from hub.models.users import Role
from tests.analytics.conftest import EXPECTED_INCOME, EXPECTED_SUBSIDY, Seeded, close_month
from tests.support.screenshots import publish_screenshot

Shell = Callable[[Role], TestClient]
MONTH = {"start": "2025-03-01", "end": "2025-03-31"}


def _order_nos(html: str) -> list[str]:
    return sorted(re.findall(r'/console/orders/[0-9a-f-]{36}">([A-Z0-9-]+)<', html))


def _refunds(seeded: Seeded, order_no: str) -> list[tuple[str, int]]:
    with Session(seeded.engine) as session:
        return [(e.account, e.amount) for e in session.exec(
            select(LedgerEntry).where(LedgerEntry.order_id == seeded.orders[order_no],
                                      LedgerEntry.kind == "refund")
            .order_by(col(LedgerEntry.id)))]


@pytest.mark.parametrize(("lang", "title", "collected"), [("en", "Orders", "Collected"),
                                                          ("zh_Hans", "订单", "已取餐")])
def test_orders_filter_and_detail_in_both_languages(
    seeded: Seeded, shell: Shell, lang: str, title: str, collected: str
) -> None:
    c = shell(Role.MANAGER)
    page = c.get("/admin/console/orders", params={"lang": lang})
    assert page.status_code == 200 and title in page.text
    assert _order_nos(page.text) == ["A001", "A002", "A003", "A004", "A005", "B001"]
    assert "/admin/sync/conflicts" in page.text and "dead-letter" in page.text  # console menu
    narrowed = c.get("/admin/console/orders", params={"site": "site1", "payment": "subsidy",
                                                      "start": "2025-03-04", "end": "2025-03-04"})
    assert _order_nos(narrowed.text) == ["A004"]
    assert _order_nos(c.get("/admin/console/orders", params={"status": "unpaid"}).text) == [
        "A003"]
    detail = c.get(f"/admin/console/orders/{seeded.orders['A001']}")
    assert detail.status_code == 200
    assert ("Braised pork" if lang == "en" else "红烧肉") in detail.text
    assert "￥15.00" in detail.text and "￥20.00" in detail.text  # subsidy payment, total
    assert collected in detail.text and "太咸了 too salty" in detail.text
    assert c.get(f"/admin/console/orders/{'0' * 8}-0000-7000-8000-{'0' * 12}").status_code == 404


@pytest.mark.parametrize(("lang", "words"), [("en", "before it starts"),
                                             ("zh_Hans", "早于开始日期")])
def test_a_backwards_range_is_refused_with_a_message(seeded: Seeded, shell: Shell, lang: str,
                                                      words: str) -> None:
    c = shell(Role.MANAGER)
    for path in ("money", "orders", "feedback"):
        reply = c.get(f"/admin/console/{path}",
                      params={"start": "2025-03-05", "end": "2025-03-01", "lang": lang})
        assert reply.status_code == 400 and words in reply.text, path
    bad = c.get("/admin/console/money", params={"start": "2025-03-01", "end": "2025-03-02",
                                                "site": "nowhere", "format": "csv"})
    assert bad.status_code == 400 and "text/html" in bad.headers["content-type"]
    month = c.get("/admin/console/subsidy-statement", params={"month": "2025-13", "lang": lang})
    assert month.status_code == 400 and "2025-13" in month.text


def test_refund_from_the_detail_page_goes_to_the_ledger_once(seeded: Seeded,
                                                             shell: Shell) -> None:
    c = shell(Role.MANAGER)
    url = f"/admin/console/orders/{seeded.orders['A001']}"
    assert 'name="refundable" value="2000"' in c.get(url).text
    refused = c.post(f"{url}/refund", data={"refundable": "2000", "reason": " ", "amount": ""})
    assert refused.status_code == 400 and "reason" in refused.text
    bad_amount = c.post(f"{url}/refund", data={"refundable": "2000", "reason": "cold",
                                               "amount": "12.345"})
    assert bad_amount.status_code == 400
    assert _refunds(seeded, "A001") == []  # nothing written by a refusal
    done = c.post(f"{url}/refund", data={"refundable": "2000", "reason": "cold soup",
                                         "amount": "5.00"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    given = _refunds(seeded, "A001")
    assert sum(cents for account, cents in given if account != "points") == 500
    # The same form posted again (a double click) meets a changed order: nothing more.
    again = c.post(f"{url}/refund", data={"refundable": "2000", "reason": "cold soup",
                                          "amount": "5.00"})
    assert again.status_code == 400 and _refunds(seeded, "A001") == given
    shown = c.get(done.headers["location"])
    assert "￥5.00" in shown.text and "￥15.00" in shown.text  # refunded so far, left


def test_income_csv_and_xlsx_parse_back_to_the_same_figures(seeded: Seeded,
                                                             shell: Shell) -> None:
    c = shell(Role.MANAGER)
    page = c.get("/admin/console/money", params={**MONTH, "lang": "en"})
    assert page.status_code == 200 and "￥100.00" in page.text  # the range's total
    reply = c.get("/admin/console/money", params={**MONTH, "format": "csv", "lang": "en"})
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    labels = {"subsidy": "Subsidy", "stored_value": "Paid from stored value",
              "counter": "At the counter"}

    def figures(get: Callable[[dict[str, object], str], object]) -> dict[tuple[str, str],
                                                                      dict[str, int]]:
        return {(str(r["Day"]), str(r["Site"])): {
            m: round(float(str(get(r, label))) * 100) for m, label in labels.items()
            if float(str(get(r, label)))} for r in rows if r["Day"] != "Total"}

    assert figures(lambda r, k: r[k]) == EXPECTED_INCOME
    total = next(r for r in rows if r["Day"] == "Total")
    assert total["Total"] == f"{sum(sum(v.values()) for v in EXPECTED_INCOME.values()) / 100:.2f}"
    book = openpyxl.load_workbook(io.BytesIO(c.get(
        "/admin/console/money", params={**MONTH, "format": "xlsx", "lang": "en"}).content))
    sheet = list(book.active.iter_rows(values_only=True))
    header = [str(h) for h in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet[2:]]
    assert figures(lambda r, k: r[k]) == EXPECTED_INCOME


def test_subsidy_statement_page_and_xlsx_match_the_ledger(seeded: Seeded, shell: Shell) -> None:
    c = shell(Role.MANAGER)
    close_month(c, "2025-03")
    page = c.get("/admin/console/subsidy-statement", params={"month": "2025-03", "lang": "zh_Hans"})
    assert page.status_code == 200 and "餐补对账单" in page.text and "￥55.00" in page.text
    book = openpyxl.load_workbook(io.BytesIO(c.get(
        "/admin/console/subsidy-statement", params={"month": "2025-03", "format": "xlsx",
                                                    "lang": "en"}).content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[1][0] == "Employer"
    got = {(r[0], r[1]): round(float(r[6]) * 100) for r in sheet[2:-1]}
    assert got == EXPECTED_SUBSIDY
    with Session(seeded.engine) as session:
        ledger = -int(session.exec(select(sa.func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account == "subsidy")).one() or 0)
    # Grants are positive, spends negative: the ledger's spends alone are what is billed.
    with Session(seeded.engine) as session:
        spent = -int(session.exec(select(sa.func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account == "subsidy", LedgerEntry.kind == "spend")).one())
    assert round(float(sheet[-1][6]) * 100) == spent == 5_500
    assert ledger < 0  # granted more than spent: the rest lapses, never billed


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_subsidy_statement_pdf_prints_chinese_and_the_same_figures(
    seeded: Seeded, shell: Shell, artifacts: Path
) -> None:
    c = shell(Role.MANAGER)
    close_month(c, "2025-03")
    reply = c.get("/admin/console/subsidy-statement", params={"month": "2025-03", "format": "pdf"})
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    pdf = artifacts / "subsidy-2025-03.pdf"
    pdf.write_bytes(reply.content)
    # The text poppler reads back is what a printer prints: the CJK glyphs are embedded.
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "餐补对账单 Subsidy statement 2025-03" in text
    assert "应结算 To bill" in text and "55.00" in text and "30.00" in text and "15.00" in text
    assert "acme" in text and "globex" in text
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf),
                    str(artifacts / "console-subsidy-pdf")], check=True)
    png = artifacts / "console-subsidy-pdf.png"
    assert png.stat().st_size > 10_000
    publish_screenshot(png)


def test_feedback_page_lists_comments_and_dishes(seeded: Seeded, shell: Shell) -> None:
    c = shell(Role.MANAGER)
    page = c.get("/admin/console/feedback", params={"lang": "en", "comments": "1"})
    assert page.status_code == 200
    assert "太咸了 too salty" in page.text and "1 feedback entry" in page.text
    assert "Braised pork" in page.text and "Beef noodles" in page.text  # per-dish ratings
    zh = c.get("/admin/console/feedback", params={"lang": "zh_Hans"})
    assert "2 条评价" in zh.text and "各菜品评分" in zh.text


def test_a_cashier_cannot_open_the_console(seeded: Seeded, shell: Shell) -> None:
    c = shell(Role.CASHIER)
    for path in ("orders", "money", "feedback", "subsidy-statement",
                 f"orders/{seeded.orders['A001']}"):
        reply = c.get(f"/admin/console/{path}", follow_redirects=False)
        assert reply.status_code in (302, 403), (path, reply.status_code)
    reply = c.post(f"/admin/console/orders/{seeded.orders['A001']}/refund",
                   data={"refundable": "2000", "reason": "x"}, follow_redirects=False)
    assert reply.status_code in (302, 403) and _refunds(seeded, "A001") == []


def test_order_times_are_the_sites_local_time(seeded: Seeded, shell: Shell) -> None:
    c = shell(Role.MANAGER)
    listing = c.get("/admin/console/orders", params={"site": "site1"}).text
    # A004 was placed at 17:30 UTC on 3 March: 01:30 on 4 March in Shanghai.
    assert "2025-03-04 01:30" in listing and "2025-03-03 17:30 UTC" in listing
    detail = c.get(f"/admin/console/orders/{seeded.orders['A004']}").text
    assert "2025-03-04 01:30:00 CST" in detail
