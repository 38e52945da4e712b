"""A member's personal data: export it all (access request), or erase it (keeping money totals).

Erasure anonymises the member row instead of deleting it: ledger entries, orders and
payments keep pointing at the same id, so every money total stays what it was, while the
name, phone, birthday, employer and cards are gone for good.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError
from hub.models.accounts import LedgerEntry, MemberAccount
from hub.models.coupons import Coupon, CouponStatus
from hub.models.identity import MemberCard
from hub.models.members import Member
from hub.services.common import commit_or_conflict, get_or_404
from hub.services.members import member_public
from hub.surveys.service import answers_of_member, erase_member_answers

ERASED_NAME = "已删除 erased"


def personal_data(*, session: Session, cipher: FieldCipher, member_id: int) -> dict[str, Any]:
    """Everything the hub holds about a member, decrypted, as one JSON document."""
    member = get_or_404(session, Member, member_id, what="member")
    account = session.get(MemberAccount, member_id)
    cards = session.exec(select(MemberCard).where(MemberCard.member_id == member_id)).all()
    coupons = session.exec(select(Coupon).where(Coupon.member_id == member_id)).all()
    ledger = session.exec(
        select(LedgerEntry).where(LedgerEntry.member_id == member_id).order_by(col(LedgerEntry.id))
    ).all()
    return {
        "profile": member_public(member=member, cipher=cipher).model_dump(mode="json"),
        "account": account.model_dump(mode="json") if account else None,
        "cards": [
            {
                "card_no": cipher.decrypt(c.card_encrypted),
                "status": c.status,
                "created_at": c.created_at.isoformat(),
            }
            for c in cards
        ],
        "coupons": [c.model_dump(mode="json") for c in coupons],
        "ledger": [e.model_dump(mode="json") for e in ledger],
        "survey_answers": answers_of_member(session, member_id),
        "exported_at": utcnow().isoformat(),
    }


def erase_member(*, session: Session, member_id: int, actor: str) -> Member:
    """Anonymise a member for good; balances and ledger untouched; kiosks drop them next delta."""
    member = get_or_404(session, Member, member_id, what="member")
    if member.name == ERASED_NAME and not member.active:
        raise ConflictError(f"member {member_id} is already erased")
    now = utcnow()
    member.member_no = f"erased-{member_id}"
    member.name = ERASED_NAME
    member.phone_encrypted = member.phone_hash = None
    member.employer = member.department = member.school_class = None
    member.birthday = None
    member.dietary_preferences, member.allergens = [], []
    member.consent_data_at = member.consent_marketing_at = member.consent_face_at = None
    member.active = False
    member.updated_at = now
    session.add(member)
    session.exec(delete(MemberCard).where(col(MemberCard.member_id) == member_id))
    erase_member_answers(session, member_id)  # free text may name them
    for coupon in session.exec(
        select(Coupon).where(
            Coupon.member_id == member_id, Coupon.status == CouponStatus.ISSUED.value
        )
    ):
        coupon.status = CouponStatus.VOID.value
        session.add(coupon)
    record_audit(
        session,
        actor=actor,
        action="member.erase",
        entity="member",
        entity_id=member_id,
        member_id=member_id,
        note="personal data erased; money records kept",
    )
    commit_or_conflict(session, message=f"member {member_id} could not be erased")
    session.refresh(member)
    return member
