"""The hub's admin web shell (SQLAdmin at /admin): login, dashboard, catalogue pages."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.middleware import Middleware

from hub import i18n
from hub.admin.auth import AdminAuth
from hub.admin.catalog_views import CATALOG_NAME_VIEWS
from hub.admin.console_views import register_console_views
from hub.admin.crm_campaign_views import register_crm_campaign_views
from hub.admin.crm_cases_views import register_crm_cases_views
from hub.admin.crm_member_views import register_crm_people_views
from hub.admin.dashboard_views import DASHBOARD_VIEWS
from hub.admin.fleet_views import register_fleet_views
from hub.admin.member_desk import register_member_desk
from hub.admin.notify_views import register_notify_views
from hub.admin.shell import TEMPLATES_DIR, HubAdmin, register_catalogs
from hub.admin.supply_forecast_views import register_supply_forecast_views
from hub.admin.supply_views import register_supply_views
from hub.admin.surveys_views import register_surveys_views
from hub.admin.sync_views import register_sync_views
from hub.admin.views import ALL_VIEWS
from hub.crypto import FieldCipher
from hub.settings import Settings

logger = logging.getLogger(__name__)

ADMIN_PATH = "/admin"

__all__ = ["ADMIN_PATH", "mount_admin"]


def mount_admin(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Mount the admin shell on ``app`` at /admin; connects to nothing until a request."""
    import sqladmin.i18n as sqladmin_i18n

    register_catalogs()
    auth = AdminAuth(secret_key=settings.secret_key.get_secret_value(), engine=engine)
    admin = HubAdmin(
        app,
        engine,
        base_url=ADMIN_PATH,
        title=i18n.lazy_gettext("Canteen hub admin"),
        templates_dir=str(TEMPLATES_DIR),
        authentication_backend=auth,
        # Outermost: sets the language before SQLAdmin's session and routes run.
        middlewares=[
            Middleware(
                i18n.LanguageMiddleware,
                cookie_path="/",
                also_set=(sqladmin_i18n.set_locale,),
            )
        ],
    )
    auth.templates = admin.templates
    app.state.admin_shell = admin
    for view in (*ALL_VIEWS, *CATALOG_NAME_VIEWS):
        admin.add_view(view)
    for page in DASHBOARD_VIEWS:  # first in the Operations menu: where a manager starts
        admin.add_view(page)
    register_console_views(admin)
    register_crm_people_views(admin, FieldCipher.from_settings(settings))  # people (issue 13)
    register_crm_cases_views(admin)  # complaints, staff performance (issue 13)
    register_crm_campaign_views(admin)  # campaigns, automations (issue 13)
    register_notify_views(admin)  # notification outbox and delivery log (issue 19)
    register_surveys_views(admin)  # dish votes and short surveys (issue 19)
    register_fleet_views(admin, settings)
    register_supply_views(admin, settings)  # stock, recipes, purchasing (issue 17)
    register_supply_forecast_views(admin)  # forecast vs actual, pre-bookings (issue 17)
    register_sync_views(admin)  # before the desk, which hides categories a cashier cannot use
    register_member_desk(admin, settings)
    logger.info("admin shell mounted at %s", ADMIN_PATH)
