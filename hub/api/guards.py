"""Checks every request passes before any route reads it: a token first, then no NUL bytes.

FastAPI reads and decodes a JSON body before it runs any dependency, so without
`AuthenticateFirst` an anonymous caller with malformed JSON learned about the body (422)
before being told to log in (401). The role check stays in `require_role`; this only
refuses a missing, malformed, forged or expired token, the same way `get_current_user` does.

PostgreSQL text cannot hold U+0000 and refuses it with an error the API turned into a 500;
SQLite stores it and hands it on to devices. `RefuseNul` answers 422 for a NUL in the
path, the query string, or a JSON or form body, on both backends alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.deps import authenticate_token
from hub.settings import Settings

# A JSON string escape for U+0000 that is not itself an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_MESSAGE = "text may not contain the NUL character (U+0000)"


class AuthenticateFirst:
    """Answer 401 for an API request without a valid bearer token, before its body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        prefix: str,
        public: Iterable[tuple[str, str]],
    ) -> None:
        self.app = app
        self.settings = settings
        self.prefix = prefix
        self.public = frozenset(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass on requests outside the API, to public routes, or with a valid token."""
        if (
            scope["type"] != "http"
            or not (scope["path"] + "/").startswith(self.prefix + "/")
            or (scope["method"], scope["path"]) in self.public
        ):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        try:
            authenticate_token(token.strip() if scheme.lower() == "bearer" else None, self.settings)
        except HTTPException as err:
            response = JSONResponse(
                {"detail": err.detail}, status_code=err.status_code, headers=err.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _body_has_nul(body: bytes, content_type: str) -> bool:
    if b"\x00" in body:
        return True
    if content_type == "application/x-www-form-urlencoded":
        return b"%00" in body
    return bool(_JSON_NUL.search(body))


class RefuseNul:
    """Answer 422 for a NUL character in the path, the query string, or a JSON/form body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check path and query at once; buffer a JSON or form body, check it, replay it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where: str | None = None
        if "\x00" in scope["path"]:
            where = "path"
        elif b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
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
            if _body_has_nul(body, content_type):
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
            detail = [{"loc": [where], "msg": _NUL_MESSAGE, "type": "value_error"}]
            await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)
