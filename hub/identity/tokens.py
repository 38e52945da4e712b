"""The hub side of signed QR codes: a member's current code, a coupon's code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from hub.crypto import FieldCipher
from hub.errors import ConflictError
from hub.identity.keys import active_signing_key
from hub.models.members import Member
from hub.services.common import get_or_404
from protocol.tokens import member_token_expires_at, sign_member_token


@dataclass(frozen=True)
class MemberCode:
    """A member's QR code and when kiosks stop accepting it."""

    token: str
    key_id: str
    member_no: str
    expires_at: datetime


def member_code(
    *, session: Session, cipher: FieldCipher, member_id: int, now: datetime
) -> MemberCode:
    """The member's rotating QR code for ``now``; 409 for a deactivated or erased member."""
    member = get_or_404(session, Member, member_id, what="member")
    if not member.active:
        raise ConflictError(f"member {member_id} is not active: no member code")
    key_id, private = active_signing_key(session=session, cipher=cipher)
    token = sign_member_token(
        member_id=member.member_no, now=now, key_id=key_id, private_key=private
    )
    return MemberCode(
        token=token,
        key_id=key_id,
        member_no=member.member_no,
        expires_at=member_token_expires_at(now),
    )
