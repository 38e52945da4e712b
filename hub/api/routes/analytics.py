"""/analytics: the operations console's order list and detail, feedback, money reports.

Managers and admins only. Dates are YYYY-MM-DD local days of each site; a bad range,
month or site is answered 422 with the reason in English and Chinese, nothing computed.
Refunds are not here: POST /refunds (hub.accounts) is the one way to refund.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel

from hub.analytics import close, feedback, liability, money, orders, refunds
from hub.analytics.inputs import (
    STATEMENT_ZONE,
    DateRange,
    date_range,
    month_range,
    parse_day,
    resolve_sites,
)
from hub.api.deps import EDITORS, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.db_types import utcnow
from hub.tracking.queries import Timeline
from protocol.topics import ID_PATTERN

router = APIRouter(prefix="/analytics", tags=["analytics"],
                   dependencies=[require_role(*EDITORS)])

Code = Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)]
Day = Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD, a local day")]
DayRequired = Annotated[str, Query(max_length=10, description="YYYY-MM-DD, a local day")]
OrderId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-fA-F-]{36}$")]
Status = Literal["placed", "in_preparation", "ready", "collected", "cancelled", "unpaid",
                 "refunded"]
Method = Literal["subsidy", "coupon", "points", "stored_value", "counter"]


class OrderRowOut(BaseModel):
    """An order of the list."""

    id: str
    order_no: str
    placed_at: datetime
    site: str
    device: str | None
    member_no: str | None
    meal_period: str | None
    total_cents: int
    paid: bool
    state: str | None
    methods: list[str]
    placed_local: datetime | None = None  # placed_at with the site's own UTC offset


class OrderDetailOut(BaseModel):
    """One order: lines, payments, its ledger entries, the kitchen timeline, feedback."""

    order: OrderRowOut
    subtotal_cents: int
    discount_cents: int
    offline: bool
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    refundable_cents: int
    refunded_cents: int
    timeline: Timeline | None
    feedback: list[dict[str, Any]]


class FeedbackOut(BaseModel):
    """A feedback entry with its order."""

    id: int
    created_at: datetime
    order_id: str
    order_no: str
    site: str
    rating: int
    tags: list[str]
    comment: str
    dishes: list[str]


class DishRatingOut(BaseModel):
    """Ratings of the orders that contained one dish."""

    dish_code: str
    name_zh: str
    name_en: str
    ratings: int
    average: float
    comments: int


class IncomeRowOut(BaseModel):
    """One site's income on one day, fen per payment method."""

    day: date
    site: str
    orders: int
    by_method: dict[str, int]
    total_cents: int


class IncomeOut(BaseModel):
    """Income per payment type per day and site, and the range's totals."""

    start: date
    end: date
    methods: list[str]
    rows: list[IncomeRowOut]
    totals: dict[str, int]
    total_cents: int


class StatementRowOut(BaseModel):
    """One employer's department in the subsidy statement (fen)."""

    employer: str
    department: str
    members: int
    orders: int
    spent_cents: int
    refunded_cents: int
    net_cents: int


class StatementOut(BaseModel):
    """Subsidy spent per employer and department in a month."""

    month: str
    rows: list[StatementRowOut]
    totals: dict[str, int]


class LiabilityOut(BaseModel):
    """Outstanding stored value at the end of a day (fen): paid, bonus, who holds it."""

    day: date
    paid_cents: int
    bonus_cents: int
    total_cents: int
    members: int
    overdrawn_members: int
    overdrawn_cents: int


class RefundRowOut(BaseModel):
    """One site's refunds on one day: fen per source, points given back."""

    day: date
    site: str
    orders: int
    by_source: dict[str, int]
    points: int
    total_cents: int


class RefundsOut(BaseModel):
    """Refunds per day, site and source over a range, and the range's totals."""

    start: date
    end: date
    sources: list[str]
    rows: list[RefundRowOut]
    totals: dict[str, int]
    points: int
    total_cents: int


class DifferenceOut(BaseModel):
    """One source of one order where the ledger and the order disagree (fen)."""

    order_id: str
    order_no: str
    site: str
    placed_on: date
    source: str
    order_cents: int
    ledger_cents: int
    difference_cents: int
    posted: bool
    overdraft_id: int | None


class MonthCloseOut(BaseModel):
    """A month's close: orders compared, balanced or not, every difference."""

    month: str
    orders: int
    balanced: bool
    differences: list[DifferenceOut]


def _optional_range(start: str | None, end: str | None) -> DateRange | None:
    if start is None and end is None:
        return None
    return date_range(start or end or "", end or start or "")


@router.get("/orders", response_model=Page[OrderRowOut])
def get_orders(
    session: SessionDep, page: PageDep, site: Code = None, device: Code = None,
    meal_period: Code = None, member: Code = None, status: Status | None = None,
    payment: Method | None = None, start: Day = None, end: Day = None,
) -> Page[OrderRowOut]:
    """Orders newest first, narrowed by site, device, meal period, member, status, payment, days."""
    days = _optional_range(start, end)
    sites = resolve_sites(session, site) if site or days else None
    rows, total = orders.list_orders(
        session, orders.OrderFilter(sites=sites, device=device, meal_period=meal_period,
                                    member=member, status=status, payment=payment, days=days),
        limit=page.limit, offset=page.offset)
    return Page(items=[OrderRowOut.model_validate(r, from_attributes=True) for r in rows],
                total=total, limit=page.limit, offset=page.offset)


@router.get("/orders/{order_id}", response_model=OrderDetailOut)
def get_order(session: SessionDep, order_id: OrderId) -> OrderDetailOut:
    """One order with its lines, payments, ledger entries, kitchen timeline and feedback."""
    found = orders.order_detail(session, order_id.lower())
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} not found")
    return OrderDetailOut(
        order=OrderRowOut.model_validate(found.order, from_attributes=True),
        subtotal_cents=found.subtotal_cents, discount_cents=found.discount_cents,
        offline=found.offline, lines=found.lines, payments=found.payments, ledger=found.ledger,
        refundable_cents=found.refundable_cents, refunded_cents=found.refunded_cents,
        timeline=found.timeline,
        feedback=[f.model_dump(mode="json") for f in found.feedback])


@router.get("/feedback", response_model=Page[FeedbackOut])
def get_feedback(
    session: SessionDep, page: PageDep, site: Code = None, start: Day = None, end: Day = None,
    comments_only: bool = False,
) -> Page[FeedbackOut]:
    """Feedback entries newest first, with their orders' dishes."""
    days = _optional_range(start, end)
    sites = resolve_sites(session, site) if site or days else None
    rows, total = feedback.list_feedback(session, sites=sites, days=days,
                                         comments_only=comments_only,
                                         limit=page.limit, offset=page.offset)
    return Page(items=[FeedbackOut.model_validate(r, from_attributes=True) for r in rows],
                total=total, limit=page.limit, offset=page.offset)


@router.get("/feedback/dishes", response_model=list[DishRatingOut])
def get_dish_ratings(session: SessionDep, site: Code = None, start: Day = None,
                     end: Day = None) -> list[DishRatingOut]:
    """Per dish: rated orders containing it, their mean rating and comments; lowest first."""
    days = _optional_range(start, end)
    sites = resolve_sites(session, site) if site or days else None
    return [DishRatingOut.model_validate(r, from_attributes=True)
            for r in feedback.ratings_per_dish(session, sites=sites, days=days)]


@router.get("/income", response_model=IncomeOut)
def get_income(session: SessionDep, start: DayRequired, end: DayRequired,
               site: Code = None) -> IncomeOut:
    """Income per payment type per local day and site (every payment of the orders placed)."""
    days = date_range(start, end)
    report = money.income_by_payment(session, days=days, sites=resolve_sites(session, site))
    return IncomeOut.model_validate(report, from_attributes=True)


@router.get("/subsidy-statement", response_model=StatementOut)
def get_subsidy_statement(
    session: SessionDep,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM")],
) -> StatementOut:
    """Subsidy spent, refunded and to bill per employer and department in the month."""
    statement = money.subsidy_statement(session, month=month_range(month))
    return StatementOut.model_validate(statement, from_attributes=True)


@router.get("/liability", response_model=LiabilityOut)
def get_liability(session: SessionDep, day: DayRequired) -> LiabilityOut:
    """Members' paid and bonus balances at the end of the day (China Standard Time)."""
    found = liability.liability_at(session, day=parse_day(day, field="day"))
    return LiabilityOut.model_validate(found, from_attributes=True)


@router.get("/refunds", response_model=RefundsOut)
def get_refunds(session: SessionDep, start: DayRequired, end: DayRequired,
                site: Code = None) -> RefundsOut:
    """Refund ledger entries per local day, site and source (subsidy, paid, bonus, points)."""
    days = date_range(start, end)
    report = refunds.refunds_report(session, days=days, sites=resolve_sites(session, site))
    return RefundsOut.model_validate(report, from_attributes=True)


@router.get("/month-close", response_model=MonthCloseOut)
def get_month_close(
    session: SessionDep,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM, not in the future")],
) -> MonthCloseOut:
    """Every difference between the ledger spends and the payments of the month's orders."""
    today = utcnow().astimezone(STATEMENT_ZONE).date()
    found = close.month_close(session, month=month, today=today)
    return MonthCloseOut(month=found.month, orders=found.orders, balanced=found.balanced,
                         differences=[DifferenceOut.model_validate(d, from_attributes=True)
                                      for d in found.differences])
