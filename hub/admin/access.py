"""Who sees what in the admin shell: admins and managers everything, cashiers the member desk."""

from __future__ import annotations

from typing import Any

from sqladmin.authorization import AuthorizationBackend
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.models.users import Role

SHELL_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CASHIER})
"""Roles that may sign in to the admin shell (kitchens and devices use their own screens)."""

FULL_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
"""Roles that see every page of the shell."""

DESK_IDENTITY = "member-desk"
"""The member desk's identity in SQLAdmin (its menu entry and permission name)."""

EDITOR_ACTIONS = frozenset({"adjust"})
"""Member desk actions only admins and managers may take (as the API's EDITORS)."""


def user_role(request: Request) -> Role | None:
    """The role of the user the authentication backend put on the request, if any."""
    user = getattr(request.state, "admin_user", None)
    return None if user is None else Role(user.role)


class ShellAuthorization(AuthorizationBackend):
    """SQLAdmin's permission hook: a cashier may open the member desk and nothing else."""

    def has_permission(
        self, request: Request, identity: str, action: str, obj: Any | None = None
    ) -> bool:
        """Admins and managers may do anything; cashiers only the desk's cashier actions."""
        role = user_role(request)
        if role in FULL_ROLES:
            return True
        if role is Role.CASHIER:
            return identity == DESK_IDENTITY and action not in EDITOR_ACTIONS
        return False


def desk_home_redirect(request: Request, role: Role) -> Response | None:
    """Send a cashier who opens the dashboard (the page after login) to the member desk."""
    if role in FULL_ROLES:
        return None
    if request.url.path.rstrip("/") == request.url_for("admin:index").path.rstrip("/"):
        return RedirectResponse(request.url_for(f"admin:view-{DESK_IDENTITY}"), status_code=302)
    return None
