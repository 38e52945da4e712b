"""Account fixtures: a migrated database on SQLite or PostgreSQL (reusing the hub's settings
fixtures), members, and a frozen clock value."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.accounts.ledger import sum_of_entries
from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.models.accounts import AccountKind, LedgerLot, LotKind, MemberAccount
from hub.models.members import Member
from hub.settings import Settings
from tests.hub.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    auth,
    client,
    db_session,
    hub_app,
    hub_settings,
    sqlite_settings,
    token_for,
)

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def engine(hub_settings: Settings) -> Iterator[Engine]:  # noqa: F811  (the hub fixture)
    """A migrated database on the parametrised backend."""
    eng = make_engine(hub_settings)
    upgrade_to_head(eng, schema=hub_settings.db_schema)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database."""
    with Session(engine) as s:
        yield s


def add_member(
    session: Session,
    no: str,
    *,
    employer: str | None = "acme",
    department: str | None = "it",
    active: bool = True,
) -> int:
    """Create a member and return its id."""
    member = Member(member_no=no, name=f"Member {no}", employer=employer,
                    department=department, active=active)
    session.add(member)
    session.commit()
    assert member.id is not None
    return member.id


def balances(session: Session, member_id: int) -> dict[str, int]:
    """The cached balances of a member, read fresh."""
    session.expire_all()
    acc = session.get(MemberAccount, member_id)
    if acc is None:
        return {"paid": 0, "bonus": 0, "subsidy": 0, "points": 0}
    return {"paid": acc.paid_cents, "bonus": acc.bonus_cents, "subsidy": acc.subsidy_cents,
            "points": acc.points}


def assert_invariant(session: Session, member_id: int) -> None:
    """Every cached balance equals the sum of its entries; lot balances equal their lots."""
    cached = balances(session, member_id)
    for kind in AccountKind:
        summed = sum_of_entries(session, member_id=member_id, account=kind)
        assert cached[kind.value] == summed, kind
    for lot_kind, name in ((LotKind.SUBSIDY, "subsidy"), (LotKind.POINTS, "points")):
        left = session.exec(
            select(sa.func.coalesce(sa.func.sum(LedgerLot.remaining), 0)).where(
                LedgerLot.member_id == member_id, LedgerLot.kind == lot_kind
            )
        ).one()
        assert cached[name] == int(left), name
    acc = session.get(MemberAccount, member_id)
    if acc is not None:
        assert acc.paid_cents >= -acc.offline_limit_cents
        assert min(acc.bonus_cents, acc.subsidy_cents, acc.points) >= 0


def count_rows(session: Session, table: str) -> int:
    """How many rows a table has (to prove a refusal wrote nothing)."""
    return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
