"""Turn receipt blocks into ESC/POS bytes through python-escpos: GB18030 text mode or raster."""

from __future__ import annotations

import copy
import logging
from functools import lru_cache
from typing import Literal

import qrcode
from escpos.constants import ESC, FS, GS
from escpos.escpos import Escpos
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.glyphs import CJK_FONT, CJK_MONO_SC_FACE, readable
from hardware.printer.layout import Block, CutBlock, QrBlock, TextBlock, layout_receipt
from hardware.printer.profiles import PAPER_DOTS, TEAR_FEED_LINES, Geometry, geometry
from hardware.printer.receipt import MoneyFormatter, Receipt, default_money
from hardware.text import char_width, display_width, gbk_safe

log = logging.getLogger(__name__)

CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
#: Double width and height for every character: GS ! for all, FS ! for hanzi on printers whose
#: Chinese font follows FS ! (ESC ! only sizes the single-byte font).
SIZE_BIG = GS + b"!\x11" + FS + b"!\x0c"
#: Back to normal size: all three size commands, or some printers keep hanzi double size.
SIZE_NORMAL = ESC + b"!\x00" + GS + b"!\x00" + FS + b"!\x00"

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
        width["pixels"] = PAPER_DOTS[paper_mm]
    # Instance attribute: profiles are shared classes, never mutate them.
    printer.profile.profile_data = data


def emit_text_mode(printer: Escpos, blocks: list[Block], geom: Geometry) -> None:
    """Send blocks as text; Chinese lines go raw as GB18030 inside FS & ... FS . (Chinese mode)."""
    for block in blocks:
        if isinstance(block, TextBlock):
            # Size first: ESC ! also clears emphasis, so bold must come after it.
            printer._raw(SIZE_BIG if block.big else SIZE_NORMAL)
            printer.set(align=block.align, bold=block.bold)
            if block.text.isascii():
                printer.text(block.text + "\n")
            else:
                # python-escpos' magic encoder never sends FS & and garbles full-width punctuation
                # (issues #269/#491/#678): send the bytes ourselves.
                printer._raw(CHINESE_ON + block.text.encode("gb18030") + CHINESE_OFF + b"\n")
        elif isinstance(block, QrBlock):
            printer._raw(SIZE_NORMAL)
            printer.set(align="center", bold=False)
            native = geom.native_qr
            printer.qr(
                block.payload,
                size=6,
                native=native,
                center=not native,
                image_arguments={"impl": geom.image_impl},
            )
            printer.set(align="left")


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(CJK_FONT, size, index=CJK_MONO_SC_FACE)


def _line_height(cell: int, scale: int) -> int:
    return int(2 * cell * scale * 1.4)


@lru_cache(maxsize=8192)
def _glyph(ch: str, cells: int, cell: int, scale: int, bold: bool) -> Image.Image:
    """`ch` drawn into exactly `cells` grid cells, squeezed when the font draws it wider."""
    font = _font(2 * cell * scale)
    height = _line_height(cell, scale)
    width = cells * cell * scale
    natural = max(1, int(font.getlength(ch) + 0.999) + (1 if bold else 0))
    canvas = Image.new("L", (natural, height), 255)
    draw = ImageDraw.Draw(canvas)
    draw.text((0, 0), ch, font=font, fill=0)
    if bold:
        draw.text((1, 0), ch, font=font, fill=0)
    if natural > width:
        canvas = canvas.resize((width, height), Image.Resampling.LANCZOS)
    tile = Image.new("L", (width, height), 255)
    tile.paste(canvas.crop((0, 0, min(width, canvas.width), height)), (0, 0))
    return tile


def text_x(block: TextBlock, geom: Geometry) -> int:
    """Left edge in dots of a text line in the raster image (centred lines by their width)."""
    cell = geom.dots // geom.columns
    scale = 2 if block.big else 1
    if block.align != "center":
        return 0
    grid = (geom.columns // scale) * cell * scale
    return max(0, (grid - display_width(block.text) * cell * scale) // 2)


def _text_piece(block: TextBlock, geom: Geometry) -> Image.Image:
    # Each character is drawn in its own cells of the column grid, so the image keeps exactly the
    # widths the layout counted, whatever advance the font gives a glyph (é, “, …).
    cell = geom.dots // geom.columns
    scale = 2 if block.big else 1
    img = Image.new("L", (geom.dots, _line_height(cell, scale)), 255)
    x = text_x(block, geom)
    for ch in block.text:
        cells = char_width(ch)
        if cells and ch != " ":
            img.paste(_glyph(ch, cells, cell, scale, block.bold), (x, 0))
        x += cells * cell * scale
    return img


def _qr_piece(block: QrBlock, width: int) -> Image.Image:
    qr = qrcode.QRCode(box_size=6, border=2)
    qr.add_data(block.payload)
    qr.make(fit=True)
    code = qr.make_image().get_image().convert("L")
    if code.width > width:
        code = code.resize((width, width), Image.Resampling.NEAREST)
    img = Image.new("L", (width, code.height), 255)
    img.paste(code, ((width - code.width) // 2, 0))
    return img


def raster_pieces(blocks: list[Block], geom: Geometry) -> list[tuple[Block, Image.Image]]:
    """Each printable block drawn `geom.dots` wide, top to bottom (cut blocks excluded)."""
    pieces: list[tuple[Block, Image.Image]] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            pieces.append((block, _text_piece(block, geom)))
        elif isinstance(block, QrBlock):
            pieces.append((block, _qr_piece(block, geom.dots)))
    return pieces


def rasterize(blocks: list[Block], geom: Geometry) -> Image.Image:
    """Draw the blocks into one black-on-white image `geom.dots` wide."""
    pieces = [img for _, img in raster_pieces(blocks, geom)]
    sheet = Image.new("L", (geom.dots, sum(p.height for p in pieces)), 255)
    y = 0
    for p in pieces:
        sheet.paste(p, (0, y))
        y += p.height
    # A hard threshold, not python-escpos' dithering: text edges stay crisp and stay in their cells.
    return sheet.point(lambda v: 0 if v < 128 else 255)


def emit_raster(printer: Escpos, blocks: list[Block], geom: Geometry) -> None:
    """Send the whole receipt as one image with the profile's image command."""
    printer.image(rasterize(blocks, geom), impl=geom.image_impl, center=False)


def emit_end(printer: Escpos, geom: Geometry, tear_feed_lines: int) -> None:
    """Feed and cut; without a cutter, feed the last line past the tear bar."""
    if geom.cutter:
        printer.cut()
    else:
        printer._raw(ESC + b"d" + bytes([tear_feed_lines]))


def receipt_bytes(
    receipt: Receipt,
    *,
    profile: str,
    paper_mm: Literal[58, 80],
    text_mode: TextMode,
    money: MoneyFormatter = default_money,
    tear_feed_lines: int = TEAR_FEED_LINES,
) -> bytes:
    """The complete ESC/POS byte stream for one receipt on a printer of this profile."""
    geom = geometry(profile, paper_mm)
    printer = make_escpos(profile, paper_mm)
    gbk = text_mode == "gb18030"
    blocks = layout_receipt(receipt, geom.columns, money, clean=lambda s: readable(s, gbk=gbk))
    printer.hw("INIT")
    texts = [b.text for b in blocks if isinstance(b, TextBlock)]
    if text_mode == "gb18030" and not all(gbk_safe(t) for t in texts):
        # A character beyond GBK (a rare hanzi, ß) would print as garbage: use the image.
        log.warning(
            "receipt %s has characters beyond GBK; printing it as an image", receipt.order_no
        )
        text_mode = "raster"
    if text_mode == "raster":
        emit_raster(printer, blocks, geom)
    else:
        emit_text_mode(printer, blocks, geom)
    if any(isinstance(b, CutBlock) for b in blocks):
        emit_end(printer, geom, tear_feed_lines)
    return printer.output
