"""Stored-value liability at a date: what members' paid and bonus balances held at its end.

Read from the ledger: a balance is the sum of its entries (hub.accounts.ledger's own
invariant, ``sum_of_entries``), here summed for every member at once and cut at the end
of the day in STATEMENT_ZONE. The ledger records no site, so the figure is the hub's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from hub.analytics.inputs import STATEMENT_ZONE, DateRange
from hub.models.accounts import AccountKind, LedgerEntry


@dataclass(frozen=True, slots=True)
class Liability:
    """Outstanding stored value at the end of ``day`` (fen), and who holds it."""

    day: date
    paid_cents: int
    bonus_cents: int
    total_cents: int
    members: int
    overdrawn_members: int
    overdrawn_cents: int


def liability_at(session: Session, *, day: date) -> Liability:
    """Every member's paid and bonus balance after the day's last entry, summed."""
    _, hi = DateRange(day, day).utc_bounds(STATEMENT_ZONE)
    found = session.execute(
        sa.select(col(LedgerEntry.member_id), col(LedgerEntry.account),
                  sa.func.sum(LedgerEntry.amount))
        .where(col(LedgerEntry.account).in_([AccountKind.PAID, AccountKind.BONUS]),
               col(LedgerEntry.created_at) < hi)
        .group_by(col(LedgerEntry.member_id), col(LedgerEntry.account))
    )
    balances: dict[int, dict[str, int]] = {}
    for member_id, account, amount in found:
        balances.setdefault(member_id, {})[str(account)] = int(amount or 0)
    paid = sum(b.get(AccountKind.PAID, 0) for b in balances.values())
    bonus = sum(b.get(AccountKind.BONUS, 0) for b in balances.values())
    holders = sum(1 for b in balances.values() if any(b.values()))
    overdrawn = [b[AccountKind.PAID] for b in balances.values() if b.get(AccountKind.PAID, 0) < 0]
    return Liability(day, paid, bonus, paid + bonus, holders, len(overdrawn), -sum(overdrawn))
