"""Member cards: add (number encrypted, keyed lookup hash), block at once, find a member by card."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.models.identity import CardStatus, MemberCard
from hub.models.members import Member
from hub.services.common import commit_or_conflict, get_or_404
from protocol.tokens import normalise_card_number


def card_lookup_hash(cipher: FieldCipher, card_no: str) -> str:
    """The hub's keyed hash of a card number (normalised first), for search and uniqueness."""
    try:
        normalised = normalise_card_number(card_no)
    except ValueError as err:
        raise InvalidInputError(str(err), field="card_no") from err
    return cipher.lookup_hash(f"card:{normalised}")


def new_card(*, cipher: FieldCipher, member_id: int, card_no: str) -> MemberCard:
    """An unsaved card row for a member (validated, encrypted, hashed)."""
    digest = card_lookup_hash(cipher, card_no)
    normalised = normalise_card_number(card_no)
    return MemberCard(
        member_id=member_id,
        card_hash=digest,
        card_encrypted=cipher.encrypt(normalised),
        last4=normalised[-4:],
    )


def add_card(
    *, session: Session, cipher: FieldCipher, member_id: int, card_no: str, actor: str
) -> MemberCard:
    """Give a member a card; 409 when any member (even blocked) already has that number."""
    member = get_or_404(session, Member, member_id, what="member")
    if not member.active:
        raise ConflictError(f"member {member_id} is not active")
    card = new_card(cipher=cipher, member_id=member_id, card_no=card_no)
    if session.exec(select(MemberCard).where(MemberCard.card_hash == card.card_hash)).first():
        raise ConflictError("this card number is already registered (a blocked card stays used)")
    session.add(card)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="card.add",
        entity="member_card",
        entity_id=card.id or 0,
        member_id=member_id,
        after={"last4": card.last4},
    )
    commit_or_conflict(session, message="this card number is already registered")
    session.refresh(card)
    return card


def block_card(
    *, session: Session, member_id: int, card_id: int, reason: str, actor: str
) -> MemberCard:
    """Block a card for good; the next member-cache delta removes it from every kiosk."""
    card = session.get(MemberCard, card_id)
    if card is None or card.member_id != member_id:
        raise NotFoundError(f"card {card_id} of member {member_id} not found")
    if card.status == CardStatus.BLOCKED:
        raise ConflictError(f"card {card_id} is already blocked")
    card.status = CardStatus.BLOCKED.value
    card.block_reason = reason
    card.blocked_at = utcnow()
    session.add(card)
    record_audit(
        session,
        actor=actor,
        action="card.block",
        entity="member_card",
        entity_id=card_id,
        member_id=member_id,
        before={"status": "active"},
        after={"status": "blocked", "reason": reason},
    )
    commit_or_conflict(session, message="card block failed")
    session.refresh(card)
    return card


def list_cards(*, session: Session, member_id: int) -> Sequence[MemberCard]:
    """A member's cards, newest first."""
    get_or_404(session, Member, member_id, what="member")
    return session.exec(
        select(MemberCard)
        .where(MemberCard.member_id == member_id)
        .order_by(col(MemberCard.id).desc())
    ).all()


def member_by_card(*, session: Session, cipher: FieldCipher, card_no: str) -> Member | None:
    """The member holding this card (active or blocked card), or None."""
    digest = card_lookup_hash(cipher, card_no)
    card = session.exec(select(MemberCard).where(MemberCard.card_hash == digest)).first()
    return None if card is None else session.get(Member, card.member_id)
