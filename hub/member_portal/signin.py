"""One-time code sign-in and member sessions.

A member types their member number or phone number; the hub sends a 6-digit code to the
e-mail address on file (``notify_contact``), else by SMS to their phone, and answers with a
random *challenge* that names the code without naming the member. The answer is the same
whether or not the member exists, so the form tells nobody who is a member.

- a code is valid for :data:`CODE_TTL`, for one use, and for :data:`MAX_ATTEMPTS` wrong
  tries; it is kept only as an HMAC (the hub secret) of challenge and code;
- at most :data:`CODES_PER_MEMBER` codes per member and :data:`CODES_PER_ADDRESS` per
  client address in :data:`RATE_WINDOW` (the address is kept as a keyed hash);
- a session token is 32 random bytes, kept as its SHA-256; it ends after
  :data:`SESSION_TTL`, at sign-out, or when the member is deactivated or erased.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from hub.crypto import FieldCipher
from hub.errors import ServiceError
from hub.member_portal.gateway import GatewayError, Gateways
from hub.models.member_portal import MemberSession, SignInCode
from hub.models.members import Member
from hub.models.validators import normalise_phone
from hub.notify.channels import email_of

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODES_PER_MEMBER = 5
CODES_PER_ADDRESS = 20
RATE_WINDOW = timedelta(hours=1)
SESSION_TTL = timedelta(hours=12)
SESSION_PREFIX = "mps_"
"""Member session tokens start with this, so a staff JWT is never mistaken for one."""


class SignInRefused(ServiceError):
    """A sign-in step refused: ``reason`` is a stable code the pages translate."""

    status_code = 403

    def __init__(self, reason: str, message: str, *, status_code: int = 403,
                 retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.status_code = status_code
        self.retry_after_s = retry_after_s


class GatewayUnavailable(ServiceError):
    """The code could not be sent (mail server down): nothing was kept; try again."""

    status_code = 503


@dataclass(frozen=True)
class CodeSent:
    """What the browser gets back: the challenge to send with the code, and how long."""

    challenge: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionStarted:
    """A new session: the token (cookie or bearer) and when it ends."""

    token: str
    member_id: int
    expires_at: datetime


def _keyed(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def code_hash(secret: str, challenge: str, code: str) -> str:
    """The stored form of a code: an HMAC of challenge and code with the hub secret."""
    return _keyed(secret, f"member-code:{challenge}:{code}")


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, session_token: str) -> str:
    """The synchronizer token of a session: forms and cookie-authenticated writes send it."""
    return _keyed(secret, f"member-csrf:{session_token}")[:40]


def _find_member(session: Session, cipher: FieldCipher, identifier: str) -> Member | None:
    text = identifier.strip()
    member = session.exec(select(Member).where(Member.member_no == text)).first()
    if member is None:
        try:
            phone = normalise_phone(text)
        except ValueError:
            return None
        member = session.exec(
            select(Member).where(Member.phone_hash == cipher.lookup_hash(phone))
        ).first()
    return member if member is not None and member.active else None


def _count_since(session: Session, column: object, value: object, since: datetime) -> int:
    return int(session.exec(
        select(func.count()).select_from(SignInCode)
        .where(column == value, col(SignInCode.created_at) > since)
    ).one())


def _message(code: str, minutes: int) -> tuple[str, str]:
    subject = "食堂会员登录验证码 Canteen sign-in code"
    body = (f"您的登录验证码：{code}（{minutes} 分钟内有效，请勿告诉他人）。\n"
            f"Your sign-in code: {code} (valid for {minutes} minutes; do not share it).\n")
    return subject, body


def request_code(session: Session, *, cipher: FieldCipher, secret: str, gateways: Gateways,
                 identifier: str, address: str, language: str, now: datetime) -> CodeSent:
    """Send a code to the member named by ``identifier``, if there is one (commits)."""
    challenge = secrets.token_urlsafe(24)
    expires_at = now + CODE_TTL
    address_hash = _keyed(secret, f"member-address:{address}")
    since = now - RATE_WINDOW
    if _count_since(session, SignInCode.address_hash, address_hash, since) >= CODES_PER_ADDRESS:
        raise SignInRefused("address_limit", "too many codes asked from this address: "
                            "try again in an hour", status_code=429,
                            retry_after_s=int(RATE_WINDOW.total_seconds()))
    member = _find_member(session, cipher, identifier)
    if member is None or member.id is None:
        log.info("sign-in code asked for no active member")
        return CodeSent(challenge, expires_at)  # the same answer: nobody learns who is a member
    if _count_since(session, SignInCode.member_id, member.id, since) >= CODES_PER_MEMBER:
        raise SignInRefused("member_limit", "too many codes asked for this member: "
                            "try again in an hour", status_code=429,
                            retry_after_s=int(RATE_WINDOW.total_seconds()))
    code = f"{secrets.randbelow(10**6):06d}"
    subject, body = _message(code, int(CODE_TTL.total_seconds() // 60))
    email = email_of(session, cipher, member.id)
    phone = cipher.decrypt(member.phone_encrypted) if member.phone_encrypted else None
    if email and gateways.mail is not None:
        channel = "email"
    elif phone and gateways.sms is not None:
        channel = "sms"
    else:
        log.warning("member %s has no e-mail or phone the hub can reach: no code sent", member.id)
        return CodeSent(challenge, expires_at)
    session.add(SignInCode(member_id=member.id, challenge=challenge, channel=channel,
                           code_hash=code_hash(secret, challenge, code),
                           address_hash=address_hash, created_at=now, expires_at=expires_at))
    session.flush()
    try:
        if channel == "email":
            assert gateways.mail is not None and email
            gateways.mail.send_mail(to=email, subject=subject, body=body, language=language)
        else:
            assert gateways.sms is not None and phone
            gateways.sms.send_sms(phone=phone, text=body)
    except GatewayError as err:
        session.rollback()  # no code kept that nobody received
        log.warning("sign-in code for member %s not sent: %s", member.id, err)
        raise GatewayUnavailable("the code could not be sent just now: try again later") from err
    session.commit()
    return CodeSent(challenge, expires_at)


def verify_code(session: Session, *, secret: str, challenge: str, code: str,
                now: datetime) -> SessionStarted:
    """Trade a right, fresh code for a session (commits); each refusal says why."""
    row = session.exec(select(SignInCode).where(SignInCode.challenge == challenge)).first()
    if row is None or row.id is None:
        raise SignInRefused("wrong", "wrong code")
    if row.used_at is not None:
        raise SignInRefused("used", "this code was already used: ask for a new one")
    if row.expires_at <= now:
        raise SignInRefused("expired", "the code has expired: ask for a new one")
    if row.attempts >= MAX_ATTEMPTS:
        raise SignInRefused("attempts", "too many wrong tries: ask for a new code",
                            status_code=429)
    right = hmac.compare_digest(row.code_hash, code_hash(secret, challenge, code.strip()))
    live = (col(SignInCode.id) == row.id, col(SignInCode.used_at).is_(None),
            col(SignInCode.attempts) < MAX_ATTEMPTS)
    if not right:
        left = MAX_ATTEMPTS - row.attempts - 1
        session.exec(update(SignInCode).where(*live)
                     .values(attempts=SignInCode.attempts + 1))
        session.commit()
        raise SignInRefused("wrong", f"wrong code ({max(left, 0)} tries left)")
    taken = session.exec(update(SignInCode).where(*live)
                         .values(used_at=now))
    if taken.rowcount != 1:  # another request used it (or the last try) a moment ago
        session.rollback()
        raise SignInRefused("used", "this code was already used: ask for a new one")
    member = session.get(Member, row.member_id)
    if member is None or not member.active:
        session.rollback()
        raise SignInRefused("wrong", "wrong code")
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + SESSION_TTL
    session.add(MemberSession(member_id=row.member_id, token_hash=token_hash(token),
                              created_at=now, expires_at=expires_at, last_seen_at=now))
    session.commit()
    return SessionStarted(token, row.member_id, expires_at)


def session_member(session: Session, *, token: str, now: datetime) -> MemberSession | None:
    """The live session of ``token`` (its member still active), else None."""
    if not token.startswith(SESSION_PREFIX) or len(token) > 200:
        return None
    row = session.exec(
        select(MemberSession).where(MemberSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    member = session.get(Member, row.member_id)
    if member is None or not member.active:
        return None
    return row


def end_session(session: Session, *, token: str, now: datetime) -> None:
    """Sign out: the session ends for good (commits)."""
    session.exec(update(MemberSession)
                 .where(col(MemberSession.token_hash) == token_hash(token),
                        col(MemberSession.ended_at).is_(None))
                 .values(ended_at=now))
    session.commit()
