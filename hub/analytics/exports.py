"""The money reports as CSV and XLSX files (openpyxl), headed in the request's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from hub.analytics.money import IncomeReport, SubsidyStatement
from hub.i18n import gettext
from hub.i18n import lazy_gettext as _l

METHOD_LABELS = {
    "subsidy": _l("Subsidy"), "coupon": _l("Coupon"), "points": _l("Points"),
    "stored_value": _l("Paid from stored value"), "counter": _l("At the counter"),
}
"""Payment methods as pages and files name them."""


def method_label(method: str) -> str:
    """A payment method in the current language (an unknown one as it is)."""
    label = METHOD_LABELS.get(method)
    return method if label is None else str(label)


def income_table(report: IncomeReport) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the income report, a totals row last."""
    header = [gettext("Day"), gettext("Site"), gettext("Orders"),
              *(method_label(m) for m in report.methods), gettext("Total")]
    rows: list[list[object]] = [
        [r.day.isoformat(), r.site, r.orders, *(r.by_method[m] / 100 for m in report.methods),
         r.total_cents / 100] for r in report.rows]
    rows.append([gettext("Total"), "", sum(r.orders for r in report.rows),
                 *(report.totals[m] / 100 for m in report.methods), report.total_cents / 100])
    return header, rows


def statement_table(statement: SubsidyStatement) -> tuple[list[str], list[list[object]]]:
    """Header and rows (yuan as numbers) of the subsidy statement, a totals row last."""
    header = [gettext("Employer"), gettext("Department"), gettext("Members"),
              gettext("Orders"), gettext("Subsidy spent"), gettext("Refunded"),
              gettext("To bill")]
    rows: list[list[object]] = [
        [r.employer, r.department, r.members, r.orders, r.spent_cents / 100,
         r.refunded_cents / 100, r.net_cents / 100] for r in statement.rows]
    t = statement.totals
    rows.append([gettext("Total"), "", t["members"], t["orders"], t["spent_cents"] / 100,
                 t["refunded_cents"] / 100, t["net_cents"] / 100])
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
