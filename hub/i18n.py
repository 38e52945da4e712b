"""Hub translations: gettext catalogs managed by Babel, language negotiation, Jinja2 glue.

The catalogs live in ``hub/locale/<lang>/LC_MESSAGES/hub.po``. They are compiled in memory
(``babel.messages.mofile``) the first time a language is asked for, so the ``.po`` file is
the only source of truth and no stale ``.mo`` can ship. ``hub/locale/README.md`` says how
to extract and update them.

A request's language comes from, in order: ``?lang=``, the ``lang`` cookie, the
``Accept-Language`` header, then :data:`DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

DOMAIN = "hub"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: tuple[str, ...] = ("zh_Hans", "en")
# Canteens are run in China first; a browser asking for English still gets English.
DEFAULT_LANGUAGE = "zh_Hans"
LANG_PARAM = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

_current: ContextVar[str] = ContextVar("hub_language", default=DEFAULT_LANGUAGE)


def normalize_language(code: str | None) -> str | None:
    """Map a tag such as ``zh-CN``, ``zh_Hans`` or ``en-US`` to a supported language, or None."""
    if not code:
        return None
    tag = code.strip().replace("_", "-").lower()
    primary = tag.split("-", 1)[0]
    # Every Chinese variant gets the Simplified catalog: the only Chinese one we have.
    if primary == "zh":
        return "zh_Hans"
    if primary == "en":
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an ``Accept-Language`` header, best first (q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            # -index keeps the header's own order among equal weights
            weighted.append((quality, -index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted, reverse=True)]


def negotiate_language(
    *, query: str | None = None, cookie: str | None = None, accept_language: str | None = None
) -> str:
    """The language to answer in: query parameter, then cookie, then header, then default."""
    for explicit in (query, cookie):
        lang = normalize_language(explicit)
        if lang:
            return lang
    for tag in parse_accept_language(accept_language):
        lang = normalize_language(tag)
        if lang:
            return lang
    return DEFAULT_LANGUAGE


def catalog_path(lang: str) -> Path:
    """Where the ``.po`` file of ``lang`` lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def get_translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (NullTranslations for an unknown language)."""
    if lang not in LANGUAGES:
        logger.warning("no catalog for language %r, falling back to untranslated text", lang)
        return NullTranslations()
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    # use_fuzzy=False: a fuzzy entry is a guess by msgmerge, not a translation.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def get_language() -> str:
    """The language of the current request (or the default outside one)."""
    return _current.get()


def set_language(lang: str) -> None:
    """Make ``lang`` the language of the current context (request)."""
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str) -> str:
    """Translate ``message`` into the current language."""
    return get_translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form into the current language."""
    return get_translations(get_language()).ngettext(singular, plural, n)


class LazyString(LazyProxy):
    """A string translated each time it is used (Babel's LazyProxy, made hashable)."""

    def __hash__(self) -> int:
        # Consistent with LazyProxy's __eq__, which compares the translated value.
        return hash(self.value)


def lazy_gettext(message: str) -> str:
    """A string translated when it is rendered, for labels defined at import time."""
    # enable_cache=False: the same proxy is rendered in many requests, each its own language.
    return LazyString(gettext, message, enable_cache=False)  # type: ignore[return-value]


def translate(lang: str, message: str) -> str:
    """Translate ``message`` into ``lang`` regardless of the current request."""
    return get_translations(lang).gettext(message)


def jinja_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A Jinja2 environment with the i18n extension bound to the current language."""
    env = jinja2.Environment(loader=loader, autoescape=True, extensions=["jinja2.ext.i18n"])
    install_gettext(env)
    return env


def install_gettext(env: jinja2.Environment) -> None:
    """Bind ``_``/``gettext``/``ngettext`` of ``env`` to the current request's language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["get_language"] = get_language
    env.globals["LANGUAGES"] = LANGUAGES


class LanguageMiddleware:
    """ASGI middleware: negotiate the request's language and persist an explicit ``?lang=``."""

    def __init__(
        self,
        app: ASGIApp,
        cookie_path: str = "/",
        also_set: Iterable[Callable[[str], Any]] = (),
    ) -> None:
        self.app = app
        self.cookie_path = cookie_path
        # Other libraries with their own notion of "current locale" (SQLAdmin) follow ours.
        self.also_set = tuple(also_set)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        requested = normalize_language(conn.query_params.get(LANG_PARAM))
        lang = negotiate_language(
            query=requested,
            cookie=conn.cookies.get(LANG_COOKIE),
            accept_language=conn.headers.get("accept-language"),
        )
        set_language(lang)
        for setter in self.also_set:
            setter(lang)

        async def send_with_cookie(message: Message) -> None:
            if requested and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append(
                    "set-cookie",
                    f"{LANG_COOKIE}={lang}; Path={self.cookie_path}; "
                    f"Max-Age={LANG_COOKIE_MAX_AGE}; SameSite=lax",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
