"""Errors of fleet credential management, as the API translates them."""

from __future__ import annotations

from hub.errors import ConflictError, NotFoundError


class UnknownDevice(NotFoundError):
    """No device with that id (or code)."""


class CredentialConflict(ConflictError):
    """The broker user name is taken, or the device cannot hold credentials now."""
