"""Login to the admin shell: the hub's own users and argon2 check; admin, manager, cashier."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette import status
from starlette.requests import Request
from starlette.responses import Response

from hub.admin.access import SHELL_ROLES, desk_home_redirect
from hub.i18n import gettext
from hub.i18n import lazy_gettext as _l
from hub.models.users import Role, User
from hub.services.users import authenticate

logger = logging.getLogger(__name__)

ADMIN_ROLES = SHELL_ROLES
"""Roles that may sign in; hub.admin.access limits a cashier to the member desk."""

ROLE_LABELS = {
    Role.ADMIN: _l("administrator"),
    Role.MANAGER: _l("manager"),
    Role.CASHIER: _l("cashier"),
    Role.KITCHEN: _l("kitchen"),
    Role.DEVICE: _l("device"),
}
"""Role names as people read them, in the page language."""

SESSION_COOKIE = "canteen_admin"
SESSION_MAX_AGE = 8 * 3600  # one working shift


class AdminAuth(AuthenticationBackend):
    """Session login for the admin shell; the session cookie is signed with the hub secret."""

    def __init__(self, *, secret_key: str, engine: Engine, https_only: bool = False) -> None:
        super().__init__(
            secret_key=secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=https_only,
        )
        self.engine = engine
        # Set by mount_admin once SQLAdmin has built its templates (used for refusals).
        self.templates: Jinja2Templates | None = None

    async def login(self, request: Request) -> Response | bool:
        """Check username and password with the hub's argon2 helper, then the role."""
        form = await request.form()
        username = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        if not username or not password:
            return False
        user = await anyio.to_thread.run_sync(self._authenticate, username, password)
        if user is None:
            logger.info("admin login refused for %r: bad credentials", username)
            return False
        if Role(user.role) not in ADMIN_ROLES:
            logger.info("admin login refused for %r: role %s", username, user.role)
            return await self._refuse(
                request,
                gettext("Your role (%(role)s) may not use the admin pages. Ask an administrator.")
                % {"role": ROLE_LABELS[Role(user.role)]},
            )
        # A fresh session on login: nothing from before the login survives (fixation).
        request.session.clear()
        request.session.update({"user_id": user.id, "username": user.username})
        return True

    async def logout(self, request: Request) -> Response | bool:
        """Forget the session."""
        request.session.clear()
        return False  # SQLAdmin then redirects to the login page

    async def authenticate(self, request: Request) -> Response | bool:
        """True while the session names a user who is still active with an admin role."""
        user_id = request.session.get("user_id")
        if not isinstance(user_id, int):
            return False
        # Looked up on every request, so deactivating or demoting a user takes effect at once.
        user = await anyio.to_thread.run_sync(self._load, user_id)
        if user is None or not user.active or Role(user.role) not in ADMIN_ROLES:
            request.session.clear()
            return False
        request.state.admin_user = user
        return desk_home_redirect(request, Role(user.role)) or True

    async def _refuse(self, request: Request, message: str) -> Response:
        if self.templates is None:  # mount_admin always sets it; stay safe if not
            return Response(message, status_code=status.HTTP_403_FORBIDDEN)
        return await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": message}, status_code=403
        )

    def _authenticate(self, username: str, password: str) -> User | None:
        with Session(self.engine) as session:
            return authenticate(session=session, username=username, password=password)

    def _load(self, user_id: int) -> Any:
        with Session(self.engine) as session:
            user = session.get(User, user_id)
            if user is not None:
                session.expunge(user)
            return user
