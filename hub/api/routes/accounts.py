"""/accounts (balances, ledger, wallet, top-up, adjustments), /refunds, /overdrafts, /audit.

Cashiers top up and look up; managers and admins refund, adjust and follow up overdrafts;
only admins read the audit log. The rule routers (subsidies, tiers, bonuses, jobs) live in
``account_rules`` and are included here, so the hub's router needs one line for all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from sqlmodel import Session

from hub.accounts import audit, ledger, points, reconcile, refunds, stored_value, tiers, wallet
from hub.accounts.receipts import Receipt
from hub.api.deps import EDITORS, MEMBER_DESK, CurrentUser, SessionDep, require_role
from hub.api.pagination import Page, PageDep
from hub.api.params import IdPath, IdQuery
from hub.api.routes import account_rules
from hub.db_types import utcnow
from hub.models.account_api import (
    AdjustmentIn,
    OfflineLimitIn,
    RedeemIn,
    RedeemOut,
    RefundIn,
    ResolveIn,
    TopUpIn,
    WalletPublic,
)
from hub.models.account_rules import TierChangePublic
from hub.models.accounts import (
    AccountKind,
    BalancesPublic,
    LedgerEntryPublic,
    OverdraftPublic,
    OverdraftStatus,
)
from hub.models.audit import AuditLogPublic
from hub.models.members import Member
from hub.models.users import Role

router = APIRouter()
desk = APIRouter(prefix="/accounts", tags=["accounts"], dependencies=[require_role(*MEMBER_DESK)])
editors = [require_role(*EDITORS)]
money = APIRouter(tags=["accounts"], dependencies=editors)
admin = APIRouter(prefix="/audit", tags=["audit"], dependencies=[require_role(Role.ADMIN)])


def _balances(session: Session, member_id: int) -> BalancesPublic:
    account = ledger.read_account(session, member_id=member_id)
    member = session.get(Member, member_id)
    assert member is not None  # read_account checked it
    return BalancesPublic(
        member_id=member_id, member_no=member.member_no, name=member.name,
        paid_cents=account.paid_cents, bonus_cents=account.bonus_cents,
        subsidy_cents=account.subsidy_cents, points=account.points,
        offline_limit_cents=account.offline_limit_cents, tier_code=account.tier_code,
        version=account.version,
    )


@desk.get("/{member_id}", response_model=BalancesPublic)
def get_balances(session: SessionDep, member_id: IdPath) -> BalancesPublic:
    """A member's cached balances, tier and offline limit."""
    return _balances(session, member_id)


@desk.get("/{member_id}/entries", response_model=Page[LedgerEntryPublic])
def list_entries(
    session: SessionDep, page: PageDep, member_id: IdPath, account: AccountKind | None = None
) -> Page[LedgerEntryPublic]:
    """A page of the member's ledger, newest first."""
    rows, total = ledger.list_entries(
        session, member_id=member_id, account=account, limit=page.limit, offset=page.offset
    )
    items = [LedgerEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@desk.get("/{member_id}/wallet", response_model=WalletPublic)
def get_wallet(
    session: SessionDep,
    member_id: IdPath,
    meal_period: Annotated[str | None, Query(max_length=32)] = None,
    at: datetime | None = None,
) -> WalletPublic:
    """What a kiosk would see for this member at this meal (the pricing engine's inputs)."""
    when = at or utcnow()
    w = wallet.member_wallet(session, member_id=member_id, meal_period=meal_period, at=when)
    return WalletPublic(
        member_no=w.member.member_id, tier_code=w.member.tier.code, tier_name_zh=w.tier_name_zh,
        tier_name_en=w.tier_name_en, member_price=w.member.tier.member_price,
        points_multiplier_pct=w.member.tier.points_multiplier_pct,
        subsidy_cents=w.wallet.subsidy_cents, points_balance=w.wallet.points_balance,
        paid_balance_cents=w.wallet.paid_balance_cents,
        bonus_balance_cents=w.wallet.bonus_balance_cents,
        offline_limit_cents=w.wallet.offline_limit_cents, debt_cents=w.debt_cents,
        version=w.version, at=when, meal_period=meal_period,
    )


@desk.post("/{member_id}/top-ups", response_model=Receipt, status_code=status.HTTP_201_CREATED)
def top_up(session: SessionDep, user: CurrentUser, member_id: IdPath, data: TopUpIn,
           idempotency_key: Annotated[str | None, Header(max_length=64)] = None) -> Receipt:
    """Top up at the desk; the same ``Idempotency-Key`` again returns the first receipt."""
    return stored_value.top_up(
        session, member_id=member_id, amount_cents=data.amount_cents, method=data.method,
        reference=data.reference, actor=user.username, at=utcnow(),
        request_key=idempotency_key,
    )


@desk.post("/{member_id}/points/redemptions", response_model=RedeemOut)
def redeem(session: SessionDep, user: CurrentUser, member_id: IdPath, data: RedeemIn) -> RedeemOut:
    """Spend points on a gift."""
    left = points.redeem_gift(
        session, member_id=member_id, points=data.points, gift=data.gift, actor=user.username,
        at=utcnow(),
    )
    return RedeemOut(points_left=left)


@desk.get("/{member_id}/tier-history", response_model=Page[TierChangePublic])
def tier_history(session: SessionDep, page: PageDep, member_id: IdPath) -> Page[TierChangePublic]:
    """A member's tier changes, newest first."""
    ledger.read_account(session, member_id=member_id)  # 404 for an unknown member
    rows, total = tiers.tier_history(
        session, member_id=member_id, limit=page.limit, offset=page.offset
    )
    items = [TierChangePublic.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@desk.post("/{member_id}/adjustments", response_model=BalancesPublic, dependencies=editors)
def adjust(
    session: SessionDep, user: CurrentUser, member_id: IdPath, data: AdjustmentIn
) -> BalancesPublic:
    """Correct a balance, with a reason (managers and admins)."""
    stored_value.adjust(
        session, member_id=member_id, account_kind=data.account, amount=data.amount,
        reason=data.reason, actor=user.username, at=utcnow(),
    )
    return _balances(session, member_id)


@desk.put("/{member_id}/offline-limit", response_model=BalancesPublic, dependencies=editors)
def set_offline_limit(
    session: SessionDep, user: CurrentUser, member_id: IdPath, data: OfflineLimitIn
) -> BalancesPublic:
    """Set how far the member may spend offline (managers and admins)."""
    stored_value.set_offline_limit(
        session, member_id=member_id, limit_cents=data.offline_limit_cents,
        actor=user.username, at=utcnow(),
    )
    return _balances(session, member_id)


@money.post("/refunds", response_model=Receipt, status_code=status.HTTP_201_CREATED)
def refund(session: SessionDep, user: CurrentUser, data: RefundIn) -> Receipt:
    """Refund stored value an order spent."""
    return refunds.refund_order(
        session, order_id=data.order_id, amount_cents=data.amount_cents, reason=data.reason,
        actor=user.username, at=utcnow(),
    )


@money.get("/overdrafts", response_model=Page[OverdraftPublic])
def list_overdrafts(
    session: SessionDep, page: PageDep, status: OverdraftStatus | None = OverdraftStatus.OPEN
) -> Page[OverdraftPublic]:
    """Orders whose money the balances did not cover (open ones by default)."""
    rows, total = reconcile.list_overdrafts(
        session, status=status, limit=page.limit, offset=page.offset
    )
    items = [OverdraftPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@money.post("/overdrafts/{flag_id}/resolve", response_model=OverdraftPublic)
def resolve_overdraft(
    session: SessionDep, user: CurrentUser, flag_id: IdPath, data: ResolveIn
) -> OverdraftPublic:
    """Close an overdraft with how it was settled."""
    flag = reconcile.resolve_overdraft(
        session, flag_id=flag_id, note=data.note, actor=user.username, at=utcnow()
    )
    return OverdraftPublic.model_validate(flag, from_attributes=True)


@admin.get("", response_model=Page[AuditLogPublic])
def list_audit(
    session: SessionDep,
    page: PageDep,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    member_id: IdQuery = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[AuditLogPublic]:
    """The audit log, newest first (admins)."""
    rows, total = audit.list_audit(
        session, entity=entity, member_id=member_id, actor=actor, limit=page.limit,
        offset=page.offset,
    )
    items = [AuditLogPublic.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


router.include_router(desk)
router.include_router(money)
router.include_router(admin)
router.include_router(account_rules.router)
