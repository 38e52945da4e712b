"""Members: the phone is stored encrypted with a keyed hash for exact search.

Every create, update (consents included) and delete writes an audit record in the same
transaction, with the changed fields before and after (personal values masked) and the actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from hub.accounts.audit import mask_personal, record_audit
from hub.coupons.issue import welcome_new_member
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError
from hub.face import service as face_svc
from hub.models.members import Member, MemberCreate, MemberPublic, MemberUpdate
from hub.models.validators import normalise_phone
from hub.services.common import commit_or_conflict, exists, fetch_page, get_or_404, ilike_any
from hub.services.sites import check_organisation

_CONSENTS = ("consent_data", "consent_marketing", "consent_face")
_NULLABLE = frozenset({"phone", "employer", "organisation_id", "department", "school_class",
                       "birthday"})
_PROFILE = ("member_no", "name", "phone", "employer", "organisation_id", "department",
            "school_class", "birthday", "dietary_preferences", "allergens", "active")


def _profile(member: Member, cipher: FieldCipher) -> dict[str, Any]:
    """The member's fields as the API names them (phone decrypted, consents as booleans)."""
    out: dict[str, Any] = {k: getattr(member, k) for k in _PROFILE if k != "phone"}
    out["phone"] = cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None
    for consent in _CONSENTS:
        out[consent] = getattr(member, f"{consent}_at") is not None
    return out


def _masked(values: dict[str, Any], keys: Any) -> dict[str, Any]:
    return {k: mask_personal(k, values[k]) for k in sorted(keys)}


def _audit_change(
    session: Session,
    *,
    member_id: int,
    actor: str,
    at: datetime,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """One record for profile changes, one for consent changes; only the fields that changed."""
    changed = {k for k in after if before.get(k) != after[k]}
    groups = (("member.update", changed - set(_CONSENTS)), ("member.consent",
                                                            changed & set(_CONSENTS)))
    for action, keys in groups:
        if keys:
            record_audit(session, actor=actor, action=action, entity="member",
                         entity_id=member_id, member_id=member_id, at=at,
                         before=_masked(before, keys), after=_masked(after, keys))


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


def create_member(
    *, session: Session, data: MemberCreate, cipher: FieldCipher, actor: str = "system"
) -> Member:
    """Create a member (audited; welcome coupons issued); 409 on a duplicate number or phone."""
    if exists(session, select(Member).where(Member.member_no == data.member_no)):
        raise ConflictError(f"member number {data.member_no!r} already exists")
    check_organisation(session, data.organisation_id)
    now = utcnow()
    member = Member.model_validate(data.model_dump(exclude={"phone", *_CONSENTS}))
    for consent in _CONSENTS:
        setattr(member, f"{consent}_at", _consent_time(getattr(data, consent), None, now))
    _set_phone(session, member, data.phone, cipher)
    session.add(member)
    try:
        session.flush()
    except IntegrityError as err:
        session.rollback()
        raise ConflictError("member number or phone already exists") from err
    assert member.id is not None
    after = _profile(member, cipher)
    record_audit(session, actor=actor, action="member.create", entity="member",
                 entity_id=member.id, member_id=member.id, at=now,
                 after=_masked(after, after.keys()))
    if member.active:
        welcome_new_member(session=session, member_id=member.id, now=now, actor=actor)
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
    stmt = member_filters(select(Member), cipher=cipher, q=q, employer=employer,
                          department=department, phone=phone)
    return fetch_page(session, stmt, order_by=Member.member_no, limit=limit, offset=offset)


def member_filters(
    stmt: SelectOfScalar[Member],
    *,
    cipher: FieldCipher,
    q: str | None = None,
    employer: str | None = None,
    department: str | None = None,
    phone: str | None = None,
) -> SelectOfScalar[Member]:
    """The one member search: text in name/number, employer, department, exact phone by hash."""
    if q:
        stmt = stmt.where(ilike_any([Member.name, Member.member_no], q.strip()))
    if employer:
        stmt = stmt.where(ilike_any([Member.employer], employer.strip()))
    if department:
        stmt = stmt.where(ilike_any([Member.department, Member.school_class], department))
    if phone:
        try:
            normalised = normalise_phone(phone)
        except ValueError as err:
            raise InvalidInputError(str(err), field="phone") from err
        stmt = stmt.where(Member.phone_hash == cipher.lookup_hash(normalised))
    return stmt


def get_member(*, session: Session, member_id: int) -> Member:
    """One member, else 404."""
    return get_or_404(session, Member, member_id, what="member")


def update_member(
    *,
    session: Session,
    member_id: int,
    data: MemberUpdate,
    cipher: FieldCipher,
    actor: str = "system",
) -> Member:
    """Change a member (audited); consents set to false are withdrawn (their time cleared)."""
    member = get_member(session=session, member_id=member_id)
    before = _profile(member, cipher)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    now = utcnow()
    for key, value in changes.items():
        if value is None and key not in _NULLABLE:
            raise InvalidInputError(f"{key} cannot be null", field=key)
    if "organisation_id" in changes:  # moves the member between sites' caches
        check_organisation(session, changes["organisation_id"])
    for key, value in changes.items():
        if key in _CONSENTS:
            previous = getattr(member, f"{key}_at")
            setattr(member, f"{key}_at", _consent_time(value, previous, now))
            if key == "consent_face" and not value:  # PIPL: the template goes with it
                face_svc.forget(session, member_id=member_id, actor=actor)
        elif key == "phone":
            _set_phone(session, member, value, cipher)
        else:
            setattr(member, key, value)
    member.updated_at = now
    session.add(member)
    _audit_change(session, member_id=member_id, actor=actor, at=now, before=before,
                  after=_profile(member, cipher))
    commit_or_conflict(session, message="member update conflicts with existing data")
    session.refresh(member)
    return member


def delete_member(
    *, session: Session, member_id: int, cipher: FieldCipher | None = None, actor: str = "system"
) -> None:
    """Erase a member (audited, fields masked); refused while orders reference it."""
    member = get_member(session=session, member_id=member_id)
    face_svc.forget(session, member_id=member_id, actor=actor)  # erased with the member
    before = _profile(member, cipher) if cipher is not None else {
        k: getattr(member, k) for k in _PROFILE if k != "phone"}
    session.delete(member)
    record_audit(session, actor=actor, action="member.delete", entity="member",
                 entity_id=member_id, member_id=member_id, at=utcnow(),
                 before=_masked(before, before.keys()))
    commit_or_conflict(
        session, message=f"member {member_id} is referenced by orders; deactivate instead"
    )
