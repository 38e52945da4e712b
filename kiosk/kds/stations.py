"""Kitchen station names for the KDS, from the catalog the hub pushed to this device."""

from __future__ import annotations

import logging
import sqlite3

from pydantic import ValidationError

from protocol.payloads.catalog import CatalogSnapshot

log = logging.getLogger(__name__)


class StationNames:
    """Station code -> (zh, en) name; re-read only when the device's catalog version changes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Read lazily from the device store's ``downlink_state``."""
        self.conn = conn
        self._version: int | None = None
        self._names: dict[str, tuple[str, str]] = {}

    def _refresh(self) -> None:
        row = self.conn.execute(
            "SELECT version FROM downlink_state WHERE kind = 'catalog'").fetchone()
        version = None if row is None else int(row[0])
        if version == self._version:
            return
        self._version, self._names = version, {}
        if version is None:
            return
        (payload,) = self.conn.execute(
            "SELECT payload FROM downlink_state WHERE kind = 'catalog'").fetchone()
        try:
            catalog = CatalogSnapshot.model_validate_json(payload)
        except ValidationError as err:  # the applier validated it; a newer schema, say
            log.warning("catalog v%s unreadable for station names: %s", version, err)
            return
        self._names = {s.code: (s.name_zh, s.name_en) for s in catalog.stations}

    def name(self, code: str, language: str) -> str:
        """The station's name in a kitchen ``language`` ("zh"/"en"); its code when unnamed."""
        self._refresh()
        names = self._names.get(code)
        if names is None:
            return code
        return names[0] if language == "zh" else names[1]
