"""Who queues notifications: the daily producers and the hooks other domains call.

- birthday care: members the CRM tagged ``birthday_month`` (``hub.crm.tags``) whose
  birthday is today (local), once a year;
- win-back: the CRM's churn-risk members (``hub.crm.automations.churn_risk_members``:
  stored churn probability >= 0.5, or the rate rule with no scores), once a month;
- booking reminder: the day before a pre-booked meal (``hub.supply.bookings``), once per
  booking;
- complaint resolved: ``hub.crm.cases.resolve_case`` calls ``complaint_resolved``;
- low balance: ``hub.accounts.ledger.post`` calls ``low_balance_after_post`` when a
  debit takes the stored balance (paid + bonus) below the threshold, once a day at most.

The hooks run inside the caller's transaction in a SAVEPOINT: a notification that cannot
be queued is logged and never costs the caller its work.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.models.members import Member
from hub.models.sites import MealPeriod, Site
from hub.notify.config import LOW_BALANCE_CENTS, NotifySettings
from hub.notify.service import enqueue, language_of

log = logging.getLogger(__name__)

MAX_RESOLUTION = 500
BOOKING_PAGE = 500


def _name(session: Session, member_id: int) -> str | None:
    member = session.get(Member, member_id)
    return member.name if member is not None and member.active else None


def birthday_care(session: Session, *, now: datetime, config: NotifySettings,
                  cipher: FieldCipher | None = None) -> int:
    """Queue birthday care for today's birthdays; flush only. Rows queued."""
    from hub.crm.tags import members_with_tag

    today = now.astimezone(ZoneInfo(config.timezone)).date()
    queued = 0
    for member_id in members_with_tag(session, "birthday_month"):
        member = session.get(Member, member_id)
        if member is None or not member.active or member.birthday is None:
            continue
        if (member.birthday.month, member.birthday.day) != (today.month, today.day):
            continue
        queued += enqueue(session, member_id=member_id, kind="birthday",
                          params={"name": member.name}, key=str(today.year), cipher=cipher,
                          now=now)
    return queued


def win_back(session: Session, *, now: datetime, config: NotifySettings,
             cipher: FieldCipher | None = None) -> int:
    """Queue win-back for the CRM's churn-risk members, once a month; flush only."""
    from hub.crm.automations import churn_risk_members

    members, source = churn_risk_members(session, now)
    month = now.astimezone(ZoneInfo(config.timezone)).strftime("%Y-%m")
    queued = 0
    for member_id in members:
        name = _name(session, member_id)
        if name is not None:
            queued += enqueue(session, member_id=member_id, kind="winback",
                              params={"name": name}, key=month, cipher=cipher, now=now)
    log.info("win-back: %d members at risk (from the %s), %d rows queued", len(members),
             source, queued)
    return queued


def booking_reminders(session: Session, *, now: datetime,
                      cipher: FieldCipher | None = None) -> int:
    """Queue a reminder for every booked meal of tomorrow (each site's local day)."""
    from hub.supply.bookings import list_bookings

    queued = 0
    for site in session.exec(select(Site)).all():
        assert site.id is not None
        tomorrow = now.astimezone(ZoneInfo(site.timezone)).date() + timedelta(days=1)
        offset = 0
        while True:
            rows, total = list_bookings(session, site_id=site.id, day=tomorrow,
                                        status="booked", limit=BOOKING_PAGE, offset=offset)
            for b in rows:
                name = _name(session, b.member_id)
                period = session.get(MealPeriod, b.meal_period_id)
                if name is None or period is None:
                    continue
                en = language_of(session, b.member_id) == "en"
                queued += enqueue(
                    session, member_id=b.member_id, kind="booking_reminder", key=b.uid,
                    params={"name": name, "day": tomorrow.isoformat(),
                            "meal": period.name_en if en else period.name_zh,
                            "site": site.name_en if en else site.name_zh},
                    site_id=site.id, cipher=cipher, now=now)
            offset += BOOKING_PAGE
            if offset >= total:
                break
    return queued


def enqueue_daily(session: Session, *, now: datetime, config: NotifySettings,
                  cipher: FieldCipher | None = None) -> dict[str, int]:
    """Run the three daily producers and commit; rows queued per kind (0 when already
    queued: each is idempotent through its dedupe key)."""
    done = {
        "birthday": birthday_care(session, now=now, config=config, cipher=cipher),
        "winback": win_back(session, now=now, config=config, cipher=cipher),
        "booking_reminder": booking_reminders(session, now=now, cipher=cipher),
    }
    session.commit()
    return done


def complaint_resolved(session: Session, *, member_id: int | None, case_id: int,
                       site_id: int | None, resolution: str, now: datetime) -> int:
    """Tell the member their complaint was resolved (a service message: no marketing
    consent needed). Called by resolve_case before its commit; never raises."""
    if member_id is None:
        return 0
    name = _name(session, member_id)
    if name is None:
        return 0
    try:
        with session.begin_nested():
            return enqueue(session, member_id=member_id, kind="complaint_resolved",
                           params={"name": name, "case_id": case_id,
                                   "resolution": resolution[:MAX_RESOLUTION]},
                           key=str(case_id), channels=_contact_channels(session, member_id),
                           site_id=site_id, now=now)
    except Exception:
        log.exception("case %s: the complaint-resolved notification was not queued", case_id)
        return 0


def _contact_channels(session: Session, member_id: int) -> list[str]:
    """E-mail if the member left an address (seen without decrypting), SMS if a phone."""
    from hub.models.notify import NotifyContact

    contact = session.get(NotifyContact, member_id)
    member = session.get(Member, member_id)
    channels = []
    if contact is not None and contact.email_encrypted:
        channels.append("email")
    if member is not None and member.phone_encrypted:
        channels.append("sms")
    return channels or ["kiosk"]


@cache
def low_balance_threshold() -> int:
    """CANTEEN_NOTIFY_LOW_BALANCE_CENTS, else ¥10 (read once per process)."""
    text = os.environ.get("CANTEEN_NOTIFY_LOW_BALANCE_CENTS", "")
    return int(text) if text.strip().isdigit() else LOW_BALANCE_CENTS


def low_balance_after_post(session: Session, *, member_id: int, before: int, after: int,
                           at: datetime) -> int:
    """Queue a low-balance notice when a debit took the stored balance from at or above the
    threshold to below it (once per member and day). Never raises."""
    threshold = low_balance_threshold()
    if not (after < threshold <= before):
        return 0
    name = _name(session, member_id)
    if name is None:
        return 0
    try:
        with session.begin_nested():
            channels = [c for c in _contact_channels(session, member_id) if c != "sms"]
            return enqueue(session, member_id=member_id, kind="low_balance",
                           params={"name": name, "balance": f"{max(after, 0) / 100:.2f}"},
                           key=at.date().isoformat(), channels=sorted({*channels, "kiosk"}),
                           now=at)
    except Exception:
        log.exception("member %s: the low-balance notification was not queued", member_id)
        return 0
