"""Turn receipt blocks into ESC/POS bytes through python-escpos: GB18030 text mode or raster."""

from __future__ import annotations

import copy
import logging
from functools import lru_cache
from typing import Literal

import qrcode
from escpos.constants import FS
from escpos.escpos import Escpos
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.layout import (
    COLUMNS,
    DOTS,
    Block,
    CutBlock,
    QrBlock,
    TextBlock,
    layout_receipt,
)
from hardware.printer.receipt import MoneyFormatter, Receipt, default_money
from hardware.text import display_width, gbk_safe

log = logging.getLogger(__name__)

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#: Face 7 of the collection is "Noto Sans Mono CJK SC": Simplified Chinese glyph shapes, and
#: half-width Latin exactly half a CJK cell, so column-aligned text stays aligned in the image.
CJK_MONO_SC_FACE = 7
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."

TextMode = Literal["gb18030", "raster"]


def make_escpos(profile: str, paper_mm: Literal[58, 80]) -> Dummy:
    """A python-escpos Dummy with the named profile, its paper width filled in when unknown."""
    printer = Dummy(profile=profile)
    fit_profile_width(printer, paper_mm)
    return printer


def fit_profile_width(printer: Escpos, paper_mm: Literal[58, 80]) -> None:
    """Give this printer instance a known media width (python-escpos prints to stdout otherwise)."""
    data = copy.deepcopy(printer.profile.profile_data)
    width = data.setdefault("media", {}).setdefault("width", {})
    if not isinstance(width.get("pixels"), int):
        width["pixels"] = DOTS[paper_mm]
    # Instance attribute: profiles are shared classes, never mutate them.
    printer.profile.profile_data = data


def raster_width(printer: Escpos, paper_mm: Literal[58, 80]) -> int:
    """Image width in dots: the paper's printable width, capped by the profile's."""
    pixels = printer.profile.profile_data["media"]["width"]["pixels"]
    return min(DOTS[paper_mm], int(pixels))


def emit_text_mode(printer: Escpos, blocks: list[Block], native_qr: bool) -> None:
    """Send blocks as text; Chinese lines go raw as GB18030 inside FS & ... FS . (Chinese mode)."""
    for block in blocks:
        if isinstance(block, TextBlock):
            printer.set(align=block.align, bold=block.bold)
            if block.big:
                printer.set(custom_size=True, width=2, height=2)  # GS ! also enlarges hanzi
            else:
                printer.set(normal_textsize=True)
            if block.text.isascii():
                printer.text(block.text + "\n")
            else:
                # python-escpos' magic encoder never sends FS & and garbles full-width punctuation
                # (issues #269/#491/#678): send the bytes ourselves.
                printer._raw(CHINESE_ON + block.text.encode("gb18030") + CHINESE_OFF + b"\n")
        elif isinstance(block, QrBlock):
            printer.set(align="center", normal_textsize=True, bold=False)
            printer.qr(block.payload, size=6, native=native_qr, center=not native_qr)
            printer.set(align="left")
        elif isinstance(block, CutBlock):
            printer.cut()


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(CJK_FONT, size, index=CJK_MONO_SC_FACE)


def rasterize(blocks: list[Block], paper_mm: Literal[58, 80], width: int) -> Image.Image:
    """Draw the blocks into one black-on-white image `width` dots wide (cut blocks excluded)."""
    cols = COLUMNS[paper_mm]
    cell = width // cols  # dots per half-width column
    pieces: list[Image.Image] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            scale = 2 if block.big else 1
            font = _font(2 * cell * scale)
            line_h = int(2 * cell * scale * 1.4)
            img = Image.new("L", (width, line_h), 255)
            used = display_width(block.text) * cell * scale
            x = max(0, (width - used) // 2) if block.align == "center" else 0
            draw = ImageDraw.Draw(img)
            draw.text((x, 0), block.text, font=font, fill=0)
            if block.bold:
                draw.text((x + 1, 0), block.text, font=font, fill=0)
            pieces.append(img)
        elif isinstance(block, QrBlock):
            qr = qrcode.QRCode(box_size=6, border=2)
            qr.add_data(block.payload)
            qr.make(fit=True)
            code = qr.make_image().get_image().convert("L")
            if code.width > width:
                code = code.resize((width, width), Image.Resampling.NEAREST)
            img = Image.new("L", (width, code.height), 255)
            img.paste(code, ((width - code.width) // 2, 0))
            pieces.append(img)
    total = sum(p.height for p in pieces)
    sheet = Image.new("L", (width, total), 255)
    y = 0
    for p in pieces:
        sheet.paste(p, (0, y))
        y += p.height
    return sheet


def emit_raster(printer: Escpos, blocks: list[Block], paper_mm: Literal[58, 80]) -> None:
    """Send the whole receipt as a raster image (GS v 0), then cut."""
    image = rasterize(blocks, paper_mm, raster_width(printer, paper_mm))
    printer.image(image, impl="bitImageRaster", center=False)
    if any(isinstance(b, CutBlock) for b in blocks):
        printer.cut()


def receipt_bytes(
    receipt: Receipt,
    *,
    profile: str,
    paper_mm: Literal[58, 80],
    text_mode: TextMode,
    money: MoneyFormatter = default_money,
) -> bytes:
    """The complete ESC/POS byte stream for one receipt on a printer of this profile."""
    printer = make_escpos(profile, paper_mm)
    blocks = layout_receipt(receipt, paper_mm, money)
    printer.hw("INIT")
    texts = [b.text for b in blocks if isinstance(b, TextBlock)]
    if text_mode == "gb18030" and not all(gbk_safe(t) for t in texts):
        # A character beyond GBK (emoji, rare hanzi) would print as garbage: use the image.
        log.warning(
            "receipt %s has characters beyond GBK; printing it as an image", receipt.order_no
        )
        text_mode = "raster"
    if text_mode == "raster":
        emit_raster(printer, blocks, paper_mm)
    else:
        emit_text_mode(printer, blocks, native_qr=bool(printer.profile.supports("qrCode")))
    return printer.output
