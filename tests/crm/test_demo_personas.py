"""The demo's history makes every shipped rule tag someone: the seeded canteens, their general
order history (hub.recommend.history), the demo campaign (hub.crm.demo_campaign, which the
personas stay out of) and the CRM personas (hub.crm.demo_history), then a full refresh on
frozen time; campaign and personas are written once, and the CLI step refuses an unknown
site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from hub.crm import jobs
from hub.crm.builtin_rules import BUILTIN_RULES
from hub.crm.cli import main
from hub.crm.demo_campaign import CODE, seed_demo_campaign
from hub.crm.demo_history import PERSONAS, seed_crm_personas
from hub.crypto import FieldCipher
from hub.models import Member
from hub.models.crm import MemberTag
from hub.recommend.history import seed_order_history
from hub.seed import seed_demo
from hub.seed.sites import SITES
from hub.settings import Settings
from tests.support.hub_db import migrated_engine

SITE = SITES[0].code
NOW = datetime(2026, 6, 12, 6, 0, tzinfo=UTC)  # a Friday, 14:00 in Shanghai
WANTED = {  # persona -> a rule it is built for
    "CRM0001": {"monthly_regular", "weekday_lunch_regular"},
    "CRM0002": {"likes_spicy"},
    "CRM0003": {"weekend_diner"},
    "CRM0004": {"dessert_lover"},
    "CRM0005": {"big_spender"},
    "CRM0006": {"churn_risk"},
    "CRM0007": {"new_member", "birthday_month"},
    "CRM0008": {"no_coriander"},
}


def test_every_shipped_rule_tags_someone_in_the_demo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine = migrated_engine(tmp_path)
    with Session(engine) as session:
        seed_demo(session, cipher=FieldCipher.from_settings(Settings(demo_mode=True)))
    assert seed_order_history(engine, SITE, days=28, now=NOW) > 1000  # the demo's
    # The CLI's order: the campaign (drawn from the general history), then the personas.
    assert seed_demo_campaign(engine, SITE, now=NOW) > 0
    written = seed_crm_personas(engine, SITE, now=NOW)
    assert written > 50
    assert seed_crm_personas(engine, SITE, now=NOW) == 0  # once
    with Session(engine) as session:
        report = jobs.full_refresh(session, at=NOW)
    matched = {r.rule: r.matched for r in report.tags}
    assert all(matched[code] >= 1 for code in BUILTIN_RULES), matched
    m, t = Member.__table__, MemberTag.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.c.member_no, t.c.tag).join(t, t.c.member_id == m.c.id)
                            .where(m.c.member_no.in_([p.no for p in PERSONAS]))).all()
    have: dict[str, set[str]] = {}
    for no, tag in rows:
        have.setdefault(no, set()).add(tag)
    for no, tags in WANTED.items():
        assert tags <= have.get(no, set()), (no, have.get(no))
    # The demo's step (canteen-hub crm demo-history) on the same database: once only.
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.delenv("CANTEEN_DATABASE_URL", raising=False)
    assert main(["demo-history", "--site", SITE]) == 0
    out = capsys.readouterr().out
    assert "the CRM personas are there already" in out
    assert f"campaign {CODE} is there already" in out


def test_the_cli_step_refuses_an_unknown_site(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    migrated_engine(tmp_path).dispose()
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.delenv("CANTEEN_DATABASE_URL", raising=False)
    assert main(["demo-history", "--site", "nowhere"]) == 2
    assert "no site 'nowhere'" in capsys.readouterr().err
