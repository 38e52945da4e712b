"""Receipts of counter operations: structured lines plus bilingual text a printer can print."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from rules.money import format_cents


class ReceiptLine(BaseModel):
    """One line: a bilingual label and an amount in fen."""

    label_zh: str
    label_en: str
    amount_cents: int
    amount_text: str


class Receipt(BaseModel):
    """A receipt of a top-up, refund or adjustment; `text_lines` print as they are (GB18030)."""

    receipt_no: str
    title_zh: str
    title_en: str
    member_id: int
    member_no: str
    member_name: str
    at: datetime
    actor: str
    lines: list[ReceiptLine]
    paid_balance_cents: int
    bonus_balance_cents: int
    text_lines: list[str]


def receipt_line(zh: str, en: str, cents: int) -> ReceiptLine:
    """A receipt line with its amount formatted once, by rules.money."""
    text = format_cents(cents)
    return ReceiptLine(label_zh=zh, label_en=en, amount_cents=cents, amount_text=text)


def build_receipt(
    *,
    receipt_no: str,
    title: tuple[str, str],
    member_id: int,
    member_no: str,
    member_name: str,
    at: datetime,
    actor: str,
    lines: list[ReceiptLine],
    paid_balance_cents: int,
    bonus_balance_cents: int,
) -> Receipt:
    """Assemble a receipt and its printable bilingual text lines."""
    balances = [
        receipt_line("储值余额", "Stored value", paid_balance_cents),
        receipt_line("赠送余额", "Bonus balance", bonus_balance_cents),
    ]
    text = [
        f"{title[0]} {title[1]}",
        f"单号 No.: {receipt_no}",
        f"会员 Member: {member_no} {member_name}",
        f"时间 Time: {at.strftime('%Y-%m-%d %H:%M:%SZ')}",
        *(f"{ln.label_zh} {ln.label_en}: {ln.amount_text}" for ln in lines),
        "-" * 32,
        *(f"{ln.label_zh} {ln.label_en}: {ln.amount_text}" for ln in balances),
        f"收银员 Cashier: {actor}",
    ]
    return Receipt(
        receipt_no=receipt_no,
        title_zh=title[0],
        title_en=title[1],
        member_id=member_id,
        member_no=member_no,
        member_name=member_name,
        at=at,
        actor=actor,
        lines=lines,
        paid_balance_cents=paid_balance_cents,
        bonus_balance_cents=bonus_balance_cents,
        text_lines=text,
    )
