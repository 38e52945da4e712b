"""FastAPI dependencies: settings, database session, current user and the one role check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.models.users import Role, User
from hub.security import InvalidTokenError, TokenClaims, decode_access_token
from hub.settings import Settings

TOKEN_URL = "/api/v1/auth/token"
# The only API routes that answer without a token (every other one needs a role).
# A device claiming its login with a one-time code has no token: the code is the credential
# (protocol.claim.CLAIM_PATH, hub/api/routes/fleet_claim.py).
# A member asking for a sign-in code, or trading it for a session, has no token either
# (hub/api/routes/member_portal.py).
PUBLIC_API_ROUTES = frozenset({
    ("POST", TOKEN_URL),
    ("POST", "/api/v1/fleet/claim"),
    ("POST", "/api/v1/me/sign-in/code"),
    ("POST", "/api/v1/me/sign-in"),
})
# auto_error=False: we answer a missing token ourselves, with the same 401 as a bad one.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_cipher(request: Request) -> FieldCipher:
    """The personal-data cipher of the app."""
    cipher: FieldCipher = request.app.state.cipher
    return cipher


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One session per request; services commit, anything uncommitted is rolled back."""
    with Session(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
CipherDep = Annotated[FieldCipher, Depends(get_cipher)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def authenticate_token(token: str | None, settings: Settings) -> TokenClaims:
    """The claims of a present, well-signed, unexpired token, else 401 (no database look-up)."""
    if not token:
        raise _unauthorised("not authenticated: send Authorization: Bearer <token>")
    try:
        return decode_access_token(token, secret=settings.secret_key.get_secret_value())
    except InvalidTokenError as err:
        raise _unauthorised(f"invalid token: {err}") from err


def get_current_user(session: SessionDep, settings: SettingsDep, token: TokenDep) -> User:
    """The active user named by a valid bearer token, else 401."""
    claims = authenticate_token(token, settings)
    user = session.exec(select(User).where(User.username == claims.username)).first()
    if user is None or not user.active:
        raise _unauthorised("user unknown or disabled")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


class RoleGuard:
    """Admits only users whose current role is one of `roles` (else 403)."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(self, user: CurrentUser) -> User:
        """Check the user's role, read from the database so a demotion takes effect at once."""
        role = Role(user.role)  # the column holds the plain string
        if role not in self.roles:
            names = ", ".join(sorted(r.value for r in self.roles))
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"role {role.value!r} may not do this (needs one of: {names})",
            )
        return user


def require_role(*roles: Role) -> Any:
    """The one permission dependency: put it in a router's or route's `dependencies`."""
    if not roles:
        raise ValueError("require_role needs at least one role")
    return Depends(RoleGuard(frozenset(roles)))


# Who may do what, in one place; routers pass these to require_role.
STAFF = (Role.ADMIN, Role.MANAGER, Role.CASHIER, Role.KITCHEN)
EDITORS = (Role.ADMIN, Role.MANAGER)
MEMBER_DESK = (Role.ADMIN, Role.MANAGER, Role.CASHIER)
SOLD_OUT_SWITCHERS = (Role.ADMIN, Role.MANAGER, Role.KITCHEN)
