"""What the member desk pages show, read through the identity, coupon and accounts services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from hub.accounts.bonus_rules import list_bonus_rules
from hub.accounts.ledger import list_entries, read_account
from hub.coupons.issue import member_coupons
from hub.coupons.templates import list_templates
from hub.crypto import FieldCipher
from hub.identity.cards import list_cards
from hub.identity.search import search_members
from hub.models.account_rules import TierDefinition, TopupBonusRule
from hub.models.accounts import AccountKind, EntryKind, LedgerEntry, MemberAccount
from hub.models.coupons import CouponTemplate
from hub.models.identity import MemberCard
from hub.models.members import Member
from hub.models.sites import Site
from hub.services.common import get_or_404

LEDGER_PAGE_SIZE = 10
DEFAULT_ZONE = "Asia/Shanghai"
SEARCH_FIELDS = ("name", "phone", "card", "employer")
"""What the desk searches by: name or member number, exact phone, card number, employer."""


def mask_phone(phone: str | None) -> str:
    """``13812345678 -> 138****5678``: enough to confirm with the diner, not to copy."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:2] + "*" * max(len(phone) - 2, 0)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


@dataclass(frozen=True)
class MemberRow:
    """One search result."""

    id: int
    member_no: str
    name: str
    phone: str
    employer: str
    department: str
    active: bool


@dataclass(frozen=True)
class CouponRow:
    """A coupon the member holds, with its template's names."""

    id: int
    name_zh: str
    name_en: str
    status: str
    valid_until: datetime


@dataclass(frozen=True)
class Profile:
    """Everything the profile page shows."""

    member: Member
    phone: str
    tier_zh: str | None
    tier_en: str | None
    account: MemberAccount
    entries: Sequence[LedgerEntry]
    entries_total: int
    page: int
    pages: int
    cards: Sequence[MemberCard]
    coupons: list[CouponRow]
    templates: Sequence[CouponTemplate]
    bonus_rules: list[TopupBonusRule]
    zone: ZoneInfo


@dataclass(frozen=True)
class DeskReceipt:
    """A top-up as the receipt shows it, rebuilt from its ledger entries."""

    receipt_no: str
    member_no: str
    member_name: str
    amount_cents: int
    bonus_cents: int
    paid_after_cents: int
    bonus_after_cents: int
    at: datetime
    actor: str


def _phone(cipher: FieldCipher, member: Member) -> str:
    return mask_phone(cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None)


def find_members(
    session: Session, *, cipher: FieldCipher, field: str, text: str
) -> list[MemberRow]:
    """Members matching ``text`` in ``field`` (one of SEARCH_FIELDS), through identity's search."""
    criteria = {
        "name": {"q": text},
        "phone": {"phone": text},
        "card": {"card_no": text},
        "employer": {"employer": text},
    }[field]
    found = search_members(session=session, cipher=cipher, **criteria)
    return [
        MemberRow(
            id=m.id or 0, member_no=m.member_no, name=m.name, phone=_phone(cipher, m),
            employer=m.employer or "", department=m.department or "", active=m.active,
        )
        for m in found
    ]


def display_zone(session: Session) -> ZoneInfo:
    """The canteens' time zone for times on screen (the first site's; UTC is only stored)."""
    site = session.exec(select(Site).order_by(col(Site.id))).first()
    return ZoneInfo(site.timezone if site is not None else DEFAULT_ZONE)


def load_profile(session: Session, *, cipher: FieldCipher, member_id: int, page: int) -> Profile:
    """A member's profile, balances, one page of the ledger (newest first), cards, coupons."""
    member = get_or_404(session, Member, member_id, what="member")
    account = read_account(session, member_id=member_id)
    tier = None
    if account.tier_code is not None:
        tier = session.exec(
            select(TierDefinition).where(TierDefinition.code == account.tier_code)
        ).first()
    page = max(page, 1)
    entries, total = list_entries(
        session, member_id=member_id, limit=LEDGER_PAGE_SIZE,
        offset=(page - 1) * LEDGER_PAGE_SIZE,
    )
    templates = {t.id: t for t in list_templates(session=session)}
    coupons = []
    for coupon in member_coupons(session=session, member_id=member_id):
        template = templates.get(coupon.template_id)
        coupons.append(CouponRow(
            id=coupon.id or 0,
            name_zh=template.name_zh if template else str(coupon.template_id),
            name_en=template.name_en if template else str(coupon.template_id),
            status=coupon.status,
            valid_until=coupon.valid_until,
        ))
    return Profile(
        member=member,
        phone=_phone(cipher, member),
        tier_zh=None if tier is None else tier.name_zh,
        tier_en=None if tier is None else tier.name_en,
        account=account,
        entries=entries,
        entries_total=total,
        page=page,
        pages=max((total + LEDGER_PAGE_SIZE - 1) // LEDGER_PAGE_SIZE, 1),
        cards=list_cards(session=session, member_id=member_id),
        coupons=coupons,
        templates=[t for t in templates.values() if t.active],
        bonus_rules=[r for r in list_bonus_rules(session) if r.active],
        zone=display_zone(session),
    )


def topup_receipt(session: Session, *, member_id: int, operation_id: str) -> DeskReceipt | None:
    """The receipt of one top-up of this member, or None when there is no such top-up."""
    entries = session.exec(
        select(LedgerEntry).where(
            LedgerEntry.member_id == member_id, LedgerEntry.operation_id == operation_id
        )
    ).all()
    paid = next((e for e in entries if e.kind == EntryKind.TOPUP), None)
    if paid is None:
        return None
    bonus = next((e for e in entries if e.kind == EntryKind.TOPUP_BONUS), None)
    if bonus is not None:
        bonus_after = bonus.balance_after
    else:  # no bonus this time: the bonus balance as the last entry before left it
        last = session.exec(
            select(LedgerEntry)
            .where(
                LedgerEntry.member_id == member_id,
                LedgerEntry.account == AccountKind.BONUS,
                col(LedgerEntry.id) < (paid.id or 0),
            )
            .order_by(col(LedgerEntry.id).desc())
        ).first()
        bonus_after = 0 if last is None else last.balance_after
    member = get_or_404(session, Member, member_id, what="member")
    return DeskReceipt(
        receipt_no=operation_id,
        member_no=member.member_no,
        member_name=member.name,
        amount_cents=paid.amount,
        bonus_cents=0 if bonus is None else bonus.amount,
        paid_after_cents=paid.balance_after,
        bonus_after_cents=bonus_after,
        at=paid.created_at,
        actor=paid.actor,
    )
