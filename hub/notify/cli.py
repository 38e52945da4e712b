"""`canteen-hub notify ...`: queue the daily notifications, deliver the outbox, set a contact.

    canteen-hub notify enqueue-daily [--at ISO-TIME]   birthday care, win-back, reminders
    canteen-hub notify dispatch [--at ISO-TIME]        deliver what is due
    canteen-hub notify run [--at ISO-TIME]             both (what the timer runs)
    canteen-hub notify contact MEMBER_NO [--email ADDRESS] --language zh|en

The hub's database settings come from CANTEEN_*; the dispatcher's (SMTP server, quiet
hours, cap, retries) from CANTEEN_NOTIFY_* (hub.notify.config). Exit 2: bad arguments or
settings; 3: refused (schema not migrated, unknown member, bad address).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session, select

EXIT_CONFIG = 2
EXIT_REFUSED = 3


def _aware(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from err
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("--at needs a time zone, e.g. 2026-03-01T09:00+08:00")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canteen-hub notify",
                                     description="Member notifications: outbox and delivery.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, what in (("enqueue-daily", "queue birthday care, win-back and booking reminders"),
                       ("dispatch", "deliver the notifications that are due"),
                       ("run", "enqueue-daily, then dispatch (the timer's job)")):
        p = sub.add_parser(name, help=what)
        p.add_argument("--at", type=_aware, default=None, help="as of this time (default now)")
    contact = sub.add_parser("contact", help="set a member's e-mail address and language")
    contact.add_argument("member_no")
    contact.add_argument("--email", default=None, help="the address (omit to remove it)")
    contact.add_argument("--language", choices=("zh", "en"), required=True)
    return parser


def run(command: str, *, at: datetime | None = None, member_no: str | None = None,
        email: str | None = None, language: str | None = None) -> int:
    """Run one command against the hub's database; the exit status."""
    from hub.crypto import FieldCipher
    from hub.db import make_engine
    from hub.db_types import utcnow
    from hub.errors import ServiceError
    from hub.migrate import NOT_MIGRATED, is_migrated
    from hub.models.members import Member
    from hub.notify.channels import build_channels
    from hub.notify.config import NotifySettings
    from hub.notify.producers import enqueue_daily
    from hub.notify.service import dispatch, set_contact
    from hub.settings import Settings

    try:
        settings, config = Settings(), NotifySettings()
    except ValidationError as err:
        for e in err.errors():
            print(f"config error: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                  file=sys.stderr)
        return EXIT_CONFIG
    cipher = FieldCipher.from_settings(settings)
    now = at or utcnow()
    engine = make_engine(settings)
    try:
        if not is_migrated(engine, schema=settings.db_schema):
            print(f"refused: {NOT_MIGRATED}", file=sys.stderr)
            return EXIT_REFUSED
        if command == "contact":
            with Session(engine) as s:
                member = s.exec(select(Member).where(Member.member_no == member_no)).first()
                if member is None or member.id is None:
                    print(f"refused: no member {member_no!r}", file=sys.stderr)
                    return EXIT_REFUSED
                try:
                    set_contact(s, cipher, member_id=member.id, email=email,
                                language=language or "zh", now=now)
                except ServiceError as err:
                    print(f"refused: {err.field}: {err}", file=sys.stderr)
                    return EXIT_REFUSED
                s.commit()
            print(f"contact of {member_no}: {'e-mail set' if email else 'no e-mail'}, "
                  f"language {language}")
            return 0
        if command in ("enqueue-daily", "run"):
            with Session(engine) as s:
                queued = enqueue_daily(s, now=now, config=config, cipher=cipher)
            print("queued: " + ", ".join(f"{k} {v}" for k, v in queued.items()))
        if command in ("dispatch", "run"):
            report = dispatch(engine, build_channels(config, cipher), config, now=now)
            print(f"dispatched: {report}")
        return 0
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `canteen-hub notify`."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    return run(args.command, at=getattr(args, "at", None),
               member_no=getattr(args, "member_no", None),
               email=getattr(args, "email", None), language=getattr(args, "language", None))
