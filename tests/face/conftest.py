"""Face tests reuse the hub fixtures on SQLite only (the hub code under test is backend-neutral
SQLModel; the PostgreSQL run of the members and identity suites covers the shared queries)."""

from pathlib import Path

import pytest

from hub.settings import Settings
from tests.hub.conftest import (  # noqa: F401  (fixtures)
    auth,
    client,
    db_session,
    hub_app,
    make_settings,
    token_for,
)


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    """SQLite settings for the hub app of these tests."""
    return make_settings(tmp_path)
