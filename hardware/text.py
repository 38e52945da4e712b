"""Column layout for mixed Chinese/English text on fixed-pitch receipt printers."""

from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    """Printer columns one character takes: 2 for wide/fullwidth (CJK, ￥), else 1."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Printer columns a string takes, double-width characters counted as two."""
    return sum(char_width(ch) for ch in text)


def truncate(text: str, columns: int) -> str:
    """The longest prefix of `text` that fits in `columns` (never splits a wide character)."""
    used = 0
    for i, ch in enumerate(text):
        w = char_width(ch)
        if used + w > columns:
            return text[:i]
        used += w
    return text


def wrap(text: str, columns: int) -> list[str]:
    """Split `text` into lines of at most `columns` printer columns, at a space when one is near."""
    lines: list[str] = []
    rest = text
    while display_width(rest) > columns:
        head = truncate(rest, columns)
        cut = head.rfind(" ")
        # Break at a space only if that keeps at least half the line; CJK has no spaces.
        if cut > len(head) // 2:
            head = head[:cut]
        lines.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    lines.append(rest)
    return lines


def two_columns(left: str, right: str, columns: int) -> list[str]:
    """`left` flush left and `right` flush right on one line; left wraps above when too long."""
    room = columns - display_width(right) - 1
    if room < 1:
        return [*wrap(left, columns), " " * max(0, columns - display_width(right)) + right]
    parts = wrap(left, room)
    last = parts[-1]
    gap = columns - display_width(last) - display_width(right)
    return [*parts[:-1], last + " " * gap + right]


def center(text: str, columns: int) -> str:
    """`text` padded with spaces on the left so it sits in the middle of `columns`."""
    pad = max(0, (columns - display_width(text)) // 2)
    return " " * pad + text


def gbk_safe(text: str) -> bool:
    """True when every character has a 1- or 2-byte GB18030 code (what GBK printers can show)."""
    return all(len(ch.encode("gb18030")) <= 2 for ch in text)
