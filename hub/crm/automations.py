"""Built-in automations, each switchable: birthday care, win-back, welcome, thank-you.

Each runs as a campaign of its own per ISO week (code ``auto_<name>_<year>w<week>``), so
it has a holdout and results like any campaign, and the same consent, frequency-cap and
overlap rules (``hub.crm.campaigns.enrol``). Running one twice adds only members not
enrolled yet. Win-back uses the churn probability the scores module stores
(``crm_member_score``) when there is one; with no scores it falls back to the rate rule
(visits in the last 30 days below half of the member's own rate over the 90 before).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from hub.crm.campaigns import Targeting, enrol
from hub.db_types import utcnow
from hub.errors import InvalidInputError, NotFoundError
from hub.models.coupons import CouponTemplate
from hub.models.crm_campaigns import Automation, Campaign
from hub.models.crm_cases import ComplaintCase
from hub.models.members import Member
from hub.models.orders import Order
from protocol.vocab import Label

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
CHURN_THRESHOLD = 0.5  # churn probability from which win-back targets a member
NEW_MEMBER_DAYS = 14


@dataclass(frozen=True)
class Builtin:
    """An automation's name and the message it sends until a manager writes another."""

    code: str
    name: Label
    message: Label
    holdout_bp: int


BUILTINS: dict[str, Builtin] = {b.code: b for b in (
    Builtin("birthday", Label("生日关怀", "Birthday care"),
            Label("生日快乐！本周来用餐有小礼物。",
                  "Happy birthday! A small gift awaits you this week."),
            1000),
    Builtin("winback", Label("流失挽回", "Win-back"),
            Label("好久不见，我们想念您！", "We have missed you - come back soon!"), 1000),
    Builtin("welcome", Label("新会员欢迎", "Welcome"),
            Label("欢迎加入！祝您用餐愉快。", "Welcome! Enjoy your meals with us."), 1000),
    Builtin("thank_you", Label("投诉后致谢", "Thank-you after a complaint"),
            Label("感谢您的反馈，我们已改进。",
                  "Thank you for your feedback; we have acted on it."),
            0),
)}


def automation(session: Session, code: str) -> Automation:
    """The automation's stored switch and settings (a default row, off, if never set)."""
    if code not in BUILTINS:
        raise NotFoundError(f"no automation {code!r}; known: {', '.join(BUILTINS)}")
    row = session.get(Automation, code)
    if row is None:
        b = BUILTINS[code]
        row = Automation(code=code, enabled=False, holdout_bp=b.holdout_bp,
                         message_zh=b.message.zh, message_en=b.message.en)
    return row


def automations(session: Session) -> list[Automation]:
    """All four, in a fixed order."""
    return [automation(session, code) for code in BUILTINS]


def set_automation(session: Session, *, code: str, enabled: bool,
                   coupon_template_id: int | None = None, holdout_percent: int | None = None,
                   message_zh: str | None = None, message_en: str | None = None,
                   actor: str) -> Automation:
    """Switch an automation on or off and change its offer, holdout or message; committed."""
    row = automation(session, code)
    if coupon_template_id is not None:
        template = session.get(CouponTemplate, coupon_template_id)
        if template is None or not template.active:
            raise InvalidInputError(f"coupon template {coupon_template_id} does not exist or "
                                    "is switched off", field="coupon_template_id")
    if holdout_percent is not None and not 0 <= holdout_percent <= 50:
        raise InvalidInputError("holdout_percent must be 0-50", field="holdout_percent")
    for field, text in (("message_zh", message_zh), ("message_en", message_en)):
        if text is not None and not 1 <= len(text.strip()) <= 200:
            raise InvalidInputError(f"{field} must be 1-200 characters", field=field)
    row.enabled = enabled
    row.coupon_template_id = coupon_template_id
    if holdout_percent is not None:
        row.holdout_bp = holdout_percent * 100
    row.message_zh = (message_zh or row.message_zh).strip()
    row.message_en = (message_en or row.message_en).strip()
    row.updated_at, row.updated_by = utcnow(), actor
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _weekly_campaign(session: Session, row: Automation, now: datetime) -> Campaign:
    year, week, _ = now.isocalendar()
    code = f"auto_{row.code}_{year}w{week:02d}"
    found = session.exec(select(Campaign).where(Campaign.code == code)).first()
    if found is not None:
        return found
    b = BUILTINS[row.code]
    campaign = Campaign(
        code=code, name=f"{b.name.zh} / {b.name.en} {year}-W{week:02d}", automation=row.code,
        coupon_template_id=row.coupon_template_id, message_zh=row.message_zh,
        message_en=row.message_en, channels=["kiosk", "receipt"], holdout_bp=row.holdout_bp,
        starts_at=now, ends_at=now + WINDOW, status="launched", created_by="automation",
        created_at=now, launched_at=now, launched_by="automation")
    session.add(campaign)
    session.flush()
    return campaign


def _birthdays(session: Session, today: date) -> list[int]:
    days = {(d.month, d.day) for d in (today + timedelta(days=i) for i in range(7))}
    return [m.id for m in session.exec(select(Member).where(
        col(Member.birthday).is_not(None), col(Member.active).is_(True))).all()
        if m.id is not None and m.birthday and (m.birthday.month, m.birthday.day) in days]


def _newcomers(session: Session, now: datetime) -> list[int]:
    return [m for m in session.exec(select(Member.id).where(
        Member.created_at >= now - timedelta(days=NEW_MEMBER_DAYS))).all() if m is not None]


def churn_risk_members(session: Session, now: datetime) -> tuple[list[int], str]:
    """Members at churn risk and where the judgement came from ("score" or "rate rule")."""
    try:
        from hub.models.crm import MemberScore
    except ImportError:  # pragma: no cover - the scores half not installed
        MemberScore = None  # type: ignore[assignment,misc]
    if MemberScore is not None and session.exec(select(func.count()).select_from(
            MemberScore)).one():
        return [m for m in session.exec(select(MemberScore.member_id).where(
            MemberScore.churn_probability >= CHURN_THRESHOLD)).all()], "score"
    recent = sa.func.sum(sa.case((col(Order.placed_at) >= now - timedelta(days=30), 1),
                                 else_=0))
    before = sa.func.sum(sa.case((col(Order.placed_at) < now - timedelta(days=30), 1), else_=0))
    rows = session.exec(
        select(Order.member_id, recent, before)
        .where(col(Order.member_id).is_not(None),
               col(Order.placed_at) >= now - timedelta(days=120), col(Order.placed_at) < now)
        .group_by(col(Order.member_id))).all()
    # Over the previous 90 days the member's 30-day rate is before / 3: at risk below half.
    return [m for m, r, b in rows if m is not None and b >= 3 and r * 6 < b], "rate rule"


def run_automations(session: Session, *, now: datetime | None = None,
                    actor: str = "automation") -> dict[str, Targeting]:
    """Run every switched-on automation but thank-you (that one runs at resolution)."""
    now = now or utcnow()
    done: dict[str, Targeting] = {}
    for row in automations(session):
        if not row.enabled or row.code == "thank_you":
            continue
        if row.code == "birthday":
            members = _birthdays(session, now.date())
        elif row.code == "welcome":
            members = _newcomers(session, now)
        else:
            members, source = churn_risk_members(session, now)
            log.info("win-back: %d members at risk (from the %s)", len(members), source)
        campaign = _weekly_campaign(session, row, now)
        done[row.code] = enrol(session, campaign, members, now=now, actor=actor)
    session.commit()
    return done


def thank_after_resolution(session: Session, *, case: ComplaintCase, now: datetime,
                           actor: str) -> Targeting | None:
    """The thank-you automation for the member of a resolved case (if on); flush only."""
    row = automation(session, "thank_you")
    if not row.enabled or case.member_id is None:
        return None
    campaign = _weekly_campaign(session, row, now)
    return enrol(session, campaign, [case.member_id], now=now, actor=actor)
