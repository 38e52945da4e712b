"""Members: the phone is stored encrypted with a keyed hash for exact search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError
from hub.models.members import Member, MemberCreate, MemberPublic, MemberUpdate
from hub.models.validators import normalise_phone
from hub.services.common import commit_or_conflict, exists, fetch_page, get_or_404, ilike_any

_CONSENTS = ("consent_data", "consent_marketing", "consent_face")
_NULLABLE = frozenset({"phone", "employer", "department", "school_class", "birthday"})


def member_public(*, member: Member, cipher: FieldCipher) -> MemberPublic:
    """The API shape of a member with the phone decrypted."""
    phone = cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None
    return MemberPublic.model_validate(member, update={"phone": phone})


def _consent_time(given: bool, previous: datetime | None, now: datetime) -> datetime | None:
    # Keep the original time while consent stands; clear it when withdrawn.
    if not given:
        return None
    return previous or now


def _set_phone(session: Session, member: Member, phone: str | None, cipher: FieldCipher) -> None:
    if phone is None:
        member.phone_encrypted = None
        member.phone_hash = None
        return
    digest = cipher.lookup_hash(phone)
    clash = select(Member).where(Member.phone_hash == digest)
    if member.id is not None:
        clash = clash.where(Member.id != member.id)
    if exists(session, clash):
        raise ConflictError("another member already has this phone number")
    member.phone_encrypted = cipher.encrypt(phone)
    member.phone_hash = digest


def create_member(*, session: Session, data: MemberCreate, cipher: FieldCipher) -> Member:
    """Create a member; 409 on a duplicate member number or phone."""
    if exists(session, select(Member).where(Member.member_no == data.member_no)):
        raise ConflictError(f"member number {data.member_no!r} already exists")
    now = utcnow()
    member = Member.model_validate(data.model_dump(exclude={"phone", *_CONSENTS}))
    for consent in _CONSENTS:
        setattr(member, f"{consent}_at", _consent_time(getattr(data, consent), None, now))
    _set_phone(session, member, data.phone, cipher)
    session.add(member)
    commit_or_conflict(session, message="member number or phone already exists")
    session.refresh(member)
    return member


def list_members(
    *,
    session: Session,
    cipher: FieldCipher,
    q: str | None = None,
    employer: str | None = None,
    department: str | None = None,
    phone: str | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Member], int]:
    """A page of members: text in name/number, employer, department, exact phone via hash."""
    stmt = select(Member)
    if q:
        stmt = stmt.where(ilike_any([Member.name, Member.member_no], q))
    if employer:
        stmt = stmt.where(ilike_any([Member.employer], employer))
    if department:
        stmt = stmt.where(ilike_any([Member.department, Member.school_class], department))
    if phone:
        try:
            normalised = normalise_phone(phone)
        except ValueError as err:
            raise InvalidInputError(str(err), field="phone") from err
        stmt = stmt.where(Member.phone_hash == cipher.lookup_hash(normalised))
    return fetch_page(session, stmt, order_by=Member.member_no, limit=limit, offset=offset)


def get_member(*, session: Session, member_id: int) -> Member:
    """One member, else 404."""
    return get_or_404(session, Member, member_id, what="member")


def update_member(
    *, session: Session, member_id: int, data: MemberUpdate, cipher: FieldCipher
) -> Member:
    """Change a member; consents set to false are withdrawn (their time cleared)."""
    member = get_member(session=session, member_id=member_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    now = utcnow()
    for key, value in changes.items():
        if value is None and key not in _NULLABLE:
            raise InvalidInputError(f"{key} cannot be null", field=key)
        if key in _CONSENTS:
            previous = getattr(member, f"{key}_at")
            setattr(member, f"{key}_at", _consent_time(value, previous, now))
        elif key == "phone":
            _set_phone(session, member, value, cipher)
        else:
            setattr(member, key, value)
    member.updated_at = now
    session.add(member)
    commit_or_conflict(session, message="member update conflicts with existing data")
    session.refresh(member)
    return member


def delete_member(*, session: Session, member_id: int) -> None:
    """Erase a member (orders keep no personal data of theirs beyond the id link)."""
    member = get_member(session=session, member_id=member_id)
    session.delete(member)
    commit_or_conflict(
        session, message=f"member {member_id} is referenced by orders; deactivate instead"
    )
