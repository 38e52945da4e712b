"""Printable A4 documents (fpdf2) with Chinese and English on the same page.

One place picks the font: the Simplified Chinese face of the system Noto Sans CJK collection
(fonts-noto-cjk, which scripts/_setup.sh installs). The collection's first face is the
Japanese one, whose shapes of 骨 直 底 differ, so the SC face is chosen by its family name.
fpdf2 embeds only the glyphs used, so a statement stays a few tens of kilobytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from hub.errors import ServiceError

NOTO_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"),
             Path("/usr/share/fonts/google-noto-cjk"))
SC_FAMILY = "Noto Sans CJK SC"


class FontMissing(ServiceError):
    """No Chinese font on this hub to print the PDF with."""

    status_code = 503


@cache
def sc_face() -> tuple[str, int]:
    """(collection path, face number) of Noto Sans CJK SC Regular."""
    from fontTools.ttLib import TTCollection

    for folder in NOTO_DIRS:
        path = folder / "NotoSansCJK-Regular.ttc"
        if path.exists():
            for n, face in enumerate(TTCollection(str(path), lazy=True).fonts):
                if face["name"].getDebugName(1) == SC_FAMILY:
                    return str(path), n
    raise FontMissing("no Chinese font on this hub: apt install fonts-noto-cjk")


def table_pdf(title: str, facts: Sequence[tuple[str, str]], header: Sequence[str],
              rows: Sequence[Sequence[object]], widths: Sequence[float], *,
              numeric_from: int, footer: str = "") -> bytes:
    """An A4 page (or more) with a title, label/value lines, a table and a footer line.

    Columns from ``numeric_from`` on are right-aligned; floats print with two decimals
    (yuan). The header row repeats on every page.
    """
    from fpdf import FPDF

    path, number = sc_face()
    pdf = FPDF(format="A4", orientation="landscape" if sum(widths) > 190 else "portrait")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("sc", "", path, collection_font_number=number)
    pdf.add_page()
    pdf.set_font("sc", size=16)
    pdf.cell(0, 11, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sc", size=10)
    for label, value in facts:
        pdf.cell(48, 7, label)
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    def header_row() -> None:
        pdf.set_fill_color(230, 236, 242)
        for i, (name, w) in enumerate(zip(header, widths, strict=True)):
            pdf.cell(w, 8, name, border=1, fill=True, align="R" if i >= numeric_from else "L")
        pdf.ln()

    header_row()
    for row in rows:
        if pdf.will_page_break(8):
            pdf.add_page()
            header_row()
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            shown = f"{cell:,.2f}" if isinstance(cell, float) else str(cell)
            pdf.cell(w, 8, shown, border=1, align="R" if i >= numeric_from else "L")
        pdf.ln()
    if footer:
        pdf.ln(6)
        pdf.cell(0, 7, footer)
    return bytes(pdf.output())
