"""Analytics tests: the hub fixtures (SQLite and PostgreSQL), and two sites of orders ingested
through the real ingest writer (order.placed, order.state, feedback.given envelopes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.accounts import stored_value, subsidies
from hub.ingest.classify import Inbound
from hub.ingest.writer import BatchWriter
from hub.models import Device, DeviceKind, Site
from hub.models.account_rules import SubsidyRuleCreate
from hub.models.members import Member
from hub.models.users import Role
from protocol import encode, make_envelope, new_order_id
from tests.hub.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    TEST_PASSWORD,
    auth,
    client,
    db_session,
    ensure_user,
    hub_app,
    hub_settings,
    sqlite_settings,
    token_for,
)

DAY1 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
DAY2 = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
RICE = ("rice", "米饭", "Rice", 200, "main")
PORK = ("pork", "红烧肉", "Braised pork", 1_800, "wok")
NOODLES = ("noodles", "牛肉面", "Beef noodles", 1_200, "noodle")

# (order_no, site, device, member_no, placed_at, meal period, [(dish, qty)], [(method, fen)])
ORDERS: list[tuple[Any, ...]] = [
    ("A001", "site1", "k1", "M001", datetime(2025, 3, 3, 2, 0, tzinfo=UTC), "lunch",
     [(RICE, 1), (PORK, 1)], [("subsidy", 1_500), ("stored_value", 500)]),
    ("A002", "site1", "k1", "M002", datetime(2025, 3, 3, 3, 0, tzinfo=UTC), "lunch",
     [(NOODLES, 2)], [("subsidy", 1_500), ("stored_value", 900)]),
    ("A003", "site1", "k2", None, datetime(2025, 3, 3, 4, 0, tzinfo=UTC), "lunch",
     [(RICE, 1), (PORK, 1)], [("counter", 2_000)]),
    ("B001", "site2", "k3", "M003", datetime(2025, 3, 3, 10, 0, tzinfo=UTC), "dinner",
     [(NOODLES, 1)], [("subsidy", 1_000), ("stored_value", 200)]),
    # 01:30 on 4 March in Shanghai: a day-2 order of site1 although 3 March in UTC.
    ("A004", "site1", "k1", "M001", datetime(2025, 3, 3, 17, 30, tzinfo=UTC), "late_snack",
     [(PORK, 1)], [("subsidy", 1_500), ("stored_value", 300)]),
    ("A005", "site1", "k2", "M002", datetime(2025, 3, 4, 4, 0, tzinfo=UTC), "lunch",
     [(RICE, 3)], [("stored_value", 600)]),
]

EXPECTED_INCOME = {  # (local day, site) -> fen per method: the figures a manager checks
    ("2025-03-03", "site1"): {"subsidy": 3_000, "stored_value": 1_400, "counter": 2_000},
    ("2025-03-03", "site2"): {"subsidy": 1_000, "stored_value": 200},
    ("2025-03-04", "site1"): {"subsidy": 1_500, "stored_value": 900},
}
EXPECTED_SUBSIDY = {("acme", "it"): 3_000, ("acme", "hr"): 1_500, ("globex", "ops"): 1_000}


@dataclass
class Seeded:
    """The seeded hub: its engine, the ids of the orders by number, the members' ids."""

    engine: Engine
    orders: dict[str, str]
    members: dict[str, int]


def _envelope(kind: str, payload: dict[str, Any], site: str, device: str) -> Inbound:
    env = make_envelope(kind, payload, site=site, device=device)
    return Inbound(env.topic(), encode(env))


def _placed(order_id: str, spec: tuple[Any, ...]) -> Inbound:
    no, site, device, member, at, period, dishes, payments = spec
    lines = [{"dish_id": d[0], "name_zh": d[1], "name_en": d[2], "qty": qty,
              "unit_price_cents": d[3], "line_total_cents": qty * d[3], "station": d[4]}
             for d, qty in dishes]
    total = sum(line["line_total_cents"] for line in lines)
    return _envelope("order.placed", {
        "order_id": order_id, "order_no": no, "placed_at": at, "meal_period": period,
        "member_id": member, "lines": lines, "subtotal_cents": total, "total_cents": total,
        "payments": [{"method": m, "amount_cents": c} for m, c in payments],
        "paid": all(m != "counter" for m, _ in payments)}, site, device)


def seed_orders(engine: Engine) -> Seeded:
    """Sites, devices, members with subsidy and stored value; ORDERS ingested, with a kitchen
    timeline for A001 and feedback on A001 and A002."""
    members: dict[str, int] = {}
    with Session(engine) as session:
        for code in ("site1", "site2"):
            session.add(Site(code=code, name_zh=code, name_en=code))
        session.flush()
        sites = {s.code: s.id or 0 for s in session.exec(select(Site))}
        kiosk, kds = DeviceKind.KIOSK, DeviceKind.KDS
        for code, site, kind in (("k1", "site1", kiosk), ("k2", "site1", kiosk),
                                 ("kds1", "site1", kds), ("k3", "site2", kiosk)):
            session.add(Device(code=code, kind=kind, site_id=sites[site]))
        for no, employer, dept in (("M001", "acme", "it"), ("M002", "acme", "hr"),
                                   ("M003", "globex", "ops")):
            m = Member(member_no=no, name=f"Member {no}", employer=employer, department=dept)
            session.add(m)
            session.flush()
            assert m.id is not None
            members[no] = m.id
        session.commit()
        for code, employer, cents in (("acme", "acme", 1_500), ("globex", "globex", 1_000)):
            subsidies.create_rule(session, data=SubsidyRuleCreate(
                code=code, name_zh=code, name_en=code, employer=employer, amount_cents=cents),
                actor="mgr", at=DAY1)
        for member_id in members.values():
            stored_value.top_up(session, member_id=member_id, amount_cents=10_000, method="cash",
                                actor="cashier", at=DAY1)
    ids = {spec[0]: new_order_id() for spec in ORDERS}
    writer = BatchWriter(engine)
    for day, when in ((DAY1, lambda at: at.day == 3 and at.hour < 16), (DAY2, None)):
        with Session(engine) as session:
            subsidies.grant_subsidies(session, now=day)
        batch = [_placed(ids[s[0]], s) for s in ORDERS
                 if (when(s[4]) if when else not (s[4].day == 3 and s[4].hour < 16))]
        assert {o.result for o in writer.write(batch)} == {"ok"}
    a001 = ids["A001"]
    events = [
        _envelope("order.state", {"order_id": a001, "order_no": "A001", "state": state,
                                  "at": datetime(2025, 3, 3, 2, minute, tzinfo=UTC),
                                  "station": station, "stations": ["main", "wok"]},
                  "site1", device)
        for state, minute, station, device in (
            ("in_preparation", 2, "wok", "kds1"), ("ready", 6, "wok", "kds1"),
            ("ready", 7, "main", "kds1"), ("collected", 9, None, "k1"))
    ]
    feedback = [
        _envelope("feedback.given", {"order_id": a001, "rating": 2, "tags": [],
                                     "comment": "太咸了 too salty"}, "site1", "k1"),
        _envelope("feedback.given", {"order_id": ids["A002"], "rating": 5}, "site1", "k1"),
    ]
    outcomes = writer.write(events + feedback)
    assert all(o.result in ("ok", "none") for o in outcomes), outcomes
    return Seeded(engine, ids, members)


@pytest.fixture
def seeded(client: TestClient) -> Seeded:  # noqa: F811  (the hub fixture)
    """The started hub app's database with ORDERS ingested."""
    return seed_orders(client.app.state.engine)  # type: ignore[attr-defined]


@pytest.fixture
def shell(client: TestClient) -> Callable[[Role], TestClient]:  # noqa: F811
    """Sign the client in to the admin shell as a user of the role."""

    def _login(role: Role) -> TestClient:
        app: FastAPI = client.app  # type: ignore[assignment]
        user = ensure_user(app, username=f"shell-{role.value}", role=role)
        client.cookies.clear()
        reply = client.post("/admin/login", data={"username": user.username,
                                                  "password": TEST_PASSWORD},
                            follow_redirects=False)
        assert reply.status_code == 302, reply.text
        return client

    return _login


def close_month(c: TestClient, month: str) -> None:
    """Record ``month`` as closed through the console's close form (signed-in client)."""
    reply = c.post("/admin/console/month-close/record", data={"month": month},
                   follow_redirects=False)
    assert reply.status_code == 303, reply.text
