"""Queue notifications and deliver them.

``enqueue`` renders a kind's template in the member's language and queues one outbox row
per channel under a unique dedupe key (``kind:member:key:channel``): queuing the same
notification again changes nothing. ``dispatch`` takes up the rows that are due, one at a
time, and decides at that moment:

1. member inactive -> suppressed;
2. a marketing kind (birthday, win-back) and no marketing consent *now* -> suppressed
   (service kinds - complaint resolved, booking reminder, low balance - need none);
3. e-mail or SMS during quiet hours (site's local time) -> deferred to their end;
4. a marketing kind and the member already got ``marketing_cap`` marketing messages on
   this channel in ``cap_days`` -> suppressed;
5. otherwise an attempt: sent; or on a passing failure retried after an exponentially
   growing wait until ``max_attempts``, then failed; a permanent refusal fails at once;
   no address on the channel -> suppressed.

Every step that touches a row writes a line in ``notify_delivery``. A row is claimed by
moving its ``next_attempt_at`` past a lease in one guarded UPDATE (committed before the
send), so two dispatchers running together never send the same row.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import InvalidInputError, NotFoundError
from hub.models.members import Member
from hub.models.notify import Delivery, NotifyContact, Outbox, OutboxState
from hub.models.sites import Site
from hub.notify.channels import (
    CHANNEL_CODES,
    Channel,
    PermanentError,
    RetryableError,
    Unreachable,
    email_of,
)
from hub.notify.config import NotifySettings
from hub.notify.templates import KINDS, LANGUAGES, TemplateError, kind_of, render

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_KEY = 100
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "birthday": ("kiosk", "email"),
    "winback": ("kiosk", "email"),
    "complaint_resolved": ("email", "sms"),
    "booking_reminder": ("email", "sms"),
    "low_balance": ("kiosk", "email"),
}
QUIET_CHANNELS = frozenset({"email", "sms"})  # a kiosk greeting waits for a visit anyway
OUTCOMES = ("sent", "retry", "failed", "deferred", "suppressed")


def _text_for(channel: str, kind: str, language: str,
              params: Mapping[str, object]) -> tuple[str, str]:
    r = render(kind, language, params)
    subject = " ".join(r.subject.split())  # never a line break in a mail header
    return (subject, r.body) if channel == "email" else (subject, r.short)


def language_of(session: Session, member_id: int) -> str:
    """The member's message language (zh unless their contact says en)."""
    contact = session.get(NotifyContact, member_id)
    return contact.language if contact is not None else "zh"


def set_contact(session: Session, cipher: FieldCipher, *, member_id: int,
                email: str | None, language: str, now: datetime | None = None
                ) -> NotifyContact:
    """Set (or with email None/"" clear) the member's e-mail and language; flush only."""
    if session.get(Member, member_id) is None:
        raise NotFoundError(f"member {member_id} not found")
    if language not in LANGUAGES:
        raise InvalidInputError(f"language must be one of {', '.join(LANGUAGES)}",
                                field="language")
    address = (email or "").strip()
    if address and (len(address) > 254 or not EMAIL.match(address)):
        raise InvalidInputError("not an e-mail address", field="email")
    contact = session.get(NotifyContact, member_id) or NotifyContact(member_id=member_id)
    contact.email_encrypted = cipher.encrypt(address) if address else None
    contact.language = language
    contact.updated_at = now or utcnow()
    session.add(contact)
    session.flush()
    return contact


def enqueue(session: Session, *, member_id: int, kind: str, params: Mapping[str, object],
            key: str, channels: Sequence[str] | None = None, site_id: int | None = None,
            cipher: FieldCipher | None = None, now: datetime | None = None) -> int:
    """Queue ``kind`` for the member on each channel; how many rows were new (flush only).

    With ``channels`` None the kind's default channels are used, less e-mail when the
    member has no address (needs ``cipher`` to look) and SMS when they have no phone.
    Refused before anything is written: unknown kind, language or channel, parameters that
    do not fit the template, an unknown member, an empty or long key.
    """
    spec = kind_of(kind)
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise InvalidInputError(f"the dedupe key must be 1-{MAX_KEY} characters", field="key")
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    if channels is None:
        chosen = [c for c in DEFAULT_CHANNELS[kind] if _reachable(session, member, c, cipher)]
    else:
        unknown = [c for c in channels if c not in CHANNEL_CODES]
        if unknown:
            raise InvalidInputError(f"unknown channel(s) {unknown}; known: "
                                    f"{', '.join(CHANNEL_CODES)}", field="channels")
        chosen = list(dict.fromkeys(channels))
    language = language_of(session, member_id)
    now = now or utcnow()
    rows: list[dict[str, object]] = []
    for channel in chosen:
        subject, body = _text_for(channel, kind, language, params)  # TemplateError: nothing
        rows.append({
            "member_id": member_id, "site_id": site_id, "kind": kind, "channel": channel,
            "language": language, "marketing": spec.marketing, "subject": subject,
            "body": body, "params": {k: str(v) for k, v in params.items()},
            "dedupe_key": f"{kind}:{member_id}:{key}:{channel}",
            "state": OutboxState.QUEUED.value, "attempts": 0, "next_attempt_at": now,
            "created_at": now})
    return sum((_insert_new(session, row) for row in rows), 0)


def _reachable(session: Session, member: Member, channel: str,
               cipher: FieldCipher | None) -> bool:
    if channel == "email":
        return cipher is not None and member.id is not None and bool(
            email_of(session, cipher, member.id))
    if channel == "sms":
        return bool(member.phone_encrypted)
    return True


def _insert_new(session: Session, row: Mapping[str, object]) -> int:
    table = Outbox.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        stmt: sa.Insert = postgresql.insert(table).values(row).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
    else:
        stmt = sqlite.insert(table).values(row).on_conflict_do_nothing(
            index_elements=["dedupe_key"])
    # RETURNING says whether a row went in (psycopg's rowcount is -1 for this statement).
    return len(session.execute(stmt.returning(table.c.id)).all())


# --- dispatch -------------------------------------------------------------------------


@dataclass
class DispatchReport:
    """What one dispatch run did, by outcome."""

    counts: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return ", ".join(f"{o} {self.counts[o]}" for o in OUTCOMES)


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local time of day falls in [start, end) (a window may cross midnight)."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_end_after(now: datetime, zone: ZoneInfo, end: time) -> datetime:
    """The first moment at ``end`` local time after ``now``."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), end, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return candidate


def backoff(attempts: int, config: NotifySettings) -> timedelta:
    """The wait after failed attempt number ``attempts`` (1, 2, ...): base x 2^(n-1)."""
    return timedelta(seconds=min(config.retry_base_s * 2 ** (attempts - 1), config.retry_max_s))


def _due_ids(engine: Engine, now: datetime, limit: int) -> list[int]:
    with Session(engine) as s:
        return [i for i in s.exec(
            select(Outbox.id).where(Outbox.state == OutboxState.QUEUED,
                                    Outbox.next_attempt_at <= now)
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id)).limit(limit)).all()
            if i is not None]


def _claim(engine: Engine, outbox_id: int, now: datetime) -> bool:
    """Take the row for this dispatcher: only one UPDATE can still find it due."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(table)
            .where(table.c.id == outbox_id, table.c.state == OutboxState.QUEUED.value,
                   table.c.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE))
        return bool(result.rowcount == 1)


def dispatch(engine: Engine, channels: Mapping[str, Channel], config: NotifySettings, *,
             now: datetime | None = None) -> DispatchReport:
    """Deliver every due row (at most ``config.batch``); each row committed on its own."""
    now = now or utcnow()
    report = DispatchReport()
    for outbox_id in _due_ids(engine, now, config.batch):
        if not _claim(engine, outbox_id, now):
            continue  # another dispatcher took it
        with Session(engine) as s:
            item = s.get(Outbox, outbox_id)
            assert item is not None
            outcome = _deliver(s, item, channels, config, now)
            s.commit()
        report.counts[outcome] += 1
    return report


def _log(session: Session, item: Outbox, outcome: str, detail: str, now: datetime) -> str:
    assert item.id is not None
    session.add(Delivery(outbox_id=item.id, attempt=item.attempts, channel=item.channel,
                         outcome=outcome, detail=detail[:500], at=now))
    return outcome


def _finish(session: Session, item: Outbox, state: OutboxState, reason: str | None,
            now: datetime, outcome: str, detail: str) -> str:
    item.state, item.reason = state.value, (reason[:300] if reason else None)
    item.next_attempt_at = now
    if state is OutboxState.SENT:
        item.sent_at = now
    session.add(item)
    return _log(session, item, outcome, detail, now)


def _zone(session: Session, item: Outbox, config: NotifySettings) -> ZoneInfo:
    site = session.get(Site, item.site_id) if item.site_id is not None else None
    return ZoneInfo(site.timezone if site is not None else config.timezone)


def _marketing_sent(session: Session, item: Outbox, since: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(Outbox).where(
        Outbox.member_id == item.member_id, Outbox.channel == item.channel,
        col(Outbox.marketing).is_(True), Outbox.state == OutboxState.SENT,
        col(Outbox.sent_at) >= since)).one())


def _deliver(session: Session, item: Outbox, channels: Mapping[str, Channel],
             config: NotifySettings, now: datetime) -> str:
    member = session.get(Member, item.member_id)
    suppressed = OutboxState.SUPPRESSED
    if member is None or not member.active:
        return _finish(session, item, suppressed, "member inactive", now, "suppressed",
                       "member inactive")
    if item.marketing and member.consent_marketing_at is None:
        why = "no marketing consent at send time"
        return _finish(session, item, suppressed, why, now, "suppressed", why)
    channel = channels.get(item.channel)
    if channel is None:
        why = f"channel {item.channel} not available"
        return _finish(session, item, suppressed, why, now, "suppressed", why)
    if item.channel in QUIET_CHANNELS:
        zone = _zone(session, item, config)
        if in_quiet_hours(now.astimezone(zone).time(), config.quiet_start, config.quiet_end):
            item.next_attempt_at = quiet_end_after(now, zone, config.quiet_end)
            session.add(item)
            return _log(session, item, "deferred",
                        f"quiet hours until {item.next_attempt_at.isoformat()}", now)
    if item.marketing:
        count = _marketing_sent(session, item, now - timedelta(days=config.cap_days))
        if count >= config.marketing_cap:
            why = (f"frequency cap: {count} marketing messages on {item.channel} in "
                   f"{config.cap_days} days (cap {config.marketing_cap})")
            return _finish(session, item, suppressed, why, now, "suppressed", why)
    item.attempts += 1
    try:
        detail = channel.send(session, item, member, now)
    except Unreachable as err:
        return _finish(session, item, suppressed, str(err), now, "suppressed", str(err))
    except PermanentError as err:
        return _finish(session, item, OutboxState.FAILED, str(err), now, "failed", str(err))
    except Exception as err:  # RetryableError, or a channel's bug: try again later
        if not isinstance(err, RetryableError):
            log.exception("notification %s: channel %s failed", item.id, item.channel)
        why = str(err) if isinstance(err, RetryableError) else f"{type(err).__name__}: {err}"
        if item.attempts >= config.max_attempts:
            return _finish(session, item, OutboxState.FAILED,
                           f"gave up after {item.attempts} attempts: {why}", now, "failed", why)
        item.next_attempt_at = now + backoff(item.attempts, config)
        session.add(item)
        return _log(session, item, "retry",
                    f"{why}; next attempt at {item.next_attempt_at.isoformat()}", now)
    return _finish(session, item, OutboxState.SENT, None, now, "sent", detail)


# --- reading --------------------------------------------------------------------------


def list_outbox(session: Session, *, state: str | None = None, kind: str | None = None,
                member_id: int | None = None, limit: int = 50, offset: int = 0
                ) -> tuple[list[Outbox], int]:
    """Outbox rows, newest first, with the total; filters by state, kind and member."""
    if state is not None and state not in {s.value for s in OutboxState}:
        raise InvalidInputError(f"unknown state {state!r}", field="state")
    if kind is not None and kind not in KINDS:
        raise TemplateError(f"unknown notification kind {kind!r}", field="kind")
    conds = [c for c in (
        (Outbox.state == state) if state else None,
        (Outbox.kind == kind) if kind else None,
        (Outbox.member_id == member_id) if member_id is not None else None) if c is not None]
    rows = session.exec(select(Outbox).where(*conds)
                        .order_by(col(Outbox.id).desc()).offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Outbox).where(*conds)).one()
    return list(rows), int(total)


def list_deliveries(session: Session, *, outbox_ids: Iterable[int] | None = None,
                    outcome: str | None = None, limit: int = 50, offset: int = 0
                    ) -> tuple[list[Delivery], int]:
    """Delivery log lines, newest first, with the total."""
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInputError(f"unknown outcome {outcome!r}", field="outcome")
    conds: list[Any] = []
    if outbox_ids is not None:
        conds.append(col(Delivery.outbox_id).in_(list(outbox_ids)))
    if outcome:
        conds.append(Delivery.outcome == outcome)
    rows = session.exec(select(Delivery).where(*conds)
                        .order_by(col(Delivery.id).desc()).offset(offset).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Delivery).where(*conds)).one()
    return list(rows), int(total)


def state_counts(session: Session) -> dict[str, int]:
    """Outbox rows per state (every state, zero included)."""
    found = dict(session.exec(select(Outbox.state, func.count()).group_by(
        col(Outbox.state))).all())
    return {s.value: int(found.get(s.value, 0)) for s in OutboxState}
