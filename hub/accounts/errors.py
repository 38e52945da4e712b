"""Refusals of the accounts services, translated to HTTP by hub.errors' handler."""

from __future__ import annotations

from hub.errors import ConflictError
from hub.models.accounts import AccountKind
from rules.money import format_cents


class InsufficientBalanceError(ConflictError):
    """A movement would take a balance below what is allowed (409; nothing written)."""

    def __init__(self, *, account: AccountKind, available: int, wanted: int) -> None:
        self.account = account
        self.available = available
        self.wanted = wanted
        if account is AccountKind.POINTS:
            have, need = f"{available} points", f"{wanted} points"
        else:
            have, need = format_cents(available), format_cents(wanted)
        super().__init__(f"insufficient {account.value} balance: {have} available, {need} needed")


class OrderPostingConflict(ConflictError):
    """An order id already posted with different payments (a device bug, never overwritten)."""
