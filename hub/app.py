"""The hub's FastAPI app factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from hub.admin import mount_admin
from hub.admin.member_web import mount_member_web
from hub.api.deps import PUBLIC_API_ROUTES
from hub.api.guards import AuthenticateFirst, RefuseControlCharacters
from hub.api.router import api_router
from hub.api.routes.fleet_ops import metrics_router
from hub.api.routes.member_portal import MEMBER_PREFIX
from hub.crypto import FieldCipher
from hub.db import make_engine
from hub.errors import ERROR_RESPONSES, install_error_handlers
from hub.member_portal.auth import MEMBER_COOKIE
from hub.member_portal.signin import SESSION_PREFIX
from hub.migrate import check_not_newer, current_revision, head_revision, upgrade_to_head
from hub.settings import Settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the hub app; the database is touched only when the app starts."""
    settings = settings or Settings()
    engine = make_engine(settings)
    schema = settings.db_schema

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            upgrade_to_head(engine, schema=schema)
        else:
            current = check_not_newer(engine, schema=schema)
            if current != head_revision():
                log.warning(
                    "database at %s, hub expects %s: run `canteen-hub migrate`",
                    current,
                    head_revision(),
                )
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="canteen-edge hub",
        version="0.1.0",
        description="CRM, menu and fleet API of canteen-edge. Money is integer cents; times UTC.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.cipher = FieldCipher.from_settings(settings)
    install_error_handlers(app)
    # The last added runs first: a token, then text without control characters, then routes.
    app.add_middleware(RefuseControlCharacters)
    app.add_middleware(
        AuthenticateFirst, settings=settings, prefix=API_PREFIX, public=PUBLIC_API_ROUTES,
        member_prefix=MEMBER_PREFIX, member_cookie=MEMBER_COOKIE,
        member_token_prefix=SESSION_PREFIX,
    )

    @app.get("/healthz", tags=["health"], responses={503: ERROR_RESPONSES[503]})
    def healthz(request: Request) -> JSONResponse:
        """Liveness and schema revision; needs no token."""
        try:
            revision = current_revision(request.app.state.engine, schema=schema)
        except SQLAlchemyError as err:
            log.warning("healthz: database unreachable: %s", err)
            return JSONResponse({"status": "error", "detail": "database unreachable"}, 503)
        return JSONResponse({"status": "ok", "schema_revision": revision})

    app.include_router(api_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # Prometheus at /metrics, behind the admin role (hub/fleet/metrics.py).
    app.include_router(metrics_router, responses=ERROR_RESPONSES)
    mount_admin(app, settings, engine)
    mount_member_web(app, settings, engine)  # the member web page at /member (issue 19)
    return app
