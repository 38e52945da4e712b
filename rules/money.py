"""Money as int minor units (fen): formatting, strict parsing, percent, allocation.

The one rounding rule of the project: **round half up, in integer arithmetic**
(``div_round_half_up``). Amounts here are non-negative unless stated, so
"half up" and "half away from zero" agree. Percentages are int basis points
(1 bp = 0.01 %, so 10 % = 1000 bp, 100 % = 10000 bp); floats never touch money.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rules.errors import MoneyError

YUAN_SIGN = "\uffe5"  # fullwidth ￥; U+00A5 is garbled by GBK receipt printers
BASIS_POINTS = 10_000  # 100 %

_AMOUNT = re.compile(r"(\d+)(?:\.(\d{1,2}))?")


def format_cents(cents: int) -> str:
    """Format fen as yuan: ``1234 -> "￥12.34"``, ``-100 -> "-￥1.00"``."""
    _require_int(cents, "amount")
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(cents), 100)
    return f"{sign}{YUAN_SIGN}{yuan}.{fen:02d}"


def parse_yuan(text: str) -> int:
    """Parse a yuan amount such as ``"12.34"`` or ``"￥12"`` into fen, strictly.

    Refused with :class:`MoneyError`: more than two decimals, signs, spaces
    inside, thousands separators, exponents, empty text, non-ASCII digits.
    """
    if not isinstance(text, str):
        raise MoneyError("金额必须是文本", f"amount must be text, not {type(text).__name__}")
    body = text.strip()
    if body[:1] in (YUAN_SIGN, "\u00a5"):
        body = body[1:]
    match = _AMOUNT.fullmatch(body) if body.isascii() else None
    if match is None:
        raise MoneyError(f"无法识别的金额：{text!r}", f"not a valid amount: {text!r}")
    yuan, fen = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(yuan) * 100 + int(fen)


def div_round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, exactly, for ``numerator >= 0``."""
    _require_int(numerator, "numerator")
    _require_int(denominator, "denominator")
    if numerator < 0 or denominator <= 0:
        raise MoneyError("舍入参数超出范围", f"cannot round {numerator}/{denominator}")
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(cents: int, basis_points: int) -> int:
    """``basis_points`` (1/100 of a percent) of ``cents``, rounded half up once.

    ``percent_of(1250, 1000) == 125`` (10 % of ￥12.50); ``percent_of(5, 1000) == 1``
    (0.5 fen rounds up).
    """
    _require_non_negative(cents, "amount")
    _require_non_negative(basis_points, "percentage")
    return div_round_half_up(cents * basis_points, BASIS_POINTS)


def format_percent(basis_points: int) -> str:
    """Basis points as a percent for labels: ``1000 -> "10%"``, ``1250 -> "12.5%"``."""
    _require_non_negative(basis_points, "percentage")
    whole, frac = divmod(basis_points, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"


def allocate(cents: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``cents`` across ``weights`` proportionally; the parts sum exactly to ``cents``.

    Largest-remainder method: every part gets the floor of its exact share; the
    fen left over go one each to the parts with the largest remainders, ties
    to the earlier part, so the result is deterministic. All-zero weights are
    only allowed for a zero amount.
    """
    _require_non_negative(cents, "amount")
    for w in weights:
        _require_non_negative(w, "weight")
    total = sum(weights)
    if total == 0:
        if cents == 0:
            return tuple(0 for _ in weights)
        raise MoneyError("无法按零权重分摊金额", f"cannot allocate {cents} over zero weights")
    floors = [cents * w // total for w in weights]
    left = cents - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(cents * weights[i] % total), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return tuple(floors)


def _require_int(value: int, what: str) -> None:
    # bool is an int subclass; True fen is a bug, not an amount
    if not isinstance(value, int) or isinstance(value, bool):
        raise MoneyError(f"金额必须是整数分：{value!r}", f"{what} must be int fen, got {value!r}")


def _require_non_negative(value: int, what: str) -> None:
    _require_int(value, what)
    if value < 0:
        raise MoneyError(f"不能为负数：{value}", f"{what} must not be negative: {value}")
