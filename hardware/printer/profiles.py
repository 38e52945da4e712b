"""What a printer profile means for a receipt: columns, printable dots, cutter, image command."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

#: Font A (12x24 dots) characters per line for each paper width at 203 dpi.
PAPER_COLUMNS = {58: 32, 80: 48}
#: Printable dots per line at 203 dpi for each paper width.
PAPER_DOTS = {58: 384, 80: 576}
#: Font A is 12 dots wide: columns a line of dots holds when the profile states none.
FONT_A_DOTS = 12
#: Lines fed before the cut on printers with a cutter (python-escpos' own `cut()` feed).
CUT_FEED_LINES = 6
#: Lines fed at the end on printers without a cutter, so the last line clears the tear bar with
#: paper to hold (8 x 1/6 in = 34 mm; the tear bar of 58 mm clamshell printers sits further out
#: than a cutter blade). A printer config may change it (`tear_feed_lines`).
TEAR_FEED_LINES = 8

ImageImpl = Literal["bitImageRaster", "graphics", "bitImageColumn"]


@dataclass(frozen=True)
class Geometry:
    """One printer on one paper roll: the numbers layout and rendering need."""

    columns: int  # half-width (font A) columns per line
    dots: int  # printable dots per line
    cutter: bool
    native_qr: bool
    image_impl: ImageImpl


def _profile(name: str) -> dict:
    from escpos.capabilities import CAPABILITIES  # imported late: it loads a large JSON

    return CAPABILITIES["profiles"][name]


def _image_impl(features: dict) -> ImageImpl | None:
    for impl in ("bitImageRaster", "graphics", "bitImageColumn"):
        if features.get(impl):
            return impl
    return None


def is_receipt_printer(name: str) -> bool:
    """True for profiles that can print a receipt: any image command (QR codes, raster text).

    python-escpos also ships two-line customer displays (AF-240, OCD-100, OCD-300): no image.
    """
    return _image_impl(_profile(name)["features"]) is not None


def receipt_profiles() -> list[str]:
    """Every python-escpos profile that is a receipt printer, sorted."""
    from escpos.capabilities import CAPABILITIES

    return sorted(name for name in CAPABILITIES["profiles"] if is_receipt_printer(name))


@lru_cache(maxsize=256)
def geometry(profile: str, paper_mm: Literal[58, 80]) -> Geometry:
    """Columns and dots for this profile on this paper: never more than either allows.

    The profile's font-A column count wins when it states a plausible one (a TM-T88V prints 42
    on 80 mm paper, not 48); some profiles list glyph widths there instead (NT-80-V-UL: 12), and
    then the printable dots decide.
    """
    data = _profile(profile)
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    dots = min(PAPER_DOTS[paper_mm], pixels) if isinstance(pixels, int) else PAPER_DOTS[paper_mm]
    stated = (data.get("fonts") or {}).get("0", {}).get("columns")
    if isinstance(stated, int) and stated >= 24:
        columns = min(PAPER_COLUMNS[paper_mm], stated)
    else:
        columns = min(PAPER_COLUMNS[paper_mm], dots // FONT_A_DOTS)
    features = data["features"]
    impl = _image_impl(features)
    if impl is None:
        raise ValueError(f"profile {profile!r} cannot print images: not a receipt printer")
    return Geometry(
        columns=columns,
        dots=dots,
        cutter=bool(features.get("paperFullCut") or features.get("paperPartCut")),
        native_qr=bool(features.get("qrCode")),
        image_impl=impl,
    )
