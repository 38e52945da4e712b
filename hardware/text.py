"""Column layout for mixed Chinese/English text on fixed-pitch receipt printers.

Widths are counted the way a Chinese ESC/POS printer counts them: in Chinese mode (FS &) every
two-byte GB18030 code prints as one full-width cell, two columns, whatever Unicode calls its
East-Asian width. That covers the "ambiguous" characters (… · “ ” × ① é) that `wcwidth` and
`unicodedata.east_asian_width` count as one column. The raster path draws on the same grid, so one
rule serves both. Characters outside GBK take their `wcwidth`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from wcwidth import wcwidth


@lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    """Printer columns one character takes: 2 for every two-byte GB18030 code, else its wcwidth."""
    if ch.isascii():
        return 1 if ch.isprintable() else 0
    try:
        if len(ch.encode("gb18030")) == 2:
            return 2  # the printer's Chinese font: one full-width cell
    except UnicodeEncodeError:  # lone surrogates
        return 0
    return max(0, wcwidth(ch))


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


def sanitize(text: str) -> str:
    """NFC-composed text with control characters as spaces (a newline in a dish name must not
    end the printed line) and invisible format characters dropped."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat == "Cc" or ch.isspace():
            out.append(" ")
        elif cat not in ("Cf", "Cs"):
            out.append(ch)
    return "".join(out)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """(spaces before, word) pairs; a word is a run of narrow non-space characters (Latin) or one
    wide character (CJK may break anywhere)."""
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and text[j].isspace():
            j += 1
        if j == n:
            return
        k = j + 1
        if char_width(text[j]) != 2:
            while k < n and not text[k].isspace() and char_width(text[k]) != 2:
                k += 1
        yield text[i:j], text[j:k]
        i = k


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` printer columns: Latin text breaks between words (a word longer
    than a line is split), CJK between any two characters. Leading spaces stay on the first line."""
    if columns < 2:
        raise ValueError("a line needs at least 2 columns (one wide character)")
    lines: list[str] = []
    line = ""
    for space, word in _tokens(text):
        sep = space if line or not lines else ""
        if display_width(line + sep + word) <= columns:
            line += sep + word
            continue
        if line.strip():
            lines.append(line)
            piece = word
        else:  # only an indent so far: the word goes on this line, split if it must
            piece = line + sep + word
        while display_width(piece) > columns:
            head = truncate(piece, columns)
            lines.append(head)
            piece = piece[len(head) :]
        line = piece
    lines.append(line)
    return lines


def pad_left(text: str, columns: int) -> str:
    """`text` flush right in `columns`."""
    return " " * max(0, columns - display_width(text)) + text


def two_columns(left: str, right: str, columns: int) -> list[str]:
    """`left` flush left and `right` flush right on the last line; both wrap when too long.

    A short right part (an amount) keeps its line and the left part wraps in the room left of it;
    a long one (a member's name) goes under the left part, flush right.
    """
    if not right:
        return wrap(left, columns)
    room = columns - display_width(right) - 1
    if room >= 2 and (room >= display_width(left) or room >= columns // 2):
        parts = wrap(left, room)
        last = parts[-1]
        return [
            *parts[:-1],
            last + " " * (columns - display_width(last) - display_width(right)) + right,
        ]
    return [*wrap(left, columns), *(pad_left(r, columns) for r in wrap(right, columns))]


def center(text: str, columns: int) -> str:
    """`text` padded with spaces on the left so it sits in the middle of `columns`."""
    pad = max(0, (columns - display_width(text)) // 2)
    return " " * pad + text


def gbk_safe(text: str) -> bool:
    """True when every character has a 1- or 2-byte GB18030 code (what GBK printers can show)."""
    return all(len(ch.encode("gb18030")) <= 2 for ch in text)
