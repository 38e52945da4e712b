"""Identity tests reuse the hub fixtures (client on SQLite and PostgreSQL, tokens per role)."""

from tests.hub.conftest import (  # noqa: F401  (fixtures)
    auth,
    client,
    db_session,
    hub_app,
    hub_settings,
    sqlite_settings,
    token_for,
)
