"""A purchase order as a spreadsheet (XLSX, openpyxl) and a printable PDF (fpdf2).

Both carry Chinese and English on the same page (a supplier reads one, the canteen's
auditor the other). The PDF embeds a subset of the Simplified Chinese face of the system
Noto Sans CJK collection (fonts-noto-cjk, which scripts/_setup.sh installs): the first
face of that collection is the Japanese one, whose shapes of 骨 直 底 differ, so the SC
face is picked by its family name.
"""

from __future__ import annotations

import io

from hub.pdf import sc_face
from hub.supply.purchasing import PurchaseOrderView

STATUS = {"open": "待收货 open", "received": "已收货 received", "cancelled": "已取消 cancelled"}
HEADERS = (("食材编码", "Code"), ("食材", "Ingredient"), ("单位", "Unit"),
           ("件数", "Packs"), ("每件", "Pack size"), ("数量", "Quantity"))


def _title(view: PurchaseOrderView) -> list[tuple[str, str]]:
    po, sup, site = view.order, view.supplier, view.site
    return [
        ("采购单 Purchase order", f"PO-{po.id:05d}"),
        ("供应商 Supplier", f"{sup.name_zh} {sup.name_en} ({sup.code})"),
        ("收货食堂 Deliver to", f"{site.name_zh} {site.name_en} ({site.code})"),
        ("下单日期 Ordered on", po.ordered_on.isoformat()),
        ("送货日期 Deliver on", po.deliver_on.isoformat()),
        ("状态 Status", STATUS.get(str(po.status), str(po.status))),
    ]


def _rows(view: PurchaseOrderView) -> list[tuple[str, str, str, int, float, float]]:
    return [(i.code, f"{i.name_zh} {i.name_en}", i.unit, ln.packs, i.pack_size, ln.qty)
            for i, ln in view.lines]


def to_xlsx(view: PurchaseOrderView) -> bytes:
    """The purchase order as an XLSX workbook (one sheet)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"PO-{view.order.id:05d}"
    for label, value in _title(view):
        ws.append([label, value])
    ws.append([])
    ws.append([f"{zh} {en}" for zh, en in HEADERS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in _rows(view):
        ws.append(list(row))
    for column, width in zip("ABCDEF", (14, 30, 8, 10, 12, 14), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(view: PurchaseOrderView) -> bytes:
    """The purchase order as an A4 PDF with the SC face embedded."""
    from fpdf import FPDF

    path, number = sc_face()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("sc", "", path, collection_font_number=number)
    pdf.add_page()
    pdf.set_font("sc", size=18)
    pdf.cell(0, 12, "采购单 Purchase order", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sc", size=10)
    for label, value in _title(view)[1:]:
        pdf.cell(45, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (26, 58, 20, 22, 28, 30)
    pdf.set_fill_color(230, 236, 242)
    for (zh, en), w in zip(HEADERS, widths, strict=True):
        pdf.cell(w, 8, f"{zh} {en}", border=1, fill=True)
    pdf.ln()
    for code, name, unit, packs, size, qty in _rows(view):
        cells = (code, name, unit, str(packs), f"{size:g}", f"{qty:g}")
        for value, w in zip(cells, widths, strict=True):
            pdf.cell(w, 8, value, border=1)
        pdf.ln()
    pdf.ln(6)
    pdf.cell(0, 7, "签收 Received by: ____________    日期 Date: ____________")
    return bytes(pdf.output())
