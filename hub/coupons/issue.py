"""Issuing coupons: to chosen members, to a segment, and automatically (welcome, birthday week).

Bulk and automatic issues carry an ``issue_key`` that is unique in the table, so running
the same issue twice (a retried request, a scheduler that fires twice) issues nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError, NotFoundError
from hub.identity.keys import active_signing_key
from hub.models.coupons import AutoIssue, Coupon, CouponStatus, CouponTemplate
from hub.models.members import Member
from hub.services.common import commit_or_conflict, get_or_404
from protocol.tokens import sign_coupon_token

log = logging.getLogger(__name__)

MAX_MANUAL = 500
BIRTHDAY_WINDOW_DAYS = 7


def _active_template(session: Session, template_id: int) -> CouponTemplate:
    template = get_or_404(session, CouponTemplate, template_id, what="coupon template")
    if not template.active:
        raise ConflictError(f"coupon template {template.code!r} is switched off")
    return template


def _coupon(
    template: CouponTemplate,
    member_id: int,
    *,
    source: str,
    now: datetime,
    actor: str,
    key: str | None,
    valid_from: datetime | None = None,
) -> Coupon:
    start = valid_from or now
    assert template.id is not None
    return Coupon(
        template_id=template.id,
        member_id=member_id,
        source=source,
        issue_key=key,
        valid_from=start,
        valid_until=start + timedelta(days=template.valid_days),
        issued_by=actor,
        issued_at=now,
    )


def _insert_new(session: Session, coupons: list[Coupon]) -> list[Coupon]:
    """Add the coupons whose issue_key is not taken yet; return those added."""
    keys = [c.issue_key for c in coupons if c.issue_key]
    taken: set[str] = set()
    for chunk in range(0, len(keys), 500):
        taken.update(
            k
            for k in session.exec(
                select(Coupon.issue_key).where(col(Coupon.issue_key).in_(keys[chunk : chunk + 500]))
            ).all()
            if k
        )
    fresh = [c for c in coupons if not c.issue_key or c.issue_key not in taken]
    session.add_all(fresh)
    session.flush()
    return fresh


def issue_to_members(
    *,
    session: Session,
    template_id: int,
    member_ids: Sequence[int],
    now: datetime,
    actor: str,
    request_key: str | None = None,
) -> list[Coupon]:
    """Issue one coupon to each listed member (all or none: an unknown member refuses all)."""
    template = _active_template(session, template_id)
    unique = list(dict.fromkeys(member_ids))
    if not unique or len(unique) > MAX_MANUAL:
        raise InvalidInputError(f"give 1..{MAX_MANUAL} member ids", field="member_ids")
    found = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(unique)))}
    missing = [m for m in unique if m not in found]
    if missing:
        raise NotFoundError(f"members not found: {missing}")
    inactive = [m for m in unique if not found[m].active]
    if inactive:
        raise ConflictError(f"members not active: {inactive}")
    coupons = [
        _coupon(
            template,
            m,
            source="manual",
            now=now,
            actor=actor,
            key=f"req:{request_key}:{m}" if request_key else None,
        )
        for m in unique
    ]
    added = _insert_new(session, coupons)
    for c in added:
        record_audit(
            session,
            actor=actor,
            action="coupon.issue",
            entity="coupon",
            entity_id=c.id or 0,
            member_id=c.member_id,
            after={"template": template.code, "source": "manual"},
        )
    commit_or_conflict(session, message="coupon issue clashed with another; retry")
    return added


def issue_for_campaign(
    *,
    session: Session,
    template_id: int,
    member_ids: Sequence[int],
    campaign_code: str,
    valid_from: datetime,
    now: datetime,
    actor: str,
) -> dict[int, Coupon]:
    """One coupon per member for a CRM campaign (hub.crm.campaigns), keyed so a re-run of the
    launch issues nothing twice; flushed, not committed (the launch commits with its rows).
    Returns member id -> the coupon issued now."""
    template = _active_template(session, template_id)
    coupons = [
        _coupon(template, m, source="campaign", now=now, actor=actor,
                key=f"campaign:{campaign_code}:{m}", valid_from=valid_from)
        for m in dict.fromkeys(member_ids)
    ]
    added = _insert_new(session, coupons)
    for c in added:
        record_audit(session, actor=actor, action="coupon.issue", entity="coupon",
                     entity_id=c.id or 0, member_id=c.member_id,
                     after={"template": template.code, "source": "campaign",
                            "campaign": campaign_code})
    return {c.member_id: c for c in added}


def issue_to_segment(
    *,
    session: Session,
    template_id: int,
    employer: str | None,
    department: str | None,
    batch: str,
    now: datetime,
    actor: str,
) -> int:
    """Issue to every active member of an employer/department; idempotent per ``batch``."""
    template = _active_template(session, template_id)
    if not employer and not department:
        raise InvalidInputError("name an employer or a department", field="employer")
    stmt = select(Member.id).where(col(Member.active).is_(True))
    if employer:
        stmt = stmt.where(Member.employer == employer)
    if department:
        stmt = stmt.where(
            sa.or_(col(Member.department) == department, col(Member.school_class) == department)
        )
    ids = [int(i) for i in session.exec(stmt).all() if i is not None]
    coupons = [
        _coupon(
            template, m, source="bulk", now=now, actor=actor, key=f"bulk:{template.id}:{batch}:{m}"
        )
        for m in ids
    ]
    added = _insert_new(session, coupons)
    record_audit(
        session,
        actor=actor,
        action="coupon.issue_bulk",
        entity="coupon_template",
        entity_id=template_id,
        after={
            "batch": batch,
            "employer": employer,
            "department": department,
            "issued": len(added),
        },
    )
    commit_or_conflict(session, message="bulk issue clashed with another run; retry")
    return len(added)


def _auto_templates(session: Session, kind: AutoIssue) -> Sequence[CouponTemplate]:
    return session.exec(
        select(CouponTemplate).where(
            CouponTemplate.auto_issue == kind.value, col(CouponTemplate.active).is_(True)
        )
    ).all()


def welcome_key(template_id: int | None, member_id: int) -> str:
    """The one issue key of a member's welcome coupon: creation and the scheduled run share it."""
    return f"welcome:{template_id}:{member_id}"


def welcome_new_member(
    *, session: Session, member_id: int, now: datetime, actor: str
) -> list[Coupon]:
    """Issue the active welcome templates to a member just created (caller commits)."""
    coupons = [
        _coupon(template, member_id, source="welcome", now=now, actor=actor,
                key=welcome_key(template.id, member_id))
        for template in _auto_templates(session, AutoIssue.WELCOME)
    ]
    added = _insert_new(session, coupons)
    for c in added:
        record_audit(session, actor=actor, action="coupon.issue", entity="coupon",
                     entity_id=c.id or 0, member_id=member_id,
                     after={"template_id": c.template_id, "source": "welcome"})
    return added


def issue_welcome_coupons(*, session: Session, now: datetime) -> int:
    """Give each active member every active welcome template once (scheduled; idempotent)."""
    total = 0
    for template in _auto_templates(session, AutoIssue.WELCOME):
        ids = session.exec(select(Member.id).where(col(Member.active).is_(True))).all()
        coupons = [
            _coupon(
                template,
                int(m),
                source="welcome",
                now=now,
                actor="scheduler",
                key=welcome_key(template.id, int(m)),
            )
            for m in ids
            if m is not None
        ]
        total += len(_insert_new(session, coupons))
    if total:
        record_audit(
            session,
            actor="scheduler",
            action="coupon.issue_welcome",
            entity="coupon",
            entity_id="welcome",
            after={"issued": total},
        )
    commit_or_conflict(session, message="welcome issue clashed with another run")
    return total


def _birthday_in(birthday: date, start: date, days: int) -> date | None:
    for offset in range(days):
        day = start + timedelta(days=offset)
        if (birthday.month, birthday.day) == (day.month, day.day) or (
            (birthday.month, birthday.day) == (2, 29)
            and (day.month, day.day) == (2, 28)
            and not _leap(day.year)
        ):
            return day
    return None


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def issue_birthday_coupons(*, session: Session, today: date) -> int:
    """Coupons for birthdays in the 7 days from ``today``, valid from the birthday (idempotent)."""
    templates = _auto_templates(session, AutoIssue.BIRTHDAY)
    if not templates:
        return 0
    now = datetime.combine(today, time(0), UTC)
    members = session.exec(
        select(Member).where(col(Member.active).is_(True), col(Member.birthday).is_not(None))
    ).all()
    coupons = []
    for member in members:
        member_id, birthday = member.id, member.birthday
        if member_id is None or birthday is None:
            continue
        day = _birthday_in(birthday, today, BIRTHDAY_WINDOW_DAYS)
        if day is None:
            continue
        for template in templates:
            coupons.append(
                _coupon(
                    template,
                    member_id,
                    source="birthday",
                    now=now,
                    actor="scheduler",
                    key=f"birthday:{template.id}:{member_id}:{day.year}",
                    valid_from=datetime.combine(day, time(0), UTC),
                )
            )
    added = _insert_new(session, coupons)
    if added:
        record_audit(
            session,
            actor="scheduler",
            action="coupon.issue_birthday",
            entity="coupon",
            entity_id=today.isoformat(),
            after={"issued": len(added)},
        )
    commit_or_conflict(session, message="birthday issue clashed with another run")
    log.info("birthday coupons for the week from %s: %d issued", today, len(added))
    return len(added)


def coupon_token(*, session: Session, cipher: FieldCipher, coupon_id: int) -> str:
    """The signed QR code of an open coupon (CC1 prefix)."""
    coupon = get_or_404(session, Coupon, coupon_id, what="coupon")
    if coupon.status != CouponStatus.ISSUED.value:
        raise ConflictError(f"coupon {coupon_id} is {coupon.status}: no code")
    if coupon.valid_until <= utcnow():
        raise ConflictError(f"coupon {coupon_id} has expired: no code")
    template = get_or_404(session, CouponTemplate, coupon.template_id, what="coupon template")
    member = get_or_404(session, Member, coupon.member_id, what="member")
    key_id, private = active_signing_key(session=session, cipher=cipher)
    return sign_coupon_token(
        coupon_id=str(coupon_id),
        template_code=template.code,
        member_id=member.member_no,
        expires_at=coupon.valid_until,
        key_id=key_id,
        private_key=private,
    )


def member_coupons(*, session: Session, member_id: int) -> Sequence[Coupon]:
    """A member's coupons, newest first."""
    get_or_404(session, Member, member_id, what="member")
    return session.exec(
        select(Coupon).where(Coupon.member_id == member_id).order_by(col(Coupon.id).desc())
    ).all()
