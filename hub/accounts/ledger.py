"""The ledger core: lock a member's account row, append immutable entries, move cached balances.

Every operation on a member's money goes through :func:`lock_account` first. It bumps the
row's version with an UPDATE, which takes the row lock on PostgreSQL and the write lock on
SQLite, so two concurrent operations on one member run one after the other and neither
loses the other's update. Then :func:`post` checks every movement, and only when all
pass writes the entries and the new cached balances in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from hub.accounts.errors import InsufficientBalanceError
from hub.errors import NotFoundError
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry, MemberAccount
from hub.models.members import Member
from protocol.ids import new_message_id

log = logging.getLogger(__name__)

BALANCE_COLUMNS: dict[AccountKind, str] = {
    AccountKind.PAID: "paid_cents",
    AccountKind.BONUS: "bonus_cents",
    AccountKind.SUBSIDY: "subsidy_cents",
    AccountKind.POINTS: "points",
}
ACCOUNT_LABELS: dict[AccountKind, tuple[str, str]] = {
    AccountKind.PAID: ("储值余额", "stored value"),
    AccountKind.BONUS: ("赠送余额", "bonus balance"),
    AccountKind.SUBSIDY: ("餐补", "meal subsidy"),
    AccountKind.POINTS: ("积分", "points"),
}


@dataclass(frozen=True, slots=True)
class Movement:
    """One change to one balance (cents, or points for the points account)."""

    account: AccountKind
    kind: EntryKind
    amount: int
    lot_id: int | None = None


@contextmanager
def atomic(session: Session) -> Iterator[None]:
    """Commit what the block wrote, or roll all of it back: a refusal leaves nothing behind."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def new_operation_id() -> str:
    """A time-ordered id grouping the entries of one operation (a receipt number)."""
    return new_message_id()


def balance_of(account: MemberAccount, kind: AccountKind) -> int:
    """The cached balance of one account kind."""
    value: int = getattr(account, BALANCE_COLUMNS[kind])
    return value


def _insert_ignore(session: Session, member_id: int, at: datetime) -> None:
    table = MemberAccount.__table__  # type: ignore[attr-defined]
    values = {"member_id": member_id, "updated_at": at}
    if session.get_bind().dialect.name == "postgresql":
        stmt: sa.Insert = postgresql.insert(table).values(values).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).values(values).on_conflict_do_nothing()
    session.execute(stmt)


def lock_account(session: Session, *, member_id: int, at: datetime) -> MemberAccount:
    """The member's account row, created if missing and locked until the transaction ends."""
    if session.get(Member, member_id) is None:
        raise NotFoundError(f"member {member_id} not found")
    _insert_ignore(session, member_id, at)
    table = MemberAccount.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table).where(table.c.member_id == member_id).values(version=table.c.version + 1)
    )
    account = session.get(MemberAccount, member_id, populate_existing=True)
    assert account is not None  # inserted above
    return account


def lock_accounts(session: Session, *, member_ids: Iterable[int], at: datetime) -> None:
    """Lock several members' account rows (created if missing) in ascending member id order.

    For a transaction that posts for many members (an ingest batch): taking every lock
    first, in one global order, means two such transactions never hold two accounts in
    opposite orders (a deadlock); lock_account afterwards finds the row already ours.
    """
    ids = sorted(set(member_ids))
    table = MemberAccount.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(dialect.insert(table).values(
            [{"member_id": m, "updated_at": at} for m in chunk]).on_conflict_do_nothing())
        session.execute(sa.select(table.c.member_id).where(table.c.member_id.in_(chunk))
                        .order_by(table.c.member_id).with_for_update())


def read_account(session: Session, *, member_id: int) -> MemberAccount:
    """The account row without locking (all zero for a member who never had money)."""
    if session.get(Member, member_id) is None:
        raise NotFoundError(f"member {member_id} not found")
    account = session.get(MemberAccount, member_id)
    return account or MemberAccount(member_id=member_id)


def floor_of(account: MemberAccount, kind: AccountKind, *, overdraft: bool) -> int:
    """The lowest a balance may go: zero, or minus the offline limit for offline paid spending."""
    if kind is AccountKind.PAID and overdraft:
        return -account.offline_limit_cents
    return 0


def post(
    session: Session,
    *,
    account: MemberAccount,
    movements: Sequence[Movement],
    operation_id: str,
    actor: str,
    at: datetime,
    order_id: str | None = None,
    reason: str | None = None,
    overdraft: bool = False,
) -> list[LedgerEntry]:
    """Check every movement, then write the entries and cached balances (no commit)."""
    running = {kind: balance_of(account, kind) for kind in AccountKind}
    stored_before = running[AccountKind.PAID] + running[AccountKind.BONUS]
    planned: list[tuple[Movement, int]] = []
    for move in movements:
        if move.amount == 0:
            continue
        after = running[move.account] + move.amount
        if move.amount < 0 and after < floor_of(account, move.account, overdraft=overdraft):
            raise InsufficientBalanceError(
                account=move.account, available=running[move.account], wanted=-move.amount
            )
        running[move.account] = after
        planned.append((move, after))
    entries = [
        LedgerEntry(
            member_id=account.member_id,
            account=move.account,
            kind=move.kind,
            amount=move.amount,
            balance_after=after,
            lot_id=move.lot_id,
            order_id=order_id,
            operation_id=operation_id,
            reason=reason,
            actor=actor,
            created_at=at,
        )
        for move, after in planned
    ]
    for kind, value in running.items():
        setattr(account, BALANCE_COLUMNS[kind], value)
    account.updated_at = at
    session.add(account)
    session.add_all(entries)
    session.flush()
    stored_after = running[AccountKind.PAID] + running[AccountKind.BONUS]
    if stored_after < stored_before:  # a debit: a low balance may deserve a notice
        from hub.notify.producers import low_balance_after_post

        low_balance_after_post(session, member_id=account.member_id, before=stored_before,
                               after=stored_after, at=at)
    return entries


def sum_of_entries(session: Session, *, member_id: int, account: AccountKind) -> int:
    """The balance recomputed from the ledger (the invariant's other side, and the baseline)."""
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.member_id == member_id, LedgerEntry.account == account
        )
    ).one()
    return int(total)


def list_entries(
    session: Session,
    *,
    member_id: int,
    account: AccountKind | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[LedgerEntry], int]:
    """A page of a member's entries, newest first, and how many there are."""
    if session.get(Member, member_id) is None:
        raise NotFoundError(f"member {member_id} not found")
    stmt = select(LedgerEntry).where(LedgerEntry.member_id == member_id)
    if account is not None:
        stmt = stmt.where(LedgerEntry.account == account)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(LedgerEntry.id).desc()).limit(limit).offset(offset)).all()
    return rows, int(total)
