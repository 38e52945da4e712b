"""Publish a site's member-cache delta (member.delta) and remember what devices were sent.

The version a site's devices were last sent (``sync_member_publish``) moves only after
the broker's PUBACK, so a crash between building and publishing is covered by the next
build (it diffs from the last *published* version). A device that reports (heartbeat) a
cache it cannot catch up from gets a full snapshot; so does every device after
``full=True``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.downlinks.catalog import HUB_ID, Published, Publisher, UnknownSite
from hub.identity.delta import build_member_delta
from hub.models import Site
from hub.models.downlinks import MemberPublish
from protocol import encode, make_envelope

log = logging.getLogger(__name__)

# A device may lag one publish behind while a delta is on its way: only a cache still
# off after this long (and a heartbeat sent after it) asks for a full snapshot.
FULL_REQUEST_GRACE = timedelta(seconds=60)
HEARTBEAT_CACHE_KEY = "agent_member_cache_version"  # edge_agent's stopgap heartbeat field
_pub = MemberPublish.__table__  # type: ignore[attr-defined]


def publish_member_delta(
    engine: Engine, *, cipher: FieldCipher, site_code: str, publisher: Publisher,
    full: bool = False,
) -> Published | None:
    """Build what the site's devices need next and publish it; None when they are up to date."""
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == site_code,
                                               Site.active == True)).first()  # noqa: E712
        if site is None or site.id is None:
            raise UnknownSite(f"no active site {site_code!r}")
        site_id = site.id
        state = session.get(MemberPublish, site_id)
        wanted_full = full or state is None or state.full_requested_at is not None
        from_version = 0 if wanted_full else state.to_version  # type: ignore[union-attr]
        delta = build_member_delta(session, cipher=cipher, site_id=site_id,
                                   from_version=from_version)
    if delta is None:
        return None
    env = make_envelope("member.delta", delta, site=site_code, device=HUB_ID)
    raw = encode(env)
    topic = env.topic()
    publisher.publish(topic, raw, qos=env.spec.qos, retain=env.spec.retain)
    _remember(engine, site_id, delta.to_version, utcnow())
    log.info("member.delta %d -> %d%s of site %s published (%d bytes, %d upserts, %d removals)",
             delta.from_version, delta.to_version, " (full)" if delta.full else "", site_code,
             len(raw), len(delta.upserts), len(delta.removals))
    return Published(site_code, delta.to_version, topic, len(raw))


def _remember(engine: Engine, site_id: int, to_version: int, at: datetime) -> None:
    with engine.begin() as conn:
        done = conn.execute(sa.update(_pub).where(_pub.c.site_id == site_id)
                            .values(to_version=to_version, published_at=at,
                                    full_requested_at=None))
        if done.rowcount == 0:
            conn.execute(sa.insert(_pub).values(site_id=site_id, to_version=to_version,
                                                published_at=at))


def note_cache_versions(
    conn: Connection, reports: list[tuple[int, str | None, datetime]], now: datetime
) -> int:
    """Ingest side: (site id, reported cache version, heartbeat time) -> full requests made."""
    sites = {site_id for site_id, _, _ in reports}
    if not sites:
        return 0
    state = {
        r.site_id: r for r in conn.execute(
            sa.select(_pub.c.site_id, _pub.c.to_version, _pub.c.published_at,
                      _pub.c.full_requested_at).where(_pub.c.site_id.in_(sites)))
    }
    wanting = set()
    for site_id, reported, sent_at in reports:
        row = state.get(site_id)
        if row is None or row.published_at is None or row.full_requested_at is not None:
            continue
        if reported is None or not reported.isdigit() or int(reported) == row.to_version:
            continue
        if sent_at > row.published_at + FULL_REQUEST_GRACE:
            wanting.add(site_id)
    if wanting:
        conn.execute(sa.update(_pub).where(_pub.c.site_id.in_(wanting),
                                           _pub.c.full_requested_at.is_(None))
                     .values(full_requested_at=now))
        log.info("member cache: full snapshot requested for sites %s", sorted(wanting))
    return len(wanting)
