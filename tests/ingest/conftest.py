"""Fixtures of the ingest tests: hub settings per backend (SQLite file or a PostgreSQL schema)."""

from __future__ import annotations

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


@pytest.fixture
def fast_broker(broker: PrivateBroker) -> PrivateBroker:
    """The default private Mosquitto, which now saves once a second (kept as an alias)."""
    return broker
