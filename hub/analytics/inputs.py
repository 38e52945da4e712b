"""Report inputs checked before anything is computed: date ranges, months, sites.

Every refusal is a :class:`ReportInputError` carrying an English message id and its
parameters: the API answers it in both languages, a page in the page's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.errors import InvalidInputError
from hub.i18n import gettext, translate
from hub.models.sites import Site

MAX_SPAN_DAYS = 366
"""The longest range a report covers (a leap year): beyond it, ask for two reports."""

STATEMENT_ZONE = ZoneInfo("Asia/Shanghai")
"""The zone of a subsidy month: the subsidy rules' own default, where grants lapse."""

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_FIRST_YEAR, _LAST_YEAR = 2000, 2100


def _(message: str) -> str:
    """Mark a message for extraction; it is translated when shown (gettext/translate)."""
    return message


class ReportInputError(InvalidInputError):
    """Input a report refuses before computing anything; the message in either language."""

    def __init__(self, msgid: str, *, field: str, **params: str) -> None:
        self.msgid, self.params = msgid, params
        english = msgid % params
        chinese = translate("zh_Hans", msgid) % params
        super().__init__(f"{english} / {chinese}", field=field)

    def localized(self) -> str:
        """The message in the current request's language."""
        return gettext(self.msgid) % self.params


@dataclass(frozen=True, slots=True)
class DateRange:
    """Local business days ``start`` .. ``end``, both included."""

    start: date
    end: date

    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[first local midnight, the midnight after the last day) as UTC instants."""
        lo = datetime(self.start.year, self.start.month, self.start.day, tzinfo=zone)
        after = self.end + timedelta(days=1)
        hi = datetime(after.year, after.month, after.day, tzinfo=zone)
        return lo.astimezone(UTC), hi.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SiteRef:
    """A site a report covers: its id, code and time zone."""

    id: int
    code: str
    zone: ZoneInfo


def placed_in_site_days(days: DateRange, sites: Sequence[SiteRef]) -> sa.ColumnElement[bool]:
    """Orders placed in the range, each site's days being its own local days (one condition
    per site, ORed): the one rule every report uses to pick a range's orders."""
    from hub.models.orders import Order

    per_site = []
    for s in sites:
        lo, hi = days.utc_bounds(s.zone)
        per_site.append(sa.and_(col(Order.site_id) == s.id, col(Order.placed_at) >= lo,
                                col(Order.placed_at) < hi))
    return sa.or_(*per_site) if per_site else sa.false()


def parse_day(text: str, *, field: str) -> date:
    """A YYYY-MM-DD day between 2000 and 2100, else ReportInputError."""
    text = text.strip()
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as err:
        raise ReportInputError(_("Not a date (YYYY-MM-DD): %(text)s"), field=field,
                               text=text[:40]) from err
    if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        raise ReportInputError(_("Not a date (YYYY-MM-DD): %(text)s"), field=field, text=text)
    return day


def date_range(start: str, end: str) -> DateRange:
    """Check a from/to pair: both dates, not backwards, at most MAX_SPAN_DAYS days."""
    first, last = parse_day(start, field="start"), parse_day(end, field="end")
    if last < first:
        raise ReportInputError(_("The range ends (%(end)s) before it starts (%(start)s)."),
                               field="end", start=first.isoformat(), end=last.isoformat())
    span = (last - first).days + 1
    if span > MAX_SPAN_DAYS:
        raise ReportInputError(
            _("The range covers %(days)s days; at most %(max)s are allowed."),
            field="end", days=str(span), max=str(MAX_SPAN_DAYS))
    return DateRange(first, last)


def month_range(text: str) -> DateRange:
    """A YYYY-MM month as the range of its days, else ReportInputError."""
    text = text.strip()
    year = month = 0
    if _MONTH.match(text):
        year, month = int(text[:4]), int(text[5:])
    if not (_FIRST_YEAR <= year <= _LAST_YEAR and 1 <= month <= 12):
        raise ReportInputError(_("Not a month (YYYY-MM): %(text)s"), field="month",
                               text=text[:40])
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return DateRange(first, following - timedelta(days=1))


def resolve_sites(session: Session, code: str | None) -> list[SiteRef]:
    """The site with this code (or every site when none is given), else ReportInputError."""
    stmt = select(Site).order_by(col(Site.code))
    if code:
        stmt = stmt.where(Site.code == code)
    sites = [SiteRef(s.id, s.code, ZoneInfo(s.timezone)) for s in session.exec(stmt).all()
             if s.id is not None]
    if code and not sites:
        raise ReportInputError(_("Unknown site: %(code)s"), field="site", code=code[:64])
    return sites
