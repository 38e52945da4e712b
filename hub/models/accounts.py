"""Member money: cached balances, the immutable ledger, expiring lots, order postings, overdrafts.

Every balance column of ``member_account`` equals the sum of the ``ledger_entry`` amounts
of that member and account; the hub updates both in one transaction and never edits an
entry. Subsidy and points arrive in lots (a grant, the points of one order) so each lot
can expire on its own date with exactly what is left of it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.db_types import StrEnumType

# Registered with these tables so one import of this module brings the whole money schema.
from hub.models import account_rules, audit  # noqa: F401
from hub.models.audit import BIG_ID
from hub.models.base import created_at_field, utc_field

DEFAULT_OFFLINE_LIMIT_CENTS = 5000


class AccountKind(StrEnum):
    """The four balances a member holds."""

    PAID = "paid"
    BONUS = "bonus"
    SUBSIDY = "subsidy"
    POINTS = "points"


class TopUpMethod(StrEnum):
    """How a top-up was paid: the one list the service, the API and the member desk use."""

    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CARD = "card"
    TRANSFER = "transfer"


class EntryKind(StrEnum):
    """Why a ledger entry was written."""

    TOPUP = "topup"
    TOPUP_BONUS = "topup_bonus"
    SPEND = "spend"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    GRANT = "grant"
    EXPIRY = "expiry"
    EARN = "earn"
    REDEEM = "redeem"


class LotKind(StrEnum):
    """Balances that arrive in lots with their own expiry."""

    SUBSIDY = "subsidy"
    POINTS = "points"


class MemberAccount(SQLModel, table=True):
    """Cached balances of one member; `version` grows with every change (optimistic reads)."""

    __tablename__ = "member_account"
    __table_args__ = (
        sa.CheckConstraint("bonus_cents >= 0", name="bonus_nonneg"),
        sa.CheckConstraint("subsidy_cents >= 0", name="subsidy_nonneg"),
        sa.CheckConstraint("points >= 0", name="points_nonneg"),
        sa.CheckConstraint("offline_limit_cents >= 0", name="limit_nonneg"),
        # The one way a balance may be negative: offline spending within the limit.
        sa.CheckConstraint("paid_cents >= -offline_limit_cents", name="paid_within_limit"),
    )

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    paid_cents: int = 0
    bonus_cents: int = 0
    subsidy_cents: int = 0
    points: int = 0
    offline_limit_cents: int = DEFAULT_OFFLINE_LIMIT_CENTS
    tier_code: str | None = Field(default=None, max_length=32)
    version: int = 0
    updated_at: datetime = created_at_field()


class TopupRequest(SQLModel, table=True):
    """A top-up's idempotency key: the same key for the same member never tops up twice."""

    __tablename__ = "topup_request"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    request_key: str = Field(max_length=64, primary_key=True)
    operation_id: str = Field(max_length=36)
    created_at: datetime = created_at_field()


class LedgerEntry(SQLModel, table=True):
    """One immutable movement on one balance; `balance_after` is that balance after it."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_nonzero"),
        sa.Index("ix_ledger_entry_member_account", "member_id", "account", "id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    member_id: int = Field(foreign_key="member.id")
    account: AccountKind = Field(sa_type=StrEnumType(AccountKind, 16))
    kind: EntryKind = Field(sa_type=StrEnumType(EntryKind, 16))
    amount: int
    balance_after: int
    lot_id: int | None = Field(default=None, foreign_key="ledger_lot.id")
    order_id: str | None = Field(default=None, max_length=36, index=True)
    operation_id: str = Field(max_length=36, index=True)
    reason: str | None = Field(default=None, max_length=200)
    actor: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class LedgerLot(SQLModel, table=True):
    """A subsidy grant or the points of one order: spent first-to-expire, expired as a whole."""

    __tablename__ = "ledger_lot"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "kind", "source_key", name="uq_ledger_lot_source"),
        sa.CheckConstraint("amount > 0", name="amount_pos"),
        sa.CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_range"),
        sa.Index("ix_ledger_lot_open", "kind", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: LotKind = Field(sa_type=StrEnumType(LotKind, 16))
    # Idempotency key: "rule:<id>:<period>" for a grant, "order:<uuid>" for earned points.
    source_key: str = Field(max_length=80)
    meal_period: str | None = Field(default=None, max_length=32)
    amount: int
    remaining: int
    valid_from: datetime = utc_field(nullable=False)
    expires_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class OrderPosting(SQLModel, table=True):
    """The money side of an ingested member order, once per order id (the idempotency key)."""

    __tablename__ = "order_posting"
    __table_args__ = (sa.Index("ix_order_posting_member_placed", "member_id", "placed_at"),)

    order_id: str = Field(primary_key=True, max_length=36)
    member_id: int = Field(foreign_key="member.id")
    total_cents: int = Field(ge=0)
    payments: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    offline: bool = False
    points_earned: int = 0
    placed_at: datetime = utc_field(nullable=False)
    posted_at: datetime = created_at_field()


class OverdraftStatus(StrEnum):
    """Follow-up state of an overdraft."""

    OPEN = "open"
    RESOLVED = "resolved"


class OverdraftFlag(SQLModel, table=True):
    """Money an order spent that the member's balances and offline limit did not cover."""

    __tablename__ = "overdraft_flag"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    order_id: str = Field(max_length=36, unique=True)
    requested_cents: int = Field(ge=0)
    uncollected_cents: int = Field(ge=0)
    # What each source could not cover: {"subsidy": fen, "points": points, "stored_value": fen}
    shortfall: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    offline: bool = False
    placed_at: datetime = utc_field(nullable=False)
    status: OverdraftStatus = Field(default=OverdraftStatus.OPEN,
                                   sa_type=StrEnumType(OverdraftStatus, 16), index=True)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = utc_field()
    resolution_note: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()


class BalancesPublic(SQLModel):
    """A member's balances as the API shows them."""

    member_id: int
    member_no: str
    name: str
    paid_cents: int
    bonus_cents: int
    subsidy_cents: int
    points: int
    offline_limit_cents: int
    tier_code: str | None
    version: int


class LedgerEntryPublic(SQLModel):
    """One ledger entry as the API shows it."""

    id: int
    account: AccountKind
    kind: EntryKind
    amount: int
    balance_after: int
    order_id: str | None
    operation_id: str
    reason: str | None
    actor: str
    created_at: datetime


class OverdraftPublic(SQLModel):
    """An overdraft flag as the API shows it."""

    id: int
    member_id: int
    order_id: str
    requested_cents: int
    uncollected_cents: int
    shortfall: dict[str, int]
    offline: bool
    placed_at: datetime
    status: OverdraftStatus
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None
    created_at: datetime
