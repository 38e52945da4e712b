"""Face-ID on the hub: store a consented template, seal it for sites, forget it on withdrawal.

PIPL treats a face template as sensitive personal information: it is processed only
with a separate consent (``Member.consent_face_at``, given with the enrolment and never
bundled with the data or marketing consents), only to identify the member at their own
canteens' kiosks, and erased at once when the consent is withdrawn or the member erased.
The template is kept here as FieldCipher ciphertext and opened only to seal it for a
site's member cache (``hub.identity.delta`` calls ``site_face_templates``).
"""

from __future__ import annotations

import base64
import logging
import struct
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher, FieldCipherError
from hub.db_types import utcnow
from hub.errors import InvalidInputError, NotFoundError
from hub.models.face import FaceStatus, FaceTemplate
from hub.models.members import Member
from protocol.face import (
    TEMPLATE_DIM,
    FaceEnrolled,
    TemplateError,
    open_template,
    seal_template,
)
from protocol.face import FaceTemplate as WireTemplate

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from hub.ingest.handlers import Stored

log = logging.getLogger(__name__)


def _pack(vector: Sequence[float]) -> str:
    return base64.b64encode(struct.pack(f"<{TEMPLATE_DIM}f", *vector)).decode()


def _unpack(text: str) -> tuple[float, ...]:
    return struct.unpack(f"<{TEMPLATE_DIM}f", base64.b64decode(text))


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFoundError(f"member {member_id} not found")
    return member


def face_status(session: Session, member_id: int) -> FaceStatus:
    """Consent and enrolment facts of a member (never the template)."""
    member = _member(session, member_id)
    row = session.exec(select(FaceTemplate).where(FaceTemplate.member_id == member_id)).first()
    return FaceStatus(
        member_id=member_id, consent_face_at=member.consent_face_at, enrolled=row is not None,
        template_id=row.template_id if row else None, model=row.model if row else None,
        consent_version=row.consent_version if row else None,
        enrolled_by=row.enrolled_by if row else None,
        enrolled_at=row.enrolled_at if row else None)


def enrol(
    session: Session, *, cipher: FieldCipher, member_id: int, vector: Sequence[float],
    template_id: str, model: str, consent_version: str, consent_lang: str, enrolled_by: str,
    consented_at: datetime | None = None,
) -> FaceTemplate:
    """Store (or replace) the member's template and record the face consent; no commit."""
    member = _member(session, member_id)
    if not member.active:
        raise InvalidInputError("an inactive member cannot enrol a face", field="member_id")
    try:  # the same checks the wire applies: 128 finite, small numbers
        seal_template(vector, site_key=b"check", member_id="x", template_id=template_id)
    except TemplateError as err:
        raise InvalidInputError(str(err), field="template") from err
    now = utcnow()
    old = session.exec(select(FaceTemplate).where(FaceTemplate.member_id == member_id)).first()
    if old is not None:
        session.delete(old)
        session.flush()
    row = FaceTemplate(member_id=member_id, template_id=template_id, model=model,
                       template_encrypted=cipher.encrypt(_pack(vector)),
                       consent_version=consent_version, consent_lang=consent_lang,
                       enrolled_by=enrolled_by, enrolled_at=consented_at or now)
    member.consent_face_at = member.consent_face_at or consented_at or now
    member.updated_at = now
    session.add(member)
    session.add(row)
    record_audit(session, actor=enrolled_by, action="face.enrol", entity="member",
                 entity_id=member_id, member_id=member_id, at=now,
                 after={"template_id": template_id, "model": model,
                        "consent_version": consent_version, "consent_lang": consent_lang})
    return row


def forget(session: Session, *, member_id: int, actor: str) -> bool:
    """Delete the member's template (no commit); True when there was one.

    Called when the face consent is withdrawn and before a member is erased; the next
    member-cache build drops the template from every kiosk of the member's sites.
    """
    rows = session.exec(select(FaceTemplate).where(FaceTemplate.member_id == member_id)).all()
    for row in rows:
        session.delete(row)
    if rows:
        record_audit(session, actor=actor, action="face.forget", entity="member",
                     entity_id=member_id, member_id=member_id, at=utcnow(),
                     before={"template_id": rows[0].template_id})
    return bool(rows)


def withdraw(session: Session, *, member_id: int, actor: str) -> None:
    """The member withdrew the face consent: consent cleared and template deleted (no commit)."""
    member = _member(session, member_id)
    forget(session, member_id=member_id, actor=actor)
    member.consent_face_at = None
    member.updated_at = utcnow()
    session.add(member)


def site_face_templates(
    session: Session, *, cipher: FieldCipher, site_key: bytes, member_ids: Iterable[int],
    member_nos: dict[int, str],
) -> dict[int, WireTemplate]:
    """Sealed templates for a site's cache: consented members only, deterministic bytes."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(FaceTemplate, Member.consent_face_at)
        .join(Member, col(Member.id) == FaceTemplate.member_id)
        .where(col(FaceTemplate.member_id).in_(ids))
    ).all()
    out: dict[int, WireTemplate] = {}
    for row, consent_at in rows:
        if consent_at is None:  # withdrawn while a template lingered: never send it
            continue
        member_no = member_nos.get(row.member_id)
        if member_no is None:
            continue
        try:
            vector = _unpack(cipher.decrypt(row.template_encrypted))
            sealed = seal_template(vector, site_key=site_key, member_id=member_no,
                                   template_id=row.template_id)
        except (FieldCipherError, TemplateError, ValueError, struct.error) as err:
            # one unreadable template must not stop the site's member cache
            log.warning("face template of member %s skipped: %s", row.member_id, err)
            continue
        out[row.member_id] = WireTemplate(template_id=row.template_id, model=row.model,
                                          sealed=sealed)
    return out


def ingest_enrolments(conn: Connection, events: Sequence[Stored], counts: Counter[str]) -> None:
    """``face.enrolled`` from a kiosk -> the member's template (ingest handler).

    A refused enrolment (unknown member, a template that does not open with the site's
    key) is counted and logged; it never fails the batch it came in.
    """
    from pydantic import ValidationError

    from hub.identity.keys import site_identity_key
    from hub.settings import Settings

    try:  # the worker's own settings (env): face events are rare, read them per batch
        cipher = FieldCipher.from_settings(Settings())
    except (ValidationError, ValueError) as err:
        counts["face.no_cipher"] += len(events)
        log.error("face enrolments dropped: the hub's field encryption key is not set: %s", err)
        return
    with Session(bind=conn) as session:
        for stored in events:
            env = stored.envelope
            enrolment = env.payload_as(FaceEnrolled)
            member = session.exec(select(Member).where(
                Member.member_no == enrolment.member_id)).first()
            if member is None or member.id is None or not member.active:
                counts["face.unknown_member"] += 1
                log.warning("face enrolment for unknown member %s from %s/%s refused",
                            enrolment.member_id, env.site, env.device)
                continue
            try:
                site_key = site_identity_key(session=session, cipher=cipher,
                                             site_id=stored.device.site_id)
                vector = open_template(enrolment.template.sealed, site_key=site_key,
                                       member_id=enrolment.member_id,
                                       template_id=enrolment.template.template_id)
            except (TemplateError, FieldCipherError, NotFoundError) as err:
                counts["face.bad_template"] += 1
                log.warning("face enrolment %s refused: %s", env.message_id, err)
                continue
            enrol(session, cipher=cipher, member_id=member.id, vector=vector,
                  template_id=enrolment.template.template_id, model=enrolment.template.model,
                  consent_version=enrolment.consent_version,
                  consent_lang=enrolment.consent_lang,
                  enrolled_by=f"device:{env.site}/{env.device}",
                  consented_at=enrolment.consented_at)
            counts["face.enrolled"] += 1
        session.flush()
