"""Fixtures of the ingest tests: hub settings per backend (SQLite file or a PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import PrivateBroker
from hub.settings import Settings
from tests.conftest import PG_URL
from tests.hub.conftest import make_settings


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Settings:
    """Hub settings on an SQLite file in tmp_path."""
    return make_settings(tmp_path)


@pytest.fixture
def pg_hub(tmp_path: Path, pg_schema: str) -> Settings:
    """Hub settings on PostgreSQL in a private schema."""
    return make_settings(tmp_path, database_url=PG_URL, db_schema=pg_schema)


# Saving the broker's whole persistence file on every change (PrivateBroker's
# default) caps one session at ~200 messages/s here (docs/performance.md). The
# outbox already makes the broker's queue re-creatable, so these tests save once a
# second, like a production broker would; a kill -9 then loses up to a second of
# broker state, and the test proves that nothing is lost anyway.
TIMED_AUTOSAVE = "autosave_on_changes false\nautosave_interval 1"


@pytest.fixture
def fast_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A private Mosquitto that saves its persistence every second, not on every change."""
    b = PrivateBroker(tmp_path / "fast-broker", extra_config=TIMED_AUTOSAVE)
    b.start()
    try:
        yield b
    finally:
        b.stop()
