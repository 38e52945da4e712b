"""Stored value at the counter: top-up (with bonus), order refund, adjustment, offline limit."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from hub.accounts import points as points_svc
from hub.accounts.audit import record_audit
from hub.accounts.ledger import (
    Movement,
    atomic,
    lock_account,
    new_operation_id,
    post,
)
from hub.accounts.receipts import Receipt, build_receipt, receipt_line
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.account_rules import TopupBonusRule
from hub.models.accounts import (
    AccountKind,
    EntryKind,
    LedgerEntry,
    MemberAccount,
    TopUpMethod,
    TopupRequest,
)
from hub.models.members import Member
from rules.money import format_cents, percent_of

log = logging.getLogger(__name__)

MAX_TOPUP_CENTS = 1_000_000  # ￥10,000 in one go: more is a typing slip, not a top-up
MAX_ADJUST = 1_000_000
MAX_REQUEST_KEY = 64
TOPUP_METHODS: tuple[str, ...] = tuple(m.value for m in TopUpMethod)


def snapshot(account: MemberAccount) -> dict[str, Any]:
    """The balances of an account, for the audit log's before/after."""
    return {
        "paid_cents": account.paid_cents,
        "bonus_cents": account.bonus_cents,
        "subsidy_cents": account.subsidy_cents,
        "points": account.points,
        "offline_limit_cents": account.offline_limit_cents,
    }


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    return member


def bonus_for(session: Session, *, amount_cents: int) -> tuple[int, TopupBonusRule | None]:
    """The bonus of the best active rule this top-up reaches (rules never stack)."""
    rules = session.exec(
        select(TopupBonusRule).where(
            col(TopupBonusRule.active).is_(True), TopupBonusRule.min_topup_cents <= amount_cents
        )
    ).all()
    best: tuple[int, TopupBonusRule | None] = (0, None)
    for rule in sorted(rules, key=lambda r: r.code):
        bonus = rule.bonus_cents + percent_of(amount_cents, rule.bonus_bp)
        if bonus > best[0]:
            best = (bonus, rule)
    return best


def top_up(
    session: Session,
    *,
    member_id: int,
    amount_cents: int,
    method: str,
    actor: str,
    at: datetime,
    reference: str | None = None,
    request_key: str | None = None,
) -> Receipt:
    """Credit paid balance (and the bonus balance per the best bonus rule); commits.

    ``request_key`` (unique per member: a form's one-time key, an Idempotency-Key header)
    makes a repeated request return the first top-up's receipt and write nothing.
    """
    if request_key is not None and not 0 < len(request_key) <= MAX_REQUEST_KEY:
        raise InvalidInputError(
            f"request key must be 1-{MAX_REQUEST_KEY} characters", field="request_key"
        )
    if not 0 < amount_cents <= MAX_TOPUP_CENTS:
        raise InvalidInputError(
            f"top-up must be between ￥0.01 and {format_cents(MAX_TOPUP_CENTS)}",
            field="amount_cents",
        )
    if method not in TOPUP_METHODS:
        raise InvalidInputError(
            f"unknown payment method {method!r} (one of {', '.join(TOPUP_METHODS)})",
            field="method",
        )
    with atomic(session):
        member = _member(session, member_id)
        if not member.active:
            raise ConflictError(f"member {member.member_no} is deactivated: no top-up")
        bonus, rule = bonus_for(session, amount_cents=amount_cents)
        account = lock_account(session, member_id=member_id, at=at)
        if request_key is not None:
            # The account row lock serialises two posts of the same key; the primary key
            # (member_id, request_key) refuses a second row should anything slip past.
            done = session.get(TopupRequest, (member_id, request_key))
            if done is not None:
                log.info("top-up member=%s key=%s repeated: op %s", member_id, request_key,
                         done.operation_id)
                return topup_receipt_of(session, member=member, operation_id=done.operation_id)
        before = snapshot(account)
        op = new_operation_id()
        if request_key is not None:
            session.add(TopupRequest(member_id=member_id, request_key=request_key,
                                     operation_id=op, created_at=at))
        moves = [Movement(AccountKind.PAID, EntryKind.TOPUP, amount_cents)]
        if bonus:
            moves.append(Movement(AccountKind.BONUS, EntryKind.TOPUP_BONUS, bonus))
        reason = method if reference is None else f"{method} {reference}"
        if rule is not None:
            reason = f"{reason}; bonus rule {rule.code}"
        post(session, account=account, movements=moves, operation_id=op, actor=actor, at=at,
             reason=reason[:200])
        record_audit(session, actor=actor, action="topup", entity="member_account",
                     entity_id=member_id, member_id=member_id, at=at, before=before,
                     after=snapshot(account), note=f"{op} {reason}"[:200])
        lines = [receipt_line("充值", "Top-up", amount_cents)]
        if bonus:
            lines.append(receipt_line("赠送", "Bonus", bonus))
        receipt = build_receipt(
            receipt_no=op, title=("充值凭条", "Top-up receipt"), member_id=member_id,
            member_no=member.member_no, member_name=member.name, at=at, actor=actor, lines=lines,
            paid_balance_cents=account.paid_cents, bonus_balance_cents=account.bonus_cents,
        )
    log.info("top-up member=%s amount=%s bonus=%s op=%s", member_id, amount_cents, bonus, op)
    return receipt


def topup_receipt_of(session: Session, *, member: Member, operation_id: str) -> Receipt:
    """The receipt of an earlier top-up, rebuilt from its ledger entries."""
    entries = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.member_id == member.id, LedgerEntry.operation_id == operation_id
        )
    ).all()
    paid = next(e for e in entries if e.kind == EntryKind.TOPUP)
    bonus = next((e for e in entries if e.kind == EntryKind.TOPUP_BONUS), None)
    lines = [receipt_line("充值", "Top-up", paid.amount)]
    if bonus is not None:
        lines.append(receipt_line("赠送", "Bonus", bonus.amount))
    account = session.get(MemberAccount, member.id)
    assert account is not None and member.id is not None
    return build_receipt(
        receipt_no=operation_id, title=("充值凭条", "Top-up receipt"), member_id=member.id,
        member_no=member.member_no, member_name=member.name, at=paid.created_at,
        actor=paid.actor, lines=lines, paid_balance_cents=paid.balance_after,
        bonus_balance_cents=bonus.balance_after if bonus is not None else account.bonus_cents,
    )


def adjust(
    session: Session,
    *,
    member_id: int,
    account_kind: AccountKind,
    amount: int,
    reason: str,
    actor: str,
    at: datetime,
) -> MemberAccount:
    """A manual correction of paid, bonus or points, with a mandatory reason; commits."""
    if not reason.strip():
        raise InvalidInputError("an adjustment needs a reason", field="reason")
    if amount == 0 or abs(amount) > MAX_ADJUST:
        raise InvalidInputError(
            f"adjustment must be non-zero and at most {MAX_ADJUST} in size", field="amount"
        )
    if account_kind is AccountKind.SUBSIDY:
        raise InvalidInputError(
            "subsidy changes only through subsidy rules, grants and expiry", field="account"
        )
    with atomic(session):
        account = lock_account(session, member_id=member_id, at=at)
        before = snapshot(account)
        if account_kind is AccountKind.POINTS:
            moves = points_svc.points_movements(
                session, member_id=member_id, points=amount, at=at, kind=EntryKind.ADJUSTMENT,
                source_key=f"adjust:{new_operation_id()}",
            )
        else:
            moves = [Movement(account_kind, EntryKind.ADJUSTMENT, amount)]
        post(session, account=account, movements=moves, operation_id=new_operation_id(),
             actor=actor, at=at, reason=reason[:200])
        record_audit(session, actor=actor, action="adjustment", entity="member_account",
                     entity_id=member_id, member_id=member_id, at=at, before=before,
                     after=snapshot(account), note=f"{account_kind.value} {amount}: {reason}"[:200])
    return account


def set_offline_limit(
    session: Session, *, member_id: int, limit_cents: int, actor: str, at: datetime
) -> MemberAccount:
    """Change how far the member may spend offline; never below a debt already run up."""
    if not 0 <= limit_cents <= MAX_TOPUP_CENTS:
        raise InvalidInputError("offline limit out of range", field="offline_limit_cents")
    with atomic(session):
        account = lock_account(session, member_id=member_id, at=at)
        before = snapshot(account)
        if account.paid_cents < -limit_cents:
            raise ConflictError(
                f"member owes {format_cents(-account.paid_cents)} from offline spending: "
                "the limit cannot go below that until it is paid back"
            )
        account.offline_limit_cents = limit_cents
        account.updated_at = at
        session.add(account)
        record_audit(session, actor=actor, action="offline_limit", entity="member_account",
                     entity_id=member_id, member_id=member_id, at=at, before=before,
                     after=snapshot(account))
    return account
