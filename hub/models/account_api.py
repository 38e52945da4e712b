"""Request and response shapes of the accounts API (no tables here)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from hub.models.accounts import AccountKind, TopUpMethod
from hub.models.bounds import MAX_CENTS


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _reason(value: str) -> str:
    if not value.strip():
        raise ValueError("a reason is required")
    return value.strip()


class TopUpIn(_In):
    """A top-up at the cashier's desk."""

    amount_cents: int = Field(gt=0, le=1_000_000, description="fen, at most ￥10,000")
    method: TopUpMethod
    reference: str | None = Field(default=None, max_length=80)


class AdjustmentIn(_In):
    """A manual correction; the reason is mandatory and kept in the ledger and the audit log."""

    account: AccountKind
    amount: int = Field(
        ge=-MAX_CENTS,
        le=MAX_CENTS,
        description="signed fen (points for the points account), not zero",
    )
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("amount")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment of zero changes nothing")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return _reason(value)


class RefundIn(_In):
    """Refund (part of) the stored value an order spent."""

    order_id: str = Field(min_length=1, max_length=36)
    amount_cents: int | None = Field(
        default=None, gt=0, le=MAX_CENTS, description="default: all that is left"
    )
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return _reason(value)


class OfflineLimitIn(_In):
    """How far a member may spend stored value while the kiosk is offline."""

    offline_limit_cents: int = Field(ge=0, le=1_000_000)


class RedeemIn(_In):
    """Points spent on a gift handed out at the desk."""

    points: int = Field(gt=0, le=10_000_000)
    gift: str = Field(min_length=1, max_length=120)


class RedeemOut(BaseModel):
    """Points left after a redemption."""

    points_left: int


class ResolveIn(_In):
    """How an overdraft was settled."""

    note: str = Field(min_length=1, max_length=200)

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        return _reason(value)


class JobIn(_In):
    """When a scheduled job runs 'now' (default: the hub's clock)."""

    at: AwareDatetime | None = None


class BonusRuleActiveIn(_In):
    """Switch a top-up bonus rule on or off."""

    active: bool


class WalletPublic(BaseModel):
    """What a kiosk needs to price and pay for a member (rules' Member + Wallet inputs)."""

    member_no: str
    tier_code: str
    tier_name_zh: str | None
    tier_name_en: str | None
    member_price: bool
    points_multiplier_pct: int
    subsidy_cents: int
    points_balance: int
    paid_balance_cents: int
    bonus_balance_cents: int
    offline_limit_cents: int
    debt_cents: int
    version: int
    at: datetime
    meal_period: str | None
