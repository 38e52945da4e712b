"""Diner feedback for the console: each entry with its order, and ratings per dish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hub.analytics.inputs import DateRange, SiteRef
from hub.models.feedback import Feedback
from hub.models.orders import Order, OrderLine
from hub.models.sites import Site


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One feedback entry and the order it is about."""

    id: int
    created_at: datetime
    order_id: str
    order_no: str
    site: str
    rating: int
    tags: list[str]
    comment: str
    dishes: list[str]  # "zh / en" names of the order's lines


@dataclass(frozen=True, slots=True)
class DishRating:
    """Ratings of the orders that contained one dish."""

    dish_code: str
    name_zh: str
    name_en: str
    ratings: int
    average: float
    comments: int


def _where(sites: list[SiteRef] | None, days: DateRange | None, comments_only: bool
           ) -> list[Any]:
    conds: list[Any] = []
    if sites is not None:
        conds.append(col(Order.site_id).in_([s.id for s in sites] or [-1]))
        if days is not None:
            # Entries of the sites' local days (feedback time: when the hub received it).
            per_site = []
            for s in sites:
                lo, hi = days.utc_bounds(s.zone)
                per_site.append((col(Order.site_id) == s.id) & (col(Feedback.created_at) >= lo)
                                & (col(Feedback.created_at) < hi))
            conds.append(sa.or_(*per_site) if per_site else sa.false())
    if comments_only:
        conds.append(col(Feedback.comment) != "")
    return conds


def list_feedback(session: Session, *, sites: list[SiteRef] | None, days: DateRange | None,
                  comments_only: bool, limit: int, offset: int) -> tuple[list[FeedbackRow], int]:
    """A page of feedback entries, newest first, and how many match."""
    conds = _where(sites, days, comments_only)
    base = select(Feedback).join(Order, col(Order.id) == Feedback.order_id).where(*conds)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    found = session.exec(
        select(Feedback, Order.order_no, Site.code)
        .join(Order, col(Order.id) == Feedback.order_id)
        .join(Site, col(Site.id) == Order.site_id)
        .where(*conds).order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
        .limit(limit).offset(offset)
    ).all()
    names: dict[str, list[str]] = {}
    ids = [f.order_id for f, *_ in found]
    if ids:
        for order_id, zh, en in session.exec(
            select(OrderLine.order_id, OrderLine.name_zh, OrderLine.name_en)
            .where(col(OrderLine.order_id).in_(ids)).order_by(col(OrderLine.line_no))
        ):
            names.setdefault(order_id, []).append(f"{zh} / {en}")
    rows = [FeedbackRow(f.id or 0, f.created_at, f.order_id, no, site, f.rating, list(f.tags),
                        f.comment, names.get(f.order_id, [])) for f, no, site in found]
    return rows, int(total)


def ratings_per_dish(session: Session, *, sites: list[SiteRef] | None,
                     days: DateRange | None) -> list[DishRating]:
    """Per dish: how many rated orders contained it, their mean rating, how many commented."""
    conds = _where(sites, days, comments_only=False)
    commented = sa.case((col(Feedback.comment) != "", Feedback.id), else_=None)
    found = session.execute(
        sa.select(col(OrderLine.dish_code), func.min(OrderLine.name_zh),
                  func.min(OrderLine.name_en), func.count(sa.distinct(col(Feedback.id))),
                  func.avg(Feedback.rating), func.count(sa.distinct(commented)))
        .join(Order, col(Order.id) == OrderLine.order_id)
        .join(Feedback, col(Feedback.order_id) == Order.id)
        .where(*conds).group_by(OrderLine.dish_code)
    ).all()
    rows = [DishRating(code, zh, en, int(n), round(float(avg), 2), int(c))
            for code, zh, en, n, avg, c in found]
    return sorted(rows, key=lambda r: (r.average, -r.ratings, r.dish_code))
