"""Receipts fit every shipped printer profile: decoded from the bytes, every line width-checked.

Each receipt is rendered for every python-escpos receipt-printer profile on both rolls, in text
mode and as raster, decoded with the project's ESC/POS parser (hardware/sim), and every printed
line is measured the way the printer counts (the parser counts cells from the bytes and the
size commands in force, not with hardware.text).
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from pydantic import ValidationError

from hardware.config import HardwareConfig
from hardware.printer.glyphs import CJK_FONT, CJK_MONO_SC_FACE, readable
from hardware.printer.layout import Block, TextBlock, layout_receipt
from hardware.printer.profiles import geometry, receipt_profiles
from hardware.printer.receipt import Payment, Receipt, ReceiptLine
from hardware.printer.render import raster_pieces, receipt_bytes, text_x
from hardware.sim.escpos_parser import EscposParser, Item, PrintedImage, PrintedLine
from hardware.text import char_width, display_width, two_columns, wrap
from tests.hardware.conftest import make_receipt

pytestmark = pytest.mark.timeout(120)

#: Dish names that broke receipts somewhere: long Chinese, long English, ambiguous-width
#: punctuation, emoji, mixed scripts, control and invisible characters.
NASTY_DISHES: list[tuple[str, str]] = [
    (
        "招牌秘制红烧肉配梅干菜与时令蔬菜双拼套餐加大份",
        "Signature braised pork belly with preserved mustard greens",
    ),
    ("鸡", "Supercalifragilisticexpialidociousfriedchickenwithextraspicysauce"),
    ("“宫保”鸡丁…", "Kung Pao chicken × 2 · ① large"),
    ("①②③号套餐・特价", "Set ①②③ — today only…"),
    ("🍜牛肉面🌶️", "Beef noodles 👍🏽 (hot)"),
    ("红烧肉Pork混合mixed文字", "Crème brûlée & jalapeño façade"),
    ("𠮷野家牛丼", "Yoshinoya beef bowl"),
    ("换行\n菜名\t制表", "Line\nbreak\ttab\u200bzero\u200dwidth"),
    ("全角（括号）：￥¥", "Full-width（parens）: ￥ ¥ ±°℃"),
    ("家庭👨‍👩‍👧套餐", "Family 🇨🇳 meal 𝐁𝐨𝐥𝐝"),
]
AMBIGUOUS = "…·“”×①"


def nasty_receipt() -> Receipt:
    """Every nasty dish at a four-digit price, a long emoji nickname, a long canteen name."""
    lines = tuple(
        ReceiptLine(name_zh=zh[:40], name_en=en[:60], qty=1, unit_price_cents=123_450 + i)
        for i, (zh, en) in enumerate(NASTY_DISHES)
    )
    total = sum(line.total_cents for line in lines)
    return make_receipt(
        canteen_name="第一食堂“员工餐厅”…Staff Canteen No.1 😀 North Campus",
        member_name="小明😀🎉Ming·张伟×①“VIP”会员超长昵称测试一二三四五六七八九",
        lines=lines,
        payment=Payment(stored_value_cents=total),
    )


def parse(data: bytes) -> tuple[list[Item], list[int], int]:
    """Items, ESC d feeds and cuts, as the project's ESC/POS parser decodes them."""
    items: list[Item] = []
    feeds: list[int] = []
    cuts = []
    parser = EscposParser(items.append, lambda: cuts.append(1), lambda n: None, feeds.append)
    parser.feed(data)
    return items, feeds, len(cuts)


PROFILES = receipt_profiles()
CASES = [(p, paper) for p in PROFILES for paper in (58, 80)]
_MONEY_FLUSH_RIGHT = re.compile(r"\S {2,}-?￥\d+\.\d\d$")


def test_every_shipped_printer_profile_is_covered() -> None:
    assert len(PROFILES) >= 30 and {"TM-T88V", "ZJ-5870", "POS-5890", "default"} <= set(PROFILES)


@pytest.mark.parametrize("receipt_kind", ["sample", "nasty"])
@pytest.mark.parametrize("profile,paper_mm", CASES)
def test_text_mode_lines_fit_the_profile_columns(
    profile: str, paper_mm: Literal[58, 80], receipt_kind: str
) -> None:
    receipt = nasty_receipt() if receipt_kind == "nasty" else make_receipt()
    geom = geometry(profile, paper_mm)
    if receipt_kind == "nasty":  # 𠮷 is beyond GBK: a text printer cannot; drop that one dish
        receipt = receipt.model_copy(
            update={
                "lines": receipt.lines[:6] + receipt.lines[7:],
                "payment": Payment(
                    stored_value_cents=receipt.subtotal_cents - receipt.lines[6].total_cents
                ),
            }
        )
    data = receipt_bytes(receipt, profile=profile, paper_mm=paper_mm, text_mode="gb18030")
    assert b"\x1c&" in data, "a receipt within GBK stays in text mode"
    items, _, _ = parse(data)
    printed = [i for i in items if isinstance(i, PrintedLine)]
    assert len(printed) > 20
    for line in printed:
        assert line.columns <= geom.columns, f"{line.columns} > {geom.columns}: {line.text!r}"
        # no character printed at a size its line did not ask for (GS !/FS ! left double)
        assert line.columns == display_width(line.text) * (2 if line.big else 1), line
        assert "\ufffd" not in line.text and "?" not in line.text, line.text
        if _MONEY_FLUSH_RIGHT.search(line.text):
            assert line.columns == geom.columns, f"amount not at the paper edge: {line.text!r}"
    subtotal = next(line for line in printed if line.text.startswith("合计 Subtotal"))
    assert subtotal.bold and subtotal.columns == geom.columns
    order_no = next(line for line in printed if line.text == "A023")
    assert order_no.big
    assert not any(line.big for line in printed[printed.index(order_no) + 1 :])


def _cells(block: TextBlock, geom_cell: int) -> list[tuple[str, int, int]]:
    scale = 2 if block.big else 1
    out, x = [], 0
    for ch in block.text:
        w = char_width(ch) * geom_cell * scale
        out.append((ch, x, x + w))
        x += w
    return out


@pytest.mark.parametrize("profile,paper_mm", CASES)
def test_raster_receipt_draws_every_character_inside_the_paper(
    profile: str, paper_mm: Literal[58, 80]
) -> None:
    receipt = nasty_receipt()
    geom = geometry(profile, paper_mm)
    cell = geom.dots // geom.columns
    data = receipt_bytes(receipt, profile=profile, paper_mm=paper_mm, text_mode="raster")
    items, _, _ = parse(data)
    assert not [i for i in items if isinstance(i, PrintedLine) and i.text]
    images = [i.image for i in items if isinstance(i, PrintedImage)]
    assert images and all(geom.dots <= im.width <= geom.dots + 7 for im in images)
    ink = np.vstack([np.asarray(im)[:, : geom.dots] < 128 for im in images])
    blocks: list[Block] = layout_receipt(receipt, geom.columns, clean=readable)
    y = 0
    for block, piece in raster_pieces(blocks, geom):
        band = ink[y : y + piece.height]
        y += piece.height
        if not isinstance(block, TextBlock):
            continue
        x0 = text_x(block, geom)
        inked = band.any(axis=0)
        cells = _cells(block, cell)
        end = x0 + (cells[-1][2] if cells else 0)
        assert end <= geom.columns * cell <= geom.dots, block
        assert not inked[end:].any(), f"ink right of the last character: {block.text!r}"
        for ch, a, b in cells:
            if ch != " ":
                assert inked[x0 + a : x0 + b].any(), f"{ch!r} not drawn in its cells: {block}"
    assert y <= ink.shape[0]


def test_raster_text_has_a_glyph_for_every_character() -> None:
    cmap = TTFont(CJK_FONT, fontNumber=CJK_MONO_SC_FACE, lazy=True).getBestCmap()
    blocks = layout_receipt(nasty_receipt(), 32, clean=readable)
    drawn = {ch for b in blocks if isinstance(b, TextBlock) for ch in b.text}
    assert not {ch for ch in drawn if ord(ch) not in cmap}, "these would print as boxes"
    text = "\n".join(b.text for b in blocks if isinstance(b, TextBlock))
    assert "[grinning face]" in text and "[steaming bowl]" in text and "𠮷" in text


def test_emoji_nickname_prints_readably_in_text_mode() -> None:
    receipt = make_receipt(member_name="小明😀")
    data = receipt_bytes(receipt, profile="default", paper_mm=58, text_mode="gb18030")
    assert b"\x1dv0" not in data and b"\x1c&" in data  # no image needed for a stand-in
    items, _, _ = parse(data)
    member = next(i for i in items if isinstance(i, PrintedLine) and "会员" in i.text)
    assert member.text.endswith("小明[grinning face]")


def test_beyond_gbk_but_drawable_switches_that_receipt_to_raster() -> None:
    receipt = make_receipt(member_name="𠮷田 Yoshida")
    data = receipt_bytes(receipt, profile="default", paper_mm=58, text_mode="gb18030")
    assert b"\x1dv0" in data and b"\x1c&" not in data


@pytest.mark.parametrize("ch", list(AMBIGUOUS))
def test_ambiguous_width_characters_count_as_the_printer_prints_them(ch: str) -> None:
    assert char_width(ch) == 2
    lines = two_columns(f"红烧肉{ch * 3} Braised pork in a clay pot", "￥1234.50", 32)
    assert all(display_width(line) <= 32 for line in lines)
    assert display_width(lines[-1]) == 32 and lines[-1].endswith("￥1234.50")


@pytest.mark.parametrize("profile,columns", [("TM-T88V", 42), ("TM-T20II", 48), ("TH230", 44)])
def test_columns_come_from_the_printer_profile(profile: str, columns: int) -> None:
    assert geometry(profile, 80).columns == columns
    data = receipt_bytes(make_receipt(), profile=profile, paper_mm=80, text_mode="gb18030")
    items, _, _ = parse(data)
    rules = [i for i in items if isinstance(i, PrintedLine) and set(i.text) == {"-"}]
    assert rules and all(r.columns == columns for r in rules)


@pytest.mark.parametrize("profile", PROFILES)
def test_receipt_ends_with_a_cut_or_a_feed_to_the_tear_bar(profile: str) -> None:
    geom = geometry(profile, 58)
    for mode in ("gb18030", "raster"):
        data = receipt_bytes(make_receipt(), profile=profile, paper_mm=58, text_mode=mode)  # type: ignore[arg-type]
        _, feeds, cuts = parse(data)
        if geom.cutter:
            assert cuts == 1 and data[-3:-1] == b"\x1dV" and feeds[-1] >= 6
        else:
            assert cuts == 0 and data.endswith(b"\x1bd\x08") and feeds == [8]
    no_cutter = receipt_bytes(
        make_receipt(), profile="ZJ-5870", paper_mm=58, text_mode="gb18030", tear_feed_lines=12
    )
    assert no_cutter.endswith(b"\x1bd\x0c")


def test_big_lines_reset_every_size_command() -> None:
    data = receipt_bytes(make_receipt(), profile="default", paper_mm=80, text_mode="gb18030")
    big, normal = b"\x1d!\x11\x1c!\x0c", b"\x1b!\x00\x1d!\x00\x1c!\x00"
    assert big in data
    after_order_no = data[data.index(b"A023") :]
    assert after_order_no.index(normal) < after_order_no.index("时间".encode("gb18030"))


def test_display_profiles_are_refused_as_receipt_printers() -> None:
    with pytest.raises(ValidationError, match="display"):
        HardwareConfig.model_validate(
            {"devices": {"p": {"type": "escpos_serial", "port": "x", "profile": "OCD-300"}}}
        )


@pytest.mark.parametrize("columns", [12, 20, 32, 42, 48])
def test_latin_words_are_never_split_cjk_breaks_anywhere(columns: int) -> None:
    text = "红烧肉 Signature braised pork belly with preserved vegetables 梅干菜扣肉配米饭"
    lines = wrap(text, columns)
    assert all(display_width(line) <= columns for line in lines)
    words = set(text.split())
    for line in lines:
        for token in line.split():
            if token.isascii():
                assert token in words, f"{token!r} is a piece of a word: {lines}"
    assert "".join("".join(line.split()) for line in lines) == "".join(text.split())
    assert wrap("Supercalifragilistic", 8) == ["Supercal", "ifragili", "stic"]
    assert wrap("  + 加辣 Extra", 40) == ["  + 加辣 Extra"]


def test_layout_fits_a_long_nickname_and_any_column_count() -> None:
    receipt = nasty_receipt()
    for columns in (24, 32, 36, 42, 44, 48):
        blocks = layout_receipt(receipt, columns, clean=readable)
        for b in blocks:
            if isinstance(b, TextBlock):
                assert display_width(b.text) <= (columns // 2 if b.big else columns), b
