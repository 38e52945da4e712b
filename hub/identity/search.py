"""The member desk's search: name or number, exact phone (keyed hash), card number, employer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.errors import InvalidInputError
from hub.identity.cards import member_by_card
from hub.models.members import Member
from hub.services.members import member_filters

MAX_RESULTS = 50


def search_members(
    *,
    session: Session,
    cipher: FieldCipher,
    q: str | None = None,
    phone: str | None = None,
    card_no: str | None = None,
    employer: str | None = None,
) -> Sequence[Member]:
    """Members matching every given criterion (at most 50); no criterion is a 422."""
    if not any((q, phone, card_no, employer)):
        raise InvalidInputError("give a name, phone, card number or employer", field="q")
    stmt = select(Member)
    if card_no:
        member = member_by_card(session=session, cipher=cipher, card_no=card_no)
        if member is None:
            return []
        stmt = stmt.where(Member.id == member.id)
    stmt = member_filters(stmt, cipher=cipher, q=q, employer=employer, phone=phone)
    return session.exec(stmt.order_by(Member.member_no).limit(MAX_RESULTS)).all()
