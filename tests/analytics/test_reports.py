"""Money reports and the order list on ingested orders, via the services and the JSON API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from hub.accounts.refunds import refund_order
from hub.analytics import money, orders
from hub.analytics.inputs import ReportInputError, date_range, month_range, resolve_sites
from hub.models.accounts import LedgerEntry
from hub.models.orders import Order, Payment
from hub.models.sites import Site
from hub.models.users import Role
from tests.analytics.conftest import DAY2, EXPECTED_INCOME, EXPECTED_SUBSIDY, Seeded

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _payments_by_day(session: Session) -> dict[tuple[str, str], dict[str, int]]:
    """The baseline: every payment row, summed per Shanghai day, site and method."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for placed, site, method, cents in session.exec(
        select(Order.placed_at, Site.code, Payment.method, Payment.amount_cents)
        .join(Payment, col(Payment.order_id) == Order.id)
        .join(Site, col(Site.id) == Order.site_id)
    ):
        out[(placed.astimezone(SHANGHAI).date().isoformat(), site)][method] += cents
    return {k: dict(v) for k, v in out.items()}


def test_income_per_payment_type_per_day_equals_the_payments(seeded: Seeded) -> None:
    with Session(seeded.engine) as session:
        report = money.income_by_payment(session, days=date_range("2025-03-01", "2025-03-31"),
                                         sites=resolve_sites(session, None))
        baseline = _payments_by_day(session)
    got = {(r.day.isoformat(), r.site): {m: c for m, c in r.by_method.items() if c}
           for r in report.rows}
    assert got == baseline == EXPECTED_INCOME
    assert report.totals["subsidy"] == 5_500 and report.totals["counter"] == 2_000
    assert report.total_cents == sum(sum(v.values()) for v in EXPECTED_INCOME.values())
    assert [r.orders for r in report.rows] == [3, 1, 2]


def test_income_of_one_site_and_one_day(seeded: Seeded) -> None:
    with Session(seeded.engine) as session:
        report = money.income_by_payment(session, days=date_range("2025-03-04", "2025-03-04"),
                                         sites=resolve_sites(session, "site1"))
    assert [(r.day, r.site, r.total_cents) for r in report.rows] == [
        (date(2025, 3, 4), "site1", 2_400)]


def test_subsidy_statement_equals_the_subsidy_ledger(seeded: Seeded) -> None:
    with Session(seeded.engine) as session:
        statement = money.subsidy_statement(session, month=month_range("2025-03"))
        ledger = -int(session.exec(select(sa.func.sum(LedgerEntry.amount)).where(
            LedgerEntry.account == "subsidy", col(LedgerEntry.kind).in_(["spend", "refund"])
        )).one())
    assert {(r.employer, r.department): r.net_cents for r in statement.rows} == EXPECTED_SUBSIDY
    assert statement.totals["net_cents"] == ledger == 5_500
    assert {(r.employer, r.department): r.orders for r in statement.rows} == {
        ("acme", "it"): 2, ("acme", "hr"): 1, ("globex", "ops"): 1}
    with Session(seeded.engine) as session:
        assert money.subsidy_statement(session, month=month_range("2025-04")).rows == []


def test_a_refund_shows_in_the_statement(seeded: Seeded) -> None:
    with Session(seeded.engine) as session:
        refund_order(session, order_id=seeded.orders["A001"], reason="cold", actor="mgr",
                     at=DAY2)
        statement = money.subsidy_statement(session, month=month_range("2025-03"))
    row = next(r for r in statement.rows if (r.employer, r.department) == ("acme", "it"))
    assert (row.spent_cents, row.refunded_cents, row.net_cents) == (3_000, 1_500, 1_500)


def _list(session: Session, **kw: object) -> list[str]:
    rows, total = orders.list_orders(session, orders.OrderFilter(**kw),  # type: ignore[arg-type]
                                     limit=50, offset=0)
    assert total == len(rows)
    return sorted(r.order_no for r in rows)


def test_filters_narrow_the_order_list(seeded: Seeded) -> None:
    with Session(seeded.engine) as session:
        site1 = resolve_sites(session, "site1")
        assert _list(session) == ["A001", "A002", "A003", "A004", "A005", "B001"]
        assert _list(session, sites=site1) == ["A001", "A002", "A003", "A004", "A005"]
        assert _list(session, device="k2") == ["A003", "A005"]
        assert _list(session, meal_period="dinner") == ["B001"]
        assert _list(session, member="M001") == ["A001", "A004"]
        assert _list(session, status="collected") == ["A001"]
        assert _list(session, status="unpaid") == ["A003"]
        assert _list(session, payment="counter") == ["A003"]
        assert _list(session, payment="subsidy", sites=site1) == ["A001", "A002", "A004"]
        day2 = date_range("2025-03-04", "2025-03-04")
        assert _list(session, sites=resolve_sites(session, None), days=day2) == ["A004", "A005"]
        assert _list(session, member="M001", sites=site1, days=day2) == ["A004"]
        rows, total = orders.list_orders(session, orders.OrderFilter(), limit=2, offset=4)
        assert total == 6 and len(rows) == 2


@pytest.mark.parametrize(("start", "end", "field", "words"), [
    ("2025-03-05", "2025-03-01", "end", "before it starts"),
    ("2025-01-01", "2026-01-02", "end", "367 days"),
    ("2025-02-30", "2025-03-01", "start", "Not a date"),
    ("yesterday", "2025-03-01", "start", "Not a date"),
])
def test_bad_ranges_are_refused_in_both_languages(start: str, end: str, field: str,
                                                  words: str) -> None:
    with pytest.raises(ReportInputError) as err:
        date_range(start, end)
    assert err.value.field == field and words in err.value.message
    english, chinese = err.value.message.split(" / ")
    assert chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


@pytest.mark.parametrize("month", ["2025-13", "2025-3", "march", "1999-12", ""])
def test_malformed_months_are_refused(month: str) -> None:
    with pytest.raises(ReportInputError):
        month_range(month)


def test_the_api_answers_the_reports_and_refuses_bad_input(
    seeded: Seeded, client: TestClient, auth: Callable[[Role], dict[str, str]]
) -> None:
    h = auth(Role.MANAGER)
    income = client.get("/api/v1/analytics/income",
                        params={"start": "2025-03-01", "end": "2025-03-31"}, headers=h)
    assert income.status_code == 200, income.text
    body = income.json()
    assert body["totals"]["subsidy"] == 5_500 and len(body["rows"]) == 3
    statement = client.get("/api/v1/analytics/subsidy-statement", params={"month": "2025-03"},
                           headers=h).json()
    assert statement["totals"]["net_cents"] == 5_500
    listed = client.get("/api/v1/analytics/orders", params={"member": "M001"}, headers=h).json()
    assert {o["order_no"] for o in listed["items"]} == {"A001", "A004"}
    detail = client.get(f"/api/v1/analytics/orders/{seeded.orders['A001']}", headers=h).json()
    assert detail["timeline"]["state"] == "collected" and len(detail["lines"]) == 2
    for path, params in (
        ("income", {"start": "2025-03-05", "end": "2025-03-01"}),
        ("income", {"start": "2024-01-01", "end": "2025-03-01"}),
        ("income", {"start": "2025-03-01", "end": "2025-03-02", "site": "nowhere"}),
        ("subsidy-statement", {"month": "2025-13"}),
        ("orders", {"start": "2025-03-05", "end": "2025-03-01"}),
    ):
        reply = client.get(f"/api/v1/analytics/{path}", params=params, headers=h)
        assert reply.status_code == 422, (path, params, reply.text)
        assert " / " in reply.json()["detail"][0]["msg"]
    assert client.get("/api/v1/analytics/income", params={"start": "2025-03-01",
                      "end": "2025-03-02"}, headers=auth(Role.CASHIER)).status_code == 403
    assert client.get(f"/api/v1/analytics/orders/{'0' * 8}-0000-7000-8000-{'0' * 12}",
                      headers=h).status_code == 404


def test_a_leap_year_is_the_longest_range() -> None:
    assert len(date_range("2024-01-01", "2024-12-31").days()) == 366
