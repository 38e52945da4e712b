"""The money reports as CSV and XLSX files (openpyxl), headed in the request's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from hub.analytics.close import MonthClose
from hub.analytics.liability import Liability
from hub.analytics.money import IncomeReport, SubsidyStatement
from hub.analytics.refunds import RefundsReport
from hub.i18n import gettext, translate
from hub.i18n import lazy_gettext as _l
from hub.pdf import table_pdf

METHOD_LABELS = {
    "subsidy": _l("Subsidy"), "coupon": _l("Coupon"), "points": _l("Points"),
    "stored_value": _l("Paid from stored value"), "counter": _l("At the counter"),
}
"""Payment methods as pages and files name them."""

SOURCE_LABELS = {
    "subsidy": _l("Subsidy"), "paid": _l("Stored value (paid)"),
    "bonus": _l("Stored value (bonus)"), "points": _l("Points"),
    "stored_value": _l("Paid from stored value"),
}
"""Ledger sources (refunds, month-end close) as pages and files name them."""


def _(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def source_label(source: str) -> str:
    """A ledger source in the current language (an unknown one as it is)."""
    label = SOURCE_LABELS.get(source)
    return source if label is None else str(label)


def method_label(method: str) -> str:
    """A payment method in the current language (an unknown one as it is)."""
    label = METHOD_LABELS.get(method)
    return method if label is None else str(label)


def income_table(report: IncomeReport, refunds: RefundsReport | None = None
                 ) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the income report, a totals row last.

    With the range's refunds: each day's refunds at the site and the net beside it, as on
    the page (a refund counts on the day it was made; a day with refunds but no orders
    shows only in the totals row).
    """
    header = [gettext("Day"), gettext("Site"), gettext("Orders"),
              *(method_label(m) for m in report.methods), gettext("Total")]
    back = {} if refunds is None else {(r.day, r.site): r.total_cents for r in refunds.rows}
    if refunds is not None:
        header += [gettext("Refunded"), gettext("Net")]

    def money_columns(total: int, refunded: int) -> list[object]:
        if refunds is None:
            return [total / 100]
        return [total / 100, refunded / 100, (total - refunded) / 100]

    rows: list[list[object]] = [
        [r.day.isoformat(), r.site, r.orders, *(r.by_method[m] / 100 for m in report.methods),
         *money_columns(r.total_cents, back.get((r.day, r.site), 0))] for r in report.rows]
    rows.append([gettext("Total"), "", sum(r.orders for r in report.rows),
                 *(report.totals[m] / 100 for m in report.methods),
                 *money_columns(report.total_cents,
                                0 if refunds is None else refunds.total_cents)])
    return header, rows


STATEMENT_COLUMNS = (_("Employer"), _("Department"), _("Members"), _("Orders"),
                     _("Subsidy spent"), _("Refunded"), _("To bill"))


def statement_table(statement: SubsidyStatement, *, bilingual: bool = False
                    ) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the subsidy statement, a totals row last.

    ``bilingual``: headers and the totals label in Chinese and English (the PDF an
    employer's accounts department and the caterer's auditor both read).
    """
    label = both if bilingual else gettext
    header = [label(c) for c in STATEMENT_COLUMNS]
    rows: list[list[object]] = [
        [r.employer, r.department, r.members, r.orders, r.spent_cents / 100,
         r.refunded_cents / 100, r.net_cents / 100] for r in statement.rows]
    t = statement.totals
    rows.append([label(_("Total")), "", t["members"], t["orders"], t["spent_cents"] / 100,
                 t["refunded_cents"] / 100, t["net_cents"] / 100])
    return header, rows


def both(message: str) -> str:
    """A message in Chinese and English, for documents read by both."""
    return f"{translate('zh_Hans', message)} {translate('en', message)}"


def statement_pdf(statement: SubsidyStatement, *, printed_at: str) -> bytes:
    """The subsidy statement as a printable A4 PDF, Chinese and English on the page."""
    header, rows = statement_table(statement, bilingual=True)
    facts = [(both(_("Printed at")), printed_at)]
    return table_pdf(both(_("Subsidy statement")) + f" {statement.month}", facts, header, rows,
                     (50, 38, 28, 26, 46, 36, 38), numeric_from=2,
                     footer=both(_("Checked by")) + ": ____________    " + both(_("Date"))
                     + ": ____________")


def liability_table(liability: Liability) -> tuple[list[str], list[list[object]]]:
    """Header and the one row (yuan as numbers) of the stored-value liability."""
    header = [gettext("Day"), gettext("Stored value (paid)"), gettext("Stored value (bonus)"),
              gettext("Total"), gettext("Members with a balance"), gettext("Overdrawn members"),
              gettext("Overdrawn")]
    return header, [[liability.day.isoformat(), liability.paid_cents / 100,
                     liability.bonus_cents / 100, liability.total_cents / 100,
                     liability.members, liability.overdrawn_members,
                     liability.overdrawn_cents / 100]]


def refunds_table(report: RefundsReport) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the refunds report, a totals row last."""
    header = [gettext("Day"), gettext("Site"), gettext("Orders"),
              *(source_label(s) for s in report.sources), gettext("Points given back"),
              gettext("Total")]
    rows: list[list[object]] = [
        [r.day.isoformat(), r.site, r.orders, *(r.by_source[s] / 100 for s in report.sources),
         r.points, r.total_cents / 100] for r in report.rows]
    rows.append([gettext("Total"), "", sum(r.orders for r in report.rows),
                 *(report.totals[s] / 100 for s in report.sources), report.points,
                 report.total_cents / 100])
    return header, rows


def close_table(close: MonthClose) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the month-end close's differences."""
    header = [gettext("Order"), gettext("Order id"), gettext("Site"), gettext("Day"),
              gettext("Source"), gettext("Order says"), gettext("Ledger says"),
              gettext("Difference"), gettext("Posted"), gettext("Overdraft flag")]
    rows: list[list[object]] = [
        [d.order_no, d.order_id, d.site, d.placed_on.isoformat(), source_label(d.source),
         d.order_cents / 100, d.ledger_cents / 100, d.difference_cents / 100,
         gettext("yes") if d.posted else gettext("no"),
         "" if d.overdraft_id is None else d.overdraft_id] for d in close.differences]
    return header, rows


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.2f}" if isinstance(v, float) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet: a title line, the header, the rows; money cells formatted 0.00."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "report"
    sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
