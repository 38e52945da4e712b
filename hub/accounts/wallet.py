"""The wallet a kiosk needs for a member, in the shape of the pricing engine's inputs.

The member-cache delta builder calls :func:`member_wallet` and ships the result to the
devices; the kiosk then builds ``rules.order.PricingInputs(member=..., wallet=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from hub.accounts import lots
from hub.accounts.ledger import read_account
from hub.accounts.tiers import benefits
from hub.models.account_rules import TierDefinition
from hub.models.accounts import LotKind
from hub.models.members import Member
from rules.order import Member as RulesMember
from rules.order import Wallet


@dataclass(frozen=True, slots=True)
class MemberWallet:
    """The engine's member (tier benefits) and wallet, plus figures the screen shows."""

    member: RulesMember
    wallet: Wallet
    tier_name_zh: str | None
    tier_name_en: str | None
    debt_cents: int
    version: int


def member_wallet(
    session: Session, *, member_id: int, meal_period: str | None, at: datetime
) -> MemberWallet:
    """Subsidy usable for this meal at `at`, points, paid/bonus balance, offline room, tier."""
    account = read_account(session, member_id=member_id)
    member = session.get(Member, member_id)
    assert member is not None  # read_account checked it
    tier = None
    if account.tier_code is not None:
        tier = session.exec(
            select(TierDefinition).where(TierDefinition.code == account.tier_code)
        ).first()
    subsidy = lots.available(
        session, member_id=member_id, kind=LotKind.SUBSIDY, at=at, meal_period=meal_period
    )
    points = lots.available(session, member_id=member_id, kind=LotKind.POINTS, at=at)
    debt = max(-account.paid_cents, 0)
    wallet = Wallet(
        subsidy_cents=subsidy,
        points_balance=points,
        paid_balance_cents=max(account.paid_cents, 0),
        bonus_balance_cents=account.bonus_cents,
        # A debt from earlier offline spending uses up part of the offline room.
        offline_limit_cents=max(account.offline_limit_cents - debt, 0),
    )
    return MemberWallet(
        member=RulesMember(member.member_no, benefits(tier)),
        wallet=wallet,
        tier_name_zh=None if tier is None else tier.name_zh,
        tier_name_en=None if tier is None else tier.name_en,
        debt_cents=debt,
        version=account.version,
    )
