"""Member-cache deltas per site: diff what kiosks should hold against what was last published.

A site's kiosks hold only the members entitled to eat there (``hub.identity.entitlement``:
the members of the site's organisation); a member who changes organisation is removed
from the old sites' caches and added to the new ones' by the same diff.

The hub keeps, per site, every identifier hash it has published with its row and the
version it last changed (``member_cache_entry``). A build first refreshes that table from
the current members, cards and balances (so any code path that changes them is picked up,
with no hook in other services), then answers "what changed since version f" from it.

Versions on the wire are ``site version × PART_BASE``. A full snapshot larger than one
message may carry (``MAX_MEMBERS_PER_DELTA``) is sent in parts: part 1 is ``full`` and
ends at ``(V-1)·PART_BASE + 1``, each next part continues from the previous part's
version, the last ends at ``V·PART_BASE``. A device holding a partial version asks again
and gets the next part, or a fresh full snapshot if the hub has moved on meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.crm.campaign_channels import pending_messages
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.errors import ConflictError, InvalidInputError
from hub.face.service import site_face_templates
from hub.identity.entitlement import entitled_members, site_organisation
from hub.identity.keys import site_identity_key
from hub.identity.masking import mask_name
from hub.models.accounts import DEFAULT_OFFLINE_LIMIT_CENTS, MemberAccount
from hub.models.identity import CardStatus, MemberCacheEntry, MemberCacheSite, MemberCard
from hub.models.members import Member
from protocol.member_cache import MAX_MEMBERS_PER_DELTA, CachedMember, MemberCacheDelta
from protocol.tokens import identifier_hash

log = logging.getLogger(__name__)

PART_BASE = 1000
DEFAULT_TIER = "standard"
_entry = MemberCacheEntry.__table__  # type: ignore[attr-defined]
_site = MemberCacheSite.__table__  # type: ignore[attr-defined]


def _tier(code: str | None) -> str:
    # CachedMember.tier is a lowercase code; anything else falls back to the default tier.
    if code and code.islower() and code.replace("_", "").isalnum() and code[0].isalpha():
        return code[:32]
    return DEFAULT_TIER


def current_rows(
    session: Session, *, cipher: FieldCipher, site_key: bytes, organisation_id: int | None
) -> Iterator[tuple[str, str]]:
    """(identifier hash, CachedMember JSON) of every identifier a kiosk of the site should hold.

    ``organisation_id``: the site's organisation; only the members it serves are listed.
    """
    entitled = entitled_members(organisation_id)
    served = select(Member.id).where(entitled)
    accounts = {a.member_id: a for a in session.exec(
        select(MemberAccount).where(col(MemberAccount.member_id).in_(served))).all()}
    cards: dict[int, list[str]] = {}
    for member_id, encrypted in session.exec(
        select(MemberCard.member_id, MemberCard.card_encrypted).where(
            MemberCard.status == CardStatus.ACTIVE.value, col(MemberCard.member_id).in_(served)
        )
    ).all():
        cards.setdefault(member_id, []).append(cipher.decrypt(encrypted))
    members = session.exec(
        select(Member.id, Member.member_no, Member.name)
        .where(col(Member.active).is_(True), entitled)
    ).all()
    # Greetings and complaint follow-ups waiting for the member's next visit (hub.crm).
    messages = pending_messages(session, now=utcnow())
    # Sealed face templates of consenting members, on their member-code row only (hub.face).
    faces = site_face_templates(session, cipher=cipher, site_key=site_key,
                                member_ids=[m for m, _, _ in members if m is not None],
                                member_nos={m: no for m, no, _ in members if m is not None})
    for mid, member_no, name in members:
        if mid is None:
            continue
        account = accounts.get(mid)
        row = CachedMember(
            identifier_hash="0" * 64,
            member_id=member_no,
            display_name=mask_name(name),
            tier=_tier(account.tier_code if account else None),
            balance_cents=max(0, account.paid_cents) + account.bonus_cents if account else 0,
            subsidy_cents=account.subsidy_cents if account else 0,
            points=account.points if account else 0,
            offline_limit_cents=(
                account.offline_limit_cents if account else DEFAULT_OFFLINE_LIMIT_CENTS
            ),
            messages=messages.get(mid, ()),
        )
        identifiers = [identifier_hash("member", member_no, site_key)]
        identifiers += [identifier_hash("card", c, site_key) for c in cards.get(mid, [])]
        face = faces.get(mid)
        for digest in identifiers:
            update = {"identifier_hash": digest, "face": face if digest == identifiers[0] else None}
            yield digest, row.model_copy(update=update).model_dump_json()


def refresh_site(session: Session, *, cipher: FieldCipher, site_id: int) -> int:
    """Bring the site's published table up to date; return the site version (committed)."""
    site_key = site_identity_key(session=session, cipher=cipher, site_id=site_id)
    organisation_id = site_organisation(session, site_id)
    state = session.get(MemberCacheSite, site_id)
    old_version = state.version if state else 0
    new_version = old_version + 1
    stored = {
        h: (i, p, r)
        for i, h, p, r in session.execute(
            sa.select(
                _entry.c.id, _entry.c.identifier_hash, _entry.c.payload, _entry.c.removed
            ).where(_entry.c.site_id == site_id)
        ).all()
    }
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    seen: set[str] = set()
    for digest, payload in current_rows(session, cipher=cipher, site_key=site_key,
                                        organisation_id=organisation_id):
        seen.add(digest)
        old = stored.get(digest)
        if old is None:
            inserts.append(
                {
                    "site_id": site_id,
                    "identifier_hash": digest,
                    "payload": payload,
                    "version": new_version,
                    "removed": False,
                }
            )
        elif old[2] or old[1] != payload:
            updates.append({"eid": old[0], "payload": payload, "removed": False})
    for digest, (eid, payload, removed) in stored.items():
        if not removed and digest not in seen:
            updates.append({"eid": eid, "payload": payload, "removed": True})
    if state is not None and not inserts and not updates:
        session.rollback()
        return old_version
    if state is None:
        session.execute(
            sa.insert(_site).values(
                site_id=site_id, version=new_version, horizon=0, updated_at=utcnow()
            )
        )
    else:
        # Optimistic: a concurrent build of the same site makes this update match no row.
        done = session.execute(
            sa.update(_site)
            .where(_site.c.site_id == site_id, _site.c.version == old_version)
            .values(version=new_version, updated_at=utcnow())
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise ConflictError(f"member cache of site {site_id} is being built concurrently")
    if inserts:
        session.execute(sa.insert(_entry), inserts)
    if updates:
        session.execute(
            sa.update(_entry)
            .where(_entry.c.id == sa.bindparam("eid"))
            .values(
                payload=sa.bindparam("payload"),
                removed=sa.bindparam("removed"),
                version=new_version,
            ),
            updates,
        )
    session.commit()
    log.info(
        "member cache of site %s: version %d (%d new, %d changed)",
        site_id,
        new_version,
        len(inserts),
        len(updates),
    )
    return new_version


def _rows(session: Session, site_id: int, *, after: int | None) -> list[tuple[str, str, bool]]:
    stmt = sa.select(_entry.c.identifier_hash, _entry.c.payload, _entry.c.removed).where(
        _entry.c.site_id == site_id
    )
    stmt = (
        stmt.where(_entry.c.removed.is_(False))
        if after is None
        else stmt.where(_entry.c.version > after)
    )
    return [(h, p, bool(r)) for h, p, r in session.execute(stmt.order_by(_entry.c.identifier_hash))]


def _full_part(
    session: Session,
    site_id: int,
    version: int,
    part: int,
    from_version: int,
    now: datetime,
    cap: int,
) -> MemberCacheDelta:
    rows = _rows(session, site_id, after=None)
    parts = max(1, -(-len(rows) // cap))
    if part >= parts:  # the snapshot shrank since the device's last part: start again
        part = 0
    chunk = rows[part * cap : (part + 1) * cap]
    last = part == parts - 1
    to_version = version * PART_BASE if last else (version - 1) * PART_BASE + part + 1
    upserts = tuple(CachedMember.model_validate_json(p) for _, p, _ in chunk)
    if part == 0:
        return MemberCacheDelta(
            from_version=from_version,
            to_version=to_version,
            full=True,
            generated_at=now,
            upserts=upserts,
        )
    return MemberCacheDelta(
        from_version=(version - 1) * PART_BASE + part,
        to_version=to_version,
        generated_at=now,
        upserts=upserts,
    )


def build_member_delta(
    session: Session,
    *,
    cipher: FieldCipher,
    site_id: int,
    from_version: int,
    now: datetime | None = None,
    max_entries: int = MAX_MEMBERS_PER_DELTA,
) -> MemberCacheDelta | None:
    """What a device of the site at ``from_version`` must apply next; None when up to date."""
    if from_version < 0:
        raise InvalidInputError("from_version must be >= 0", field="from_version")
    now = now or utcnow()
    version = refresh_site(session, cipher=cipher, site_id=site_id)
    state = session.get(MemberCacheSite, site_id)
    horizon = state.horizon if state else 0
    current = version * PART_BASE
    if from_version == current:
        return None
    base, part = divmod(from_version, PART_BASE)
    if part:  # the device holds part `part` of the snapshot of version base + 1
        if base + 1 == version:
            return _full_part(session, site_id, version, part, from_version, now, max_entries)
        return _full_part(session, site_id, version, 0, from_version, now, max_entries)
    if from_version == 0 or from_version > current or base < horizon:
        return _full_part(session, site_id, version, 0, from_version, now, max_entries)
    changed = _rows(session, site_id, after=base)
    if len(changed) > max_entries:
        return _full_part(session, site_id, version, 0, from_version, now, max_entries)
    upserts = tuple(CachedMember.model_validate_json(p) for _, p, r in changed if not r)
    removals = tuple(h for h, _, r in changed if r)
    return MemberCacheDelta(
        from_version=from_version,
        to_version=current,
        generated_at=now,
        upserts=upserts,
        removals=removals,
    )


def prune_removals(session: Session, *, site_id: int, keep_versions: int) -> int:
    """Forget removals older than ``keep_versions`` versions; devices behind get a full snapshot."""
    state = session.get(MemberCacheSite, site_id)
    if state is None:
        return 0
    horizon = max(0, state.version - keep_versions)
    done = session.execute(
        sa.delete(_entry).where(
            _entry.c.site_id == site_id, _entry.c.removed.is_(True), _entry.c.version <= horizon
        )
    )
    state.horizon = max(state.horizon, horizon)
    session.add(state)
    session.commit()
    return int(done.rowcount)  # type: ignore[attr-defined]
