"""Who is asking on the member API and pages: a member session, never a staff token.

A member session travels either as the ``canteen_member`` cookie (HttpOnly, SameSite=Strict;
the pages) or as ``Authorization: Bearer mps_...`` (an app). A staff JWT is refused (403)
on every member route. A write authenticated by the cookie must also carry the session's
synchronizer token (``X-CSRF-Token`` header, or the ``csrf`` form field on the pages).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from sqlmodel import Session

from hub.db_types import utcnow
from hub.member_portal.signin import SESSION_PREFIX, csrf_token, session_member
from hub.security import InvalidTokenError, decode_access_token
from hub.settings import Settings

MEMBER_COOKIE = "canteen_member"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class MemberAuth:
    """A live member session: whose, its token, and whether it came as the cookie."""

    member_id: int
    token: str
    via_cookie: bool
    csrf: str


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def presented_token(request: Request, settings: Settings) -> tuple[str, bool]:
    """The member token of the request and whether it is the cookie; 401/403 otherwise."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorised("send Authorization: Bearer <member token>, or sign in")
        if token.startswith(SESSION_PREFIX):
            return token, False
        try:
            decode_access_token(token, secret=settings.secret_key.get_secret_value())
        except InvalidTokenError as err:
            raise _unauthorised(f"invalid token: {err}") from err
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            detail="staff tokens are not accepted on the member API: "
                                   "sign in as a member")
    cookie = request.cookies.get(MEMBER_COOKIE)
    if not cookie:
        raise _unauthorised("not signed in: ask for a sign-in code")
    return cookie, True


def authenticate_member(request: Request, session: Session, settings: Settings,
                        *, form_csrf: str | None = None) -> MemberAuth:
    """The member of a live session, CSRF checked for cookie writes; else 401/403."""
    token, via_cookie = presented_token(request, settings)
    row = session_member(session, token=token, now=utcnow())
    if row is None:
        raise _unauthorised("the session has expired or ended: sign in again")
    secret = settings.secret_key.get_secret_value()
    expected = csrf_token(secret, token)
    if via_cookie and request.method not in SAFE_METHODS:
        sent = form_csrf if form_csrf is not None else request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"missing or wrong CSRF token (send {CSRF_HEADER})")
    return MemberAuth(member_id=row.member_id, token=token, via_cookie=via_cookie,
                      csrf=expected)
