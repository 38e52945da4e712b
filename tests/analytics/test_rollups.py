"""Sales rollups kept at ingest equal a rebuild from the orders (SQLite and PostgreSQL).

Orders go through the real ingest writer (two batches, feedback, kitchen states), then an
order is delivered twice (the same message again, in one batch and in a later one), the
same order id comes under another message id (a conflict), and two refunds are made
through the refund service (one partial). The rollups as ingest and the refunds left them
must equal what ``canteen-hub analytics rebuild-rollups`` computes from the stored rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts.refunds import refund_order
from hub.analytics import cli, rollups
from hub.crm.demo_history import seed_crm_personas
from hub.crypto import FieldCipher
from hub.ingest.writer import BatchWriter
from hub.models.analytics import SalesDishDay, SalesSlotDay
from hub.recommend.history import seed_order_history
from hub.seed import seed_demo
from hub.seed.sites import SITES
from hub.settings import Settings
from protocol import new_order_id
from tests.analytics.conftest import NOODLES, PORK, RICE, Seeded, _placed
from tests.support.hub_db import migrated_engine

LATE = ("A900", "site1", "k2", "M001", datetime(2025, 3, 4, 5, 10, tzinfo=UTC), "lunch",
        [(RICE, 2), (NOODLES, 1), (RICE, 1)], [("stored_value", 1_800)])


def _slot(conn: sa.Connection, day: str, site: str, payment: str) -> tuple[int, int, int]:
    t = SalesSlotDay.__table__  # type: ignore[attr-defined]
    row = conn.execute(
        sa.text("SELECT coalesce(sum(s.orders), 0), coalesce(sum(s.amount_cents), 0), "
                "coalesce(sum(s.refunded_cents), 0) FROM sales_slot_day s "
                "JOIN site ON site.id = s.site_id WHERE s.day = :day AND site.code = :site "
                "AND s.payment = :payment"),
        {"day": date.fromisoformat(day), "site": site, "payment": payment}).one()
    assert t.name == "sales_slot_day"
    return int(row[0]), int(row[1]), int(row[2])


def test_incremental_rollups_equal_a_rebuild(seeded: Seeded, client: TestClient) -> None:
    engine = seeded.engine
    writer = BatchWriter(engine)
    late = _placed(new_order_id(), LATE)
    # Delivered twice in one batch, then again later: stored (and rolled up) once.
    assert [o.result for o in writer.write([late, late])] == ["ok", "duplicate"]
    assert [o.result for o in writer.write([late])] == ["duplicate"]
    # Another message carrying an order id already stored: a conflict, not a second order.
    again = _placed(seeded.orders["A001"], ("A001", *LATE[1:]))
    assert [o.result for o in writer.write([again])] == ["conflict"]
    with Session(engine) as session:
        refund_order(session, order_id=seeded.orders["A001"], reason="cold", actor="mgr",
                     at=datetime(2025, 3, 5, 3, 0, tzinfo=UTC), amount_cents=1_000)
        refund_order(session, order_id=seeded.orders["B001"], reason="wrong dish",
                     actor="mgr", at=datetime(2025, 3, 5, 3, 0, tzinfo=UTC))
    with engine.connect() as conn:
        incremental = rollups.stored(conn)
        # Figures a manager checks by hand: site1, 3 March (Shanghai): A001, A002, A003.
        assert _slot(conn, "2025-03-03", "site1", "all") == (3, 2_000 + 2_400 + 2_000, 1_000)
        assert _slot(conn, "2025-03-03", "site1", "subsidy")[:2] == (2, 3_000)
        assert _slot(conn, "2025-03-03", "site2", "all") == (1, 1_200, 1_200)
        # 4 March: A004 (01:30 local), A005 and the late order, counted once.
        assert _slot(conn, "2025-03-04", "site1", "all") == (3, 1_800 + 600 + 1_800, 0)
        rice = conn.execute(
            sa.select(SalesDishDay.quantity, SalesDishDay.revenue_cents,  # type: ignore[call-overload]
                      SalesDishDay.orders)
            .where(SalesDishDay.dish_code == "rice",
                   SalesDishDay.day == date(2025, 3, 4))).one()
        assert tuple(rice) == (3 + 3, 600 + 600, 2)  # A005's 3; A900's 2 + 1 in one order
    assert incremental[0] and incremental[1]
    with engine.begin() as conn:
        done = rollups.rebuild(conn)
    assert done.orders == 7
    with engine.connect() as conn:
        assert rollups.stored(conn) == incremental
    # The command: empties nothing it cannot refill.
    with engine.begin() as conn:
        conn.execute(sa.delete(SalesDishDay))
        conn.execute(sa.update(SalesSlotDay).values(orders=99))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert cli.main(["rebuild-rollups"], settings=settings) == 0
    with engine.connect() as conn:
        assert rollups.stored(conn) == incremental


def test_rollups_keep_names_and_stations(seeded: Seeded) -> None:
    with seeded.engine.connect() as conn:
        dishes, _ = rollups.stored(conn)
    by = {(r[2], r[3]) for r in dishes}
    assert {(PORK[0], "wok"), (NOODLES[0], "noodle"), (RICE[0], "main")} == by
    names = {r[2]: (r[5], r[6]) for r in dishes}
    assert names["pork"] == ("红烧肉", "Braised pork")


@pytest.mark.parametrize("argv", [[], ["nope"]])
def test_command_refuses_bad_arguments(argv: list[str]) -> None:
    assert cli.main(argv) == 2


def test_demo_histories_are_rolled_up_like_ingest(tmp_path: Path) -> None:
    """The demo's order histories (written without ingest) keep the rollups too: the demo
    dashboard's sales charts are never empty."""
    engine = migrated_engine(tmp_path)
    with Session(engine) as session:
        seed_demo(session, cipher=FieldCipher.from_settings(Settings(demo_mode=True)))
    now = datetime(2026, 6, 12, 6, 0, tzinfo=UTC)
    assert seed_order_history(engine, SITES[0].code, days=7, now=now) > 100
    assert seed_crm_personas(engine, SITES[0].code, now=now) > 50
    with engine.connect() as conn:
        incremental = rollups.stored(conn)
    assert incremental[0] and incremental[1]
    with engine.begin() as conn:
        rollups.rebuild(conn)
    with engine.connect() as conn:
        assert rollups.stored(conn) == incremental
    engine.dispose()
