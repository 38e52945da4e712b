"""Monthly reports written to a folder: the files accounts asks for after a month ends.

`canteen-hub jobs monthly-reports` (a timer runs it on the 1st) writes the previous month's
income (with refunds and net), subsidy statement (XLSX and PDF), refunds, stored-value
liability at the month's last day and the month-end close into ``<folder>/<YYYY-MM>/``.
Each file is written beside its final name and renamed into place, so a reader never sees a
half-written report, and a repeated run (a retry, a missed timer made up) rewrites the same
figures.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from hub.analytics import close, exports, liability, money, refunds
from hub.analytics.inputs import STATEMENT_ZONE, ReportInputError, month_range, resolve_sites
from hub.i18n import gettext
from hub.models.analytics import MonthClosure

JOB = "monthly-reports"


def _(message: str) -> str:
    """Mark a message for extraction (ReportInputError translates it)."""
    return message


@dataclass(frozen=True, slots=True)
class MonthlyReports:
    """What a run wrote: the month and the files, in the order written."""

    month: str
    folder: Path
    files: list[Path]


def previous_month(at: datetime) -> str:
    """YYYY-MM of the month before the one ``at`` falls in (in the statement zone)."""
    local = at.astimezone(STATEMENT_ZONE).date()
    return f"{local.replace(day=1) - timedelta(days=1):%Y-%m}"


def _write(path: Path, body: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_monthly_reports(session: Session, *, folder: Path, at: datetime,
                          month: str | None = None) -> MonthlyReports:
    """Compute every report of ``month`` (default: the month before ``at``), then write them.

    All figures are computed before the first file is written: a refused month (one that
    has not ended, or was not closed and has differences to look at) writes nothing.
    """
    month = month or previous_month(at)
    days = month_range(month)
    today = at.astimezone(STATEMENT_ZONE).date()
    if days.end >= today:
        # A month still running would be filed with figures that keep changing.
        raise ReportInputError(_("The month %(month)s has not ended yet."), field="month",
                               month=month)
    if session.get(MonthClosure, month) is None:
        # The statement bills employers: file it only for a closed month. A balanced month
        # is closed here (nothing to decide); differences need a person on the close page.
        close.record_close(session, month=month, today=today, actor=f"job:{JOB}", at=at,
                           note="balanced: closed by the monthly reports job")
    sites = resolve_sites(session, None)
    income = money.income_by_payment(session, days=days, sites=sites)
    back = refunds.refunds_report(session, days=days, sites=sites)
    statement = money.subsidy_statement(session, month=days)
    owed = liability.liability_at(session, day=days.end)
    closing = close.month_close(session, month=month, today=today)
    printed = at.astimezone(STATEMENT_ZONE).strftime("%Y-%m-%d %H:%M")
    bodies: list[tuple[str, bytes]] = [
        (f"income-{month}.xlsx", exports.to_xlsx(
            gettext("Income by payment type") + f" {month}", *exports.income_table(income, back))),
        (f"refunds-{month}.csv", exports.to_csv(*exports.refunds_table(back))),
        (f"subsidy-{month}.xlsx", exports.to_xlsx(
            gettext("Subsidy statement") + f" {month}", *exports.statement_table(statement))),
        (f"subsidy-{month}.pdf", exports.statement_pdf(statement, printed_at=printed)),
        (f"liability-{days.end}.xlsx", exports.to_xlsx(
            gettext("Stored-value liability") + f" {days.end}", *exports.liability_table(owed))),
        (f"close-{month}.xlsx", exports.to_xlsx(
            gettext("Month-end close") + f" {month}", *exports.close_table(closing))),
    ]
    target = folder / month
    target.mkdir(parents=True, exist_ok=True)
    return MonthlyReports(month, target, [_write(target / name, body) for name, body in bodies])
