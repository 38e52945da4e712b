"""Concurrent money operations on one member never lose an update (two sessions, two threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.accounts import reconcile, stored_value
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, add_member, assert_invariant, balances

ROUNDS = 40


def _in_threads(engine: Engine, work: list[Callable[[Session, int], None]]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(fn: Callable[[Session, int], None]) -> None:
        try:
            with Session(engine) as session:
                start.wait()
                for i in range(ROUNDS):
                    fn(session, i)
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


@pytest.mark.postgres
@pytest.mark.parametrize("hub_settings", ["postgres"], indirect=True)
def test_concurrent_top_ups_and_spends_lose_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        m = add_member(session, "C1")

    def top_up(session: Session, i: int) -> None:
        stored_value.top_up(session, member_id=m, amount_cents=100 + i, method="cash",
                            actor="t", at=T0)

    def spend(session: Session, i: int) -> None:
        reconcile.post_order_payments(
            session, order_id=f"0195f0a0-0000-7000-8000-{i:012d}", member_id=m,
            payments=[Payment(method="stored_value", amount_cents=30)], offline=True,
            placed_at=T0 + timedelta(seconds=i), total_cents=30,
        )
        session.commit()

    _in_threads(engine, [top_up, top_up, spend])
    with Session(engine) as session:
        topped = 2 * sum(100 + i for i in range(ROUNDS))
        assert balances(session, m)["paid"] == topped - 30 * ROUNDS
        assert_invariant(session, m)
