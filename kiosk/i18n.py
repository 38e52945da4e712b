"""Kiosk translations: gettext catalogs managed by Babel (same approach as hub/i18n.py).

The catalogs live in ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` and are compiled in
memory the first time a language is used, so the ``.po`` is the only source of truth.
Unlike the hub there is no request: the journey controller holds the language, and
every text the diner may see is a :class:`Text` carrying both languages, so switching
language re-renders without asking the controller again.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).parent / "locale"
Lang = Literal["zh_Hans", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh_Hans", "en")
DEFAULT_LANGUAGE: Lang = "zh_Hans"


def catalog_path(lang: str) -> Path:
    """Where the ``.po`` file of ``lang`` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def get_translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (NullTranslations for an unknown language)."""
    if lang not in LANGUAGES:
        log.warning("no kiosk catalog for %r; texts stay untranslated", lang)
        return NullTranslations()
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy entry is a guess, not a translation
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True, slots=True)
class Text:
    """A text for the diner in Simplified Chinese and English."""

    zh: str
    en: str

    def in_lang(self, lang: str) -> str:
        """The text in ``lang`` (English for anything not Chinese)."""
        return self.zh if lang == "zh_Hans" else self.en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def translate(lang: str, message: str) -> str:
    """``message`` (an English msgid) in ``lang``."""
    return get_translations(lang).gettext(message)


def _(message: str, **params: object) -> Text:
    """Both translations of an English msgid, with ``{name}`` parameters filled in."""
    zh = translate("zh_Hans", message)
    en = translate("en", message)
    if params:
        zh, en = zh.format(**params), en.format(**params)
    return Text(zh, en)


def text_of(zh: str, en: str) -> Text:
    """A Text from data that is already bilingual (catalog names, rules labels)."""
    return Text(zh, en)
