"""The SQLAdmin application of the hub: our templates, our catalogs, our dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import sqladmin.i18n as sqladmin_i18n
from sqladmin import Admin
from sqladmin.authentication import login_required
from sqladmin.i18n import I18nConfig
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from hub import i18n
from hub.admin.dashboard import dashboard_counts

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}
"""Each language in its own name, as language switches show them."""


def register_catalogs() -> None:
    """Make SQLAdmin translate with the hub's catalogs (they include SQLAdmin's strings).

    SQLAdmin 0.32 ships no Chinese and offers no hook to add a locale; its registry is
    the module-level ``translations`` dict that ``set_locale`` and its own ``gettext``
    read (e.g. to recognise the translated "Save" button). Idempotent.
    """
    for lang in i18n.LANGUAGES:
        sqladmin_i18n.translations[lang] = i18n.get_translations(lang)
        if lang not in sqladmin_i18n.SUPPORTED_LOCALES:
            sqladmin_i18n.SUPPORTED_LOCALES.append(lang)


class HubAdmin(Admin):
    """SQLAdmin with the hub's dashboard as its index page and the hub's language switch."""

    def init_templating_engine(self) -> Any:
        """SQLAdmin's templates, translated by the hub's catalogs, with a 中文/English switch."""
        templates = super().init_templating_engine()
        env = templates.env
        i18n.install_gettext(env)
        # Our own switch replaces SQLAdmin's dropdown (see templates/sqladmin/layout.html);
        # the config only feeds SQLAdmin's templates that still read it.
        env.globals["i18n_config"] = I18nConfig(
            default_locale=i18n.DEFAULT_LANGUAGE,
            language_cookie_name=i18n.LANG_COOKIE,
            language_switcher=list(i18n.LANGUAGES),
        )
        env.globals["get_locale"] = i18n.get_language
        env.globals["get_locale_display_name"] = LANGUAGE_NAMES.get
        env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
        return templates

    @login_required
    async def index(self, request: Request) -> Response:
        """The dashboard: counts of dishes, members, sites, devices and today's orders."""
        engine = self.engine
        if not isinstance(engine, Engine):  # mount_admin always passes the hub's sync engine
            raise TypeError("the hub admin needs a synchronous SQLAlchemy engine")
        counts = await anyio.to_thread.run_sync(lambda: dashboard_counts(engine))
        return await self.templates.TemplateResponse(
            request, "admin/dashboard.html", {"counts": counts}
        )
