"""Satisfaction per dish, station, site, meal period or week, and complaint handling per staff.

Satisfaction reads ``crm_dish_rating``: a 1.1 kiosk's ratings dish by dish, a 1.0 kiosk's
order rating counted for each dish of the order (``per_dish`` tells them apart, and the
figures say how many were given dish by dish). Days are local days of the canteens
(Asia/Shanghai, the statements' zone); a range is inclusive of both days.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlmodel import Session, col, func, select

from hub.analytics.inputs import STATEMENT_ZONE
from hub.db_types import utcnow
from hub.errors import InvalidInputError
from hub.models.crm_cases import ComplaintCase, DishRating
from hub.models.sites import Site
from hub.models.users import User

GroupBy = Literal["dish", "station", "site", "meal_period", "week"]
GROUPS: tuple[str, ...] = ("dish", "station", "site", "meal_period", "week")
MAX_RANGE_DAYS = 366


def _bounds(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    end = end or utcnow().astimezone(STATEMENT_ZONE).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidInputError("start must not be after end", field="start")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInputError(f"a range is at most {MAX_RANGE_DAYS} days", field="start")
    low = datetime.combine(start, time(), STATEMENT_ZONE)
    return low, datetime.combine(end + timedelta(days=1), time(), STATEMENT_ZONE)


@dataclass(frozen=True)
class Satisfaction:
    """Ratings of one group: how many, their mean, how many were 2 or less."""

    key: str
    name_zh: str
    name_en: str
    ratings: int
    average: float
    low: int
    per_dish: int


def satisfaction(session: Session, *, by: str, start: date | None = None,
                 end: date | None = None) -> list[Satisfaction]:
    """Ratings grouped ``by`` over the days, lowest mean first."""
    if by not in GROUPS:
        raise InvalidInputError(f"by must be one of {', '.join(GROUPS)}", field="by")
    low_at, high_at = _bounds(start, end)
    rows = session.exec(select(DishRating).where(
        DishRating.placed_at >= low_at, DishRating.placed_at < high_at)).all()
    sites = {s.id: s for s in session.exec(select(Site))}
    groups: dict[str, list[DishRating]] = defaultdict(list)
    names: dict[str, tuple[str, str]] = {}
    for r in rows:
        if by == "dish":
            key, name = r.dish_code, (r.name_zh, r.name_en)
        elif by == "station":
            key, name = r.station, (r.station, r.station)
        elif by == "site":
            site = sites.get(r.site_id)
            key = site.code if site else str(r.site_id)
            name = (site.name_zh, site.name_en) if site else (key, key)
        elif by == "meal_period":
            key = r.meal_period or "-"
            name = (key, key)
        else:
            year, week, _ = r.placed_at.astimezone(STATEMENT_ZONE).isocalendar()
            key = f"{year}-W{week:02d}"
            name = (key, key)
        groups[key].append(r)
        names.setdefault(key, name)
    out = [
        Satisfaction(key=k, name_zh=names[k][0], name_en=names[k][1], ratings=len(v),
                     average=round(sum(r.rating for r in v) / len(v), 2),
                     low=sum(1 for r in v if r.rating <= 2),
                     per_dish=sum(1 for r in v if r.per_dish))
        for k, v in groups.items()
    ]
    return sorted(out, key=lambda s: (s.average, s.key))


@dataclass(frozen=True)
class StaffPerformance:
    """How one staff member handled the cases assigned to them."""

    user_id: int
    username: str
    assigned: int
    resolved: int
    sla_kept: int  # resolved by the due time
    sla_kept_share: float | None  # of the resolved ones
    median_hours_to_resolve: float | None
    open_overdue: int


def staff_performance(session: Session, *, start: date | None = None, end: date | None = None,
                      now: datetime | None = None) -> list[StaffPerformance]:
    """Cases opened in the days, per assigned staff member (most cases first)."""
    now = now or utcnow()
    low_at, high_at = _bounds(start, end)
    cases = session.exec(select(ComplaintCase).where(
        col(ComplaintCase.assigned_to).is_not(None), ComplaintCase.opened_at >= low_at,
        ComplaintCase.opened_at < high_at)).all()
    by_user: dict[int, list[ComplaintCase]] = defaultdict(list)
    for c in cases:
        if c.assigned_to is not None:
            by_user[c.assigned_to].append(c)
    users = {u.id: u.username for u in session.exec(
        select(User).where(col(User.id).in_(list(by_user))))}
    out = []
    for user_id, mine in by_user.items():
        done = [c for c in mine if c.resolved_at is not None]
        kept = sum(1 for c in done if c.resolved_at is not None and c.resolved_at <= c.due_at)
        hours = [(c.resolved_at - c.opened_at).total_seconds() / 3600 for c in done
                 if c.resolved_at is not None]
        out.append(StaffPerformance(
            user_id=user_id, username=users.get(user_id, str(user_id)), assigned=len(mine),
            resolved=len(done), sla_kept=kept,
            sla_kept_share=round(kept / len(done), 3) if done else None,
            median_hours_to_resolve=round(statistics.median(hours), 2) if hours else None,
            open_overdue=sum(1 for c in mine if c.resolved_at is None and now > c.due_at)))
    return sorted(out, key=lambda p: (-p.assigned, p.username))


def member_feedback(session: Session, *, member_id: int, limit: int = 20) -> list[DishRating]:
    """The member's latest dish ratings (profile page)."""
    return list(session.exec(select(DishRating).where(DishRating.member_id == member_id)
                             .order_by(col(DishRating.placed_at).desc(),
                                       col(DishRating.id)).limit(limit)).all())


def ratings_count(session: Session) -> int:
    """How many dish ratings are stored (the demo's summary)."""
    return int(session.exec(select(func.count()).select_from(DishRating)).one())
