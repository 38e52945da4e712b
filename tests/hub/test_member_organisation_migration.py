"""Migration 0012 gives existing members their organisation where it can be told.

Without it an upgraded hub would empty the member caches of every site that has an
organisation (the cache holds only the organisation's members since issue 11, item 12).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from hub.db import make_engine
from hub.migrate import alembic_config, upgrade_to_head
from hub.settings import Settings

NOW = "2025-01-01 00:00:00"


def _at_0011_with(settings: Settings, orgs: list[tuple[str, str, str]],
                  employers: list[str | None]) -> sa.Engine:
    engine = make_engine(settings)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn, schema=settings.db_schema),
                        "0011_wire_integer_widths")
    with engine.begin() as conn:
        for code, zh, en in orgs:
            conn.execute(sa.text("INSERT INTO organisation (code, name_zh, name_en, created_at)"
                                 " VALUES (:c, :z, :e, :t)"), {"c": code, "z": zh, "e": en,
                                                              "t": NOW})
        for i, employer in enumerate(employers):
            conn.execute(sa.text(
                "INSERT INTO member (member_no, name, employer, dietary_preferences, allergens,"
                " active, created_at) VALUES (:n, 'x', :e, '[]', '[]', true, :t)"),
                {"n": f"M{i}", "e": employer, "t": NOW})
    upgrade_to_head(engine, schema=settings.db_schema)
    return engine


def _orgs_of_members(engine: sa.Engine) -> list[str | None]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT o.code FROM member m LEFT JOIN organisation o ON o.id = m.organisation_id"
            " ORDER BY m.member_no")).scalars())


def test_members_matched_by_employer(hub_settings: Settings) -> None:
    engine = _at_0011_with(
        hub_settings,
        [("acme", "甲公司", "Acme Ltd"), ("beta", "乙公司", "Beta")],
        ["ACME ", "乙公司", "Gamma", None, "beta"],
    )
    assert _orgs_of_members(engine) == ["acme", "beta", None, None, "beta"]
    engine.dispose()


def test_a_hub_of_one_organisation_gives_it_everyone(hub_settings: Settings) -> None:
    engine = _at_0011_with(hub_settings, [("acme", "甲公司", "Acme")], ["Someone", None])
    assert _orgs_of_members(engine) == ["acme", "acme"]
    engine.dispose()
