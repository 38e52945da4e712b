"""Checks every request passes before any route reads it: a token first, then clean text.

FastAPI reads and decodes a JSON body before it runs any dependency, so without
`AuthenticateFirst` an anonymous caller with malformed JSON learned about the body (422)
before being told to log in (401). The role check stays in `require_role`; this only
refuses a missing, malformed, forged or expired token, the same way `get_current_user` does.

PostgreSQL text cannot hold U+0000 nor a lone surrogate and refused them with an error the
API turned into a 500; SQLite stored them and handed them on to devices and to the XLSX
export, which cannot hold any control character. `RefuseControlCharacters` answers 422
for any of these in the path, the query string, or a JSON or form body, on both backends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.deps import authenticate_token
from hub.settings import Settings

# Characters no text of ours may hold: C0 controls but tab, newline and carriage return,
# DEL, and lone surrogates (not UTF-8 at all). The wire refuses the same (protocol.fields).
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BAD_TEXT_MESSAGE = (
    "text may not contain control characters (U+0000-U+001F but tab, newline and carriage "
    "return; U+007F) or unpaired surrogates"
)


class AuthenticateFirst:
    """Answer 401 for an API request without a valid bearer token, before its body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        prefix: str,
        public: Iterable[tuple[str, str]],
        member_prefix: str | None = None,
        member_cookie: str | None = None,
        member_token_prefix: str | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.prefix = prefix
        self.public = frozenset(public)
        # The member API (hub/api/routes/member_portal.py) takes a member session instead:
        # its own dependency checks it; a staff JWT still gets through to be refused (403).
        self.member_prefix = member_prefix
        self.member_cookie = member_cookie
        self.member_token_prefix = member_token_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on requests outside the API, to public routes, or with a valid token."""
        if (
            scope["type"] != "http"
            or not (scope["path"] + "/").startswith(self.prefix + "/")
            or (scope["method"], scope["path"]) in self.public
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if self._member_session(scope["path"], headers, scheme, token.strip()):
            await self.app(scope, receive, send)
            return
        try:
            authenticate_token(token.strip() if scheme.lower() == "bearer" else None, self.settings)
        except HTTPException as err:
            response = JSONResponse(
                {"detail": err.detail}, status_code=err.status_code, headers=err.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


    def _member_session(self, path: str, headers: Headers, scheme: str, token: str) -> bool:
        """A member-API request that presents a member session (checked by the route)."""
        if self.member_prefix is None or not (path + "/").startswith(self.member_prefix + "/"):
            return False
        if "authorization" in headers:
            return (scheme.lower() == "bearer" and self.member_token_prefix is not None
                    and token.startswith(self.member_token_prefix))
        return self.member_cookie is not None and bool(
            HTTPConnection({"type": "http", "headers": headers.raw}).cookies.get(
                self.member_cookie))


def _has_bad_text(value: Any) -> bool:
    """Whether any string in a decoded JSON value (keys too) holds a refused character."""
    todo = [value]  # a loop, not recursion: nesting depth is the sender's choice
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                return True
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return False


def _pairs_have_bad_text(encoded: str) -> bool:
    pairs = parse_qsl(encoded, keep_blank_values=True, errors="replace")
    return any(_BAD_TEXT.search(k) or _BAD_TEXT.search(v) for k, v in pairs)


def _body_has_bad_text(body: bytes, content_type: str) -> bool:
    if content_type == "application/x-www-form-urlencoded":
        return _pairs_have_bad_text(body.decode("latin-1"))
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep: the route says so
        return False
    return _has_bad_text(decoded)


class RefuseControlCharacters:
    """Answer 422 for a control character or lone surrogate in the path, the query string,
    or a JSON or form body (multipart files are data, not text, and pass)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check path and query at once; buffer a JSON or form body, check it, replay it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where: str | None = None
        if _BAD_TEXT.search(scope["path"]):
            where = "path"
        elif _pairs_have_bad_text(scope.get("query_string", b"").decode("latin-1")):
            where = "query"
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if where is None and (
            content_type == "application/x-www-form-urlencoded"
            or content_type == "application/json"
            or content_type.endswith("+json")
        ):
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            if _body_has_bad_text(body, content_type):
                where = "body"
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = replay
        if where is not None:
            detail = [{"loc": [where], "msg": _BAD_TEXT_MESSAGE, "type": "value_error"}]
            await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)
