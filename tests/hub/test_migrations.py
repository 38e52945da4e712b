"""Migrations: upgrade from empty, no drift from the models, newer schema refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from hub.app import create_app
from hub.db import make_engine
from hub.migrate import SchemaTooNewError, current_revision, head_revision, upgrade_to_head
from hub.models import Organisation
from hub.settings import Settings


def test_upgrade_from_empty_matches_models(hub_settings: Settings) -> None:
    engine = make_engine(hub_settings)
    schema = hub_settings.db_schema
    assert current_revision(engine, schema=schema) is None
    assert upgrade_to_head(engine, schema=schema) == head_revision()
    assert current_revision(engine, schema=schema) == head_revision()
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    assert diffs == []
    assert set(SQLModel.metadata.tables) <= tables
    # Upgrading again is a no-op.
    assert upgrade_to_head(engine, schema=schema) == head_revision()
    engine.dispose()


def test_newer_schema_refused_naming_both_revisions(hub_settings: Settings) -> None:
    engine = make_engine(hub_settings)
    upgrade_to_head(engine, schema=hub_settings.db_schema)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    with pytest.raises(SchemaTooNewError) as info:
        upgrade_to_head(engine, schema=hub_settings.db_schema)
    assert "f00dfeed9999" in str(info.value) and head_revision() in str(info.value)
    engine.dispose()
    app = create_app(hub_settings)
    with pytest.raises(SchemaTooNewError), TestClient(app):
        pass


def test_healthz_reports_revision_without_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "schema_revision": head_revision()}


def test_timestamps_come_back_aware_utc(hub_settings: Settings) -> None:
    engine = make_engine(hub_settings)
    upgrade_to_head(engine, schema=hub_settings.db_schema)
    shanghai = datetime(2025, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=8)))
    with Session(engine) as session:
        org = Organisation(code="acme", name_zh="甲", name_en="Acme", created_at=shanghai)
        session.add(org)
        session.commit()
        org_id = org.id
    with Session(engine) as session:
        back = session.get(Organisation, org_id)
        assert back is not None
        assert back.created_at.tzinfo is not None
        assert back.created_at.utcoffset() == timedelta(0)
        assert back.created_at == datetime(2025, 3, 1, 4, 30, tzinfo=UTC)
    engine.dispose()


def test_naive_timestamp_refused_and_nothing_written(sqlite_settings: Settings) -> None:
    engine = make_engine(sqlite_settings)
    upgrade_to_head(engine)
    with Session(engine) as session:
        session.add(
            Organisation(code="x", name_zh="x", name_en="x", created_at=datetime(2025, 1, 1))
        )
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM organisation")).scalar() == 0
    engine.dispose()


def test_sqlite_connection_pragmas(sqlite_settings: Settings) -> None:
    engine = make_engine(sqlite_settings)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert (sqlite_settings.data_dir / "hub.db").exists()
    engine.dispose()
