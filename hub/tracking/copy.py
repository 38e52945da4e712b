"""COPY of new order_track_event rows on PostgreSQL (the ingest writer's bulk path)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

_COLS = ("message_id", "order_id", "site_code", "device_code", "order_no", "state",
         "station", "stations", "at", "recall", "received_at")


def _utc(value: datetime) -> datetime:
    # What hub.db_types.UTCDateTime does on bind: aware only, stored as UTC.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} refused: timestamps must be timezone-aware")
    return value.astimezone(UTC)


def copy_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """COPY event rows (``service._event_row`` shape) into order_track_event; no ON CONFLICT.

    ``stations`` goes in as JSON text (the column is ``json``), timestamps as aware UTC.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        f'COPY "order_track_event" ({", ".join(_COLS)}) FROM STDIN'
    ) as copy:
        for r in rows:
            copy.write_row((
                r["message_id"], r["order_id"], r["site_code"], r["device_code"],
                r["order_no"], r["state"], r["station"],
                json.dumps(r["stations"]), _utc(r["at"]), r["recall"],
                _utc(r["received_at"]),
            ))
