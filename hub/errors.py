"""Service errors and how the API turns them into 404 / 409 / 422 responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict


class ServiceError(Exception):
    """Base of the errors services raise for the API to translate."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(ServiceError):
    """The thing asked for does not exist."""

    status_code = 404


class ConflictError(ServiceError):
    """The change clashes with existing data (duplicate code, row still referenced)."""

    status_code = 409


class InvalidInputError(ServiceError):
    """Input that is well-formed but refers to things that do not fit together."""

    status_code = 422


async def _service_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    if isinstance(exc, InvalidInputError):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        loc = ["body", exc.field] if exc.field else ["body"]
        detail: object = [{"loc": loc, "msg": exc.message, "type": "value_error"}]
    else:
        detail = exc.message
    return JSONResponse({"detail": detail}, status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translation of service errors on the app."""
    app.add_exception_handler(ServiceError, _service_error_handler)


class ErrorOut(BaseModel):
    """The body of every 4xx/5xx but 422: what went wrong, in one sentence."""

    detail: str


class ValidationIssue(BaseModel):
    """One refused input: where (``["body", "price_cents"]``), why, and the kind of error."""

    model_config = ConfigDict(extra="allow")  # FastAPI adds input and ctx

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """The body of a 422: FastAPI's own validation errors and the services' alike."""

    detail: list[ValidationIssue]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the body could not be read (not UTF-8, no form)"},
    401: {"model": ErrorOut, "description": "no token, or a malformed, forged or expired one"},
    403: {"model": ErrorOut, "description": "the user's role may not do this"},
    404: {"model": ErrorOut, "description": "the row named in the path does not exist"},
    409: {"model": ErrorOut, "description": "the change clashes with existing data"},
    422: {"model": ValidationErrorOut, "description": "invalid input; nothing was changed"},
    503: {"model": ErrorOut, "description": "the broker or the database is unreachable"},
}
"""The error answers every API route may give, documented once for the whole API."""
