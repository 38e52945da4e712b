"""Lay a Receipt out as printer-neutral blocks (text lines, QR, cut) for a given paper width."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hardware.printer.receipt import MoneyFormatter, Receipt, default_money
from hardware.text import center, sanitize, two_columns, wrap

Align = Literal["left", "center"]


@dataclass(frozen=True)
class TextBlock:
    """One printed line; `big` is double width and height (half the columns)."""

    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False


@dataclass(frozen=True)
class QrBlock:
    """A QR code carrying `payload`."""

    payload: str


@dataclass(frozen=True)
class CutBlock:
    """The end of the receipt: feed and cut the paper (or feed to the tear bar)."""


Block = TextBlock | QrBlock | CutBlock


def layout_receipt(
    receipt: Receipt,
    columns: int,
    money: MoneyFormatter = default_money,
    clean: Callable[[str], str] = sanitize,
) -> list[Block]:
    """The receipt as blocks of at most `columns` printer columns (big lines: half as many).

    `clean` turns every string into what can be printed (the renderer passes
    `glyphs.readable`), before widths are counted.
    """
    cols = columns
    rule = "-" * cols
    out: list[Block] = []

    def text(line: str = "", align: Align = "left", bold: bool = False, big: bool = False) -> None:
        for part in wrap(clean(line), cols // 2 if big else cols):
            out.append(TextBlock(part, align, bold, big))

    def pair(left: str, right: str, bold: bool = False) -> None:
        for line in two_columns(clean(left), clean(right), cols):
            out.append(TextBlock(line, "left", bold))

    text(receipt.canteen_name, align="center", bold=True, big=True)
    if receipt.reprint:
        text("** 重印 REPRINT **", align="center", bold=True)
    text(rule)
    text("取餐号 Order No.", align="center")
    text(receipt.order_no, align="center", bold=True, big=True)
    text(rule)
    pair("时间 Time", receipt.local_time().strftime("%Y-%m-%d %H:%M:%S"))
    if receipt.member_name:
        pair("会员 Member", receipt.member_name)
    text(rule)
    for item in receipt.lines:
        name = f"{item.name_zh} {item.name_en}".strip()
        pair(name, money(item.list_cents), bold=True)
        if item.weight_g is not None and item.per_100g_cents is not None:
            detail = f"  {item.weight_g} g x {money(item.per_100g_cents)}/100 g"
        else:
            detail = f"  {item.qty} x {money(item.unit_price_cents)}"
            if item.weight_g is not None:
                detail += f"  {item.weight_g} g"
        text(detail)
        for mod in item.modifiers:
            label = f"  + {mod.name_zh} {mod.name_en}".rstrip()
            pair(label, money(mod.price_cents) if mod.price_cents else "")
        if item.discount_cents:
            label = f"  - {item.discount_zh} {item.discount_en}".rstrip()
            pair(label, money(-item.discount_cents))
    text(rule)
    pay = receipt.payment
    pair("合计 Subtotal", money(receipt.subtotal_cents), bold=True)
    if pay.subsidy_cents:
        pair("餐补 Subsidy", money(-pay.subsidy_cents))
    if pay.coupon_cents:
        pair("优惠券 Coupon", money(-pay.coupon_cents))
    if pay.points_cents:
        pair(f"积分 Points ({pay.points_used})", money(-pay.points_cents))
    if pay.stored_value_cents:
        pair("储值支付 Stored value", money(pay.stored_value_cents))
    if pay.other_cents:
        method = f" ({pay.other_method})" if pay.other_method else ""
        pair(f"其他支付 Other{method}", money(pay.other_cents))
    bal = receipt.balances
    if (bal.stored_value_cents, bal.subsidy_cents, bal.points) != (None, None, None):
        text(rule)
        text("支付后余额 Balances after payment")
        if bal.stored_value_cents is not None:
            pair("  储值余额 Stored value", money(bal.stored_value_cents))
        if bal.subsidy_cents is not None:
            pair("  餐补余额 Subsidy", money(bal.subsidy_cents))
        if bal.points is not None:
            pair("  积分余额 Points", str(bal.points))
    text(rule)
    if receipt.qr_payload:
        text("扫码查看订单/评价 Scan to track or rate", align="center")
        out.append(QrBlock(receipt.qr_payload))
    for note in receipt.notes:
        text(note, align="center")
    text("谢谢惠顾 Thank you!", align="center")
    out.append(CutBlock())
    return out


def plain_lines(blocks: list[Block], columns: int) -> list[str]:
    """The text lines as they appear on paper (centering applied), for previews and tests."""
    cols = columns
    lines = []
    for b in blocks:
        if isinstance(b, TextBlock):
            width = cols // 2 if b.big else cols
            lines.append(center(b.text, width) if b.align == "center" else b.text)
    return lines
