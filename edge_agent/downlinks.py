"""Apply downlinks (catalog, member cache delta, device config, bookings): atomically, only
when newer."""

from __future__ import annotations

import json
import logging
import sqlite3
import time

from edge_agent import face_store
from edge_agent.db import bump_counter
from edge_agent.errors import DownlinkRefused
from edge_agent.outbox import write_txn
from protocol.codec import parse
from protocol.errors import ProtocolError
from protocol.member_cache import MemberCacheDelta
from protocol.payloads.bookings import BookingsSnapshot
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.config import DeviceConfig
from protocol.topics import parse_topic

log = logging.getLogger(__name__)

# CachedMember fields kept as one JSON column (bonus, dietary profile, lost-card tombstone,
# and since 1.1 the greetings and follow-ups waiting for the member: hub.crm).
PROFILE_FIELDS = {"bonus_cents", "preferences", "allergens", "blocked", "messages"}

Outcome = str  # "applied" or "unchanged"

# Downlink kind (topic) -> the one payload type allowed on it.
KIND_MODELS: dict[
    str, type[CatalogSnapshot | MemberCacheDelta | DeviceConfig | BookingsSnapshot]
] = {
    "catalog": CatalogSnapshot,
    "members": MemberCacheDelta,
    "config": DeviceConfig,
    "bookings": BookingsSnapshot,  # 1.1: the day's pre-bookings, for pick-up (issue 17)
}


class DownlinkApplier:
    """Turns downlink messages into store state, refusing anything bad, older or gapped."""

    def __init__(self, conn: sqlite3.Connection, *, site_id: str) -> None:
        self.conn = conn
        self.site_id = site_id

    def handle(self, topic: str, raw: bytes) -> Outcome:
        """Parse and apply one downlink; DownlinkRefused (counted, logged) when refused."""
        try:
            kind = parse_topic(topic).kind or "?"
        except ProtocolError as err:
            self._refused("unknown", str(err))
            raise DownlinkRefused("unknown", str(err)) from err
        try:
            model = KIND_MODELS.get(kind)
            if model is None:
                raise DownlinkRefused(kind, "no applier for this downlink kind")
            try:
                env = parse(raw, topic=topic)
                payload = env.payload_as(model)
            except ProtocolError as err:
                raise DownlinkRefused(kind, str(err)) from err
            if env.site != self.site_id:
                raise DownlinkRefused(
                    kind, f"for site {env.site!r}, this device is on {self.site_id!r}"
                )
            if isinstance(payload, CatalogSnapshot):
                return self.apply_catalog(payload)
            if isinstance(payload, MemberCacheDelta):
                return self.apply_member_delta(payload)
            if isinstance(payload, BookingsSnapshot):
                return self.apply_bookings(payload)
            return self.apply_config(payload)
        except DownlinkRefused as err:
            self._refused(err.kind if err.kind == kind else kind, err.reason)
            raise

    def _refused(self, kind: str, reason: str) -> None:
        log.warning("downlink %s refused, last good kept: %s", kind, reason)
        with write_txn(self.conn):
            bump_counter(self.conn, f"refused.{kind}")
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('last_refusal', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"{kind}: {reason}"[:200],),
            )

    def _current(self, kind: str) -> tuple[int, str] | None:
        row = self.conn.execute(
            "SELECT version, payload FROM downlink_state WHERE kind = ?", (kind,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def _save_state(self, kind: str, version: int, payload: str) -> None:
        self.conn.execute(
            "INSERT INTO downlink_state (kind, version, payload, applied_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(kind) DO UPDATE SET version = excluded.version,"
            " payload = excluded.payload, applied_at = excluded.applied_at",
            (kind, version, payload, time.time()),
        )
        bump_counter(self.conn, f"applied.{kind}")

    def _versioned(self, kind: str, version: int, payload: str) -> Outcome:
        """Shared rule of catalog and config: newer replaces, same is a no-op, older refused."""
        with write_txn(self.conn):
            current = self._current(kind)
            if current is not None:
                if version == current[0] and payload == current[1]:
                    return "unchanged"  # a retained message delivered again on reconnect
                if version <= current[0]:
                    raise DownlinkRefused(
                        kind, f"version {version} is not newer than {current[0]} on the device"
                    )
            self._save_state(kind, version, payload)
        log.info("%s version %d applied", kind, version)
        return "applied"

    def apply_catalog(self, snapshot: CatalogSnapshot) -> Outcome:
        """Replace the catalog if the snapshot is newer."""
        return self._versioned("catalog", snapshot.version, snapshot.model_dump_json())

    def apply_bookings(self, snapshot: BookingsSnapshot) -> Outcome:
        """Replace the site's pre-bookings of the day if the snapshot is newer."""
        return self._versioned("bookings", snapshot.version, snapshot.model_dump_json())

    def apply_config(self, config: DeviceConfig) -> Outcome:
        """Replace the device config if it is newer."""
        return self._versioned("config", config.version, config.model_dump_json())

    def apply_member_delta(self, delta: MemberCacheDelta) -> Outcome:
        """Apply a full member snapshot or a delta that starts exactly at our version."""
        kind = "members"
        with write_txn(self.conn):
            current = self._current(kind)
            have = 0 if current is None else current[0]
            if delta.to_version == have:
                return "unchanged"
            if delta.to_version < have:
                raise DownlinkRefused(kind, f"to_version {delta.to_version} is older than {have}")
            if not delta.full and delta.from_version != have:
                # A gap: applying it would leave members we never heard of. Keep
                # serving from the cache we have and wait for a full snapshot.
                raise DownlinkRefused(
                    kind,
                    f"gap: delta {delta.from_version}->{delta.to_version},"
                    f" the device has {have};"
                    " waiting for a full snapshot",
                )
            if delta.full:
                self.conn.execute("DELETE FROM members")
            self.conn.executemany(
                "DELETE FROM members WHERE identifier_hash = ?", [(h,) for h in delta.removals]
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO members (identifier_hash, member_id, display_name, tier,"
                " balance_cents, subsidy_cents, points, offline_limit_cents, profile)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (m.identifier_hash, m.member_id, m.display_name, m.tier, m.balance_cents,
                     m.subsidy_cents, m.points, m.offline_limit_cents,
                     m.model_dump_json(include=PROFILE_FIELDS))
                    for m in delta.upserts
                ],
            )
            # face templates follow the member rows in this same transaction (issue 18)
            face_store.apply_member_delta(self.conn, delta)
            summary = json.dumps(
                {"to_version": delta.to_version, "full": delta.full,
                 "generated_at": delta.generated_at.isoformat()}
            )
            self._save_state(kind, delta.to_version, summary)
        log.info("member cache %d -> %d applied", have, delta.to_version)
        return "applied"
