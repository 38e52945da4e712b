"""Service errors and how the API turns them into 404 / 409 / 422 responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


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
