"""Which characters the receipt can show, and a readable stand-in for those it cannot.

A GB18030 printer's font covers GBK; the raster path draws with Noto Sans Mono CJK SC, which
covers GBK and much more (rare hanzi, Latin, symbols) but no emoji. A character neither can draw
would print as a box (raster) or as garbage (text mode): it is replaced by text that says what it
was, `[grinning face]`, before layout, so widths are counted on what is printed.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache

import emoji

from hardware.text import sanitize

log = logging.getLogger(__name__)

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
#: Face 7 of the collection is "Noto Sans Mono CJK SC": Simplified Chinese glyph shapes, and
#: half-width Latin half a CJK cell, so column-aligned text stays aligned in the image.
CJK_MONO_SC_FACE = 7
#: Emoji presentation selectors, zero-width joiner and skin tones: they only style what precedes.
_STYLING = {"\ufe0e", "\ufe0f", "\u200d", *(chr(c) for c in range(0x1F3FB, 0x1F400))}


@lru_cache(maxsize=1)
def _font_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # imported late: only the raster check needs it

    try:
        font = TTFont(CJK_FONT, fontNumber=CJK_MONO_SC_FACE, lazy=True)
    except OSError as err:
        log.warning("no CJK font at %s (%s): only GBK characters count as drawable", CJK_FONT, err)
        return frozenset()
    return frozenset(font.getBestCmap())


@lru_cache(maxsize=8192)
def drawable(ch: str) -> bool:
    """True when the printer's font (GBK) or the raster font has a glyph for `ch`."""
    if unicodedata.category(ch) in ("Co", "Cn", "Cs", "Cc"):
        return False  # GB18030 maps private-use code points to user-defined (blank) cells
    return in_gbk(ch) or ord(ch) in _font_cmap()


def _name(chars: str) -> str:
    try:
        return "[" + unicodedata.name(chars).lower() + "]"
    except (ValueError, TypeError):
        return "?"


def _emoji_stand_in(chars: str, data: dict[str, str]) -> str:
    base = "".join(c for c in chars if c not in _STYLING)
    if base and all(drawable(c) for c in base):
        return base  # ★ ♥ © ™ and the like: the fonts have them
    # Without skin tones and presentation selectors: "[thumbs up]", not "[... medium skin tone]".
    core = "".join(c for c in chars if c == "\u200d" or c not in _STYLING)
    name = emoji.demojize(core, delimiters=("[", "]"))
    if emoji.emoji_count(name):  # a sequence the emoji data does not name whole
        name = emoji.demojize(base, delimiters=("[", "]"))
    name = name.replace("\u200d", "").replace("_", " ")
    return name if name != core else _name(base[:1])


def in_gbk(ch: str) -> bool:
    """True when a GBK printer font has `ch` (a one- or two-byte GB18030 code, not private use)."""
    if ch.isascii():
        return ch.isprintable()
    if unicodedata.category(ch) in ("Co", "Cn", "Cs", "Cc"):
        return False
    return len(ch.encode("gb18030")) == 2


def _gbk_stand_in(ch: str) -> str | None:
    """The closest GBK text for a character beyond GBK, or None (ß, û, ¥, 𝐁 → ss, u, ￥, B)."""
    if ch == "\u00a5":
        return "\uffe5"  # ¥ is a 4-byte code that GBK printers garble; ￥ is the one they have
    for form in ("NFKC", "NFKD"):
        near = "".join(
            c
            for c in unicodedata.normalize(form, ch)
            if not unicodedata.category(c).startswith("M")
        )
        if near and near != ch and all(in_gbk(c) for c in near):
            return near
    return _GBK_NEAR.get(ch)


#: Letters and punctuation that have no GBK code nor a decomposition into one.
_GBK_NEAR = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "・": "·",
    "･": "·",
    "‧": "·",
    "〜": "～",
    "€": "EUR",
}


def readable(text: str, gbk: bool = False) -> str:
    """`text` with every character no font can draw replaced by a readable stand-in.

    With `gbk` (a printer's own Chinese font), characters beyond GBK first get their nearest GBK
    spelling (brûlée → brulee) so the receipt can stay in text mode; only those without one (a rare
    hanzi) are kept for the raster font.
    """
    # Emoji first: sanitize drops the zero-width joiners that hold a sequence together.
    text = emoji.replace_emoji(unicodedata.normalize("NFC", text), replace=_emoji_stand_in)
    text = sanitize(text)
    if all(in_gbk(c) for c in text) or (not gbk and all(drawable(c) for c in text)):
        return text
    out = []
    for ch in text:
        if in_gbk(ch) or ch in _STYLING:
            out.append("" if ch in _STYLING else ch)
            continue
        if gbk and (near := _gbk_stand_in(ch)) is not None:
            out.append(near)
            continue
        if drawable(ch):
            out.append(ch)
            continue
        compat = unicodedata.normalize("NFKC", ch)  # 𝐀 → A, ﬁ → fi
        if compat != ch and all(drawable(c) for c in compat):
            out.append(compat)
        elif unicodedata.category(ch).startswith("M"):
            continue  # a combining mark that composed with nothing: drop it, keep the letter
        else:
            out.append(_name(ch))
    return "".join(out)
