"""Complaint cases on frozen time: the SLA clock by priority, the overdue flag on the queue,
assignment, notes, resolution with a follow-up, refusals that write nothing; satisfaction
per dish, station and site, and the staff figures (handled, SLA kept, median to resolve)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hub.crm import cases as svc
from hub.crm.campaign_channels import pending_messages
from hub.crm.cases_stats import satisfaction, staff_performance
from hub.errors import ConflictError, InvalidInputError
from hub.models.crm_cases import CaseNote, ComplaintCase
from hub.models.users import Role, User
from tests.support.crm_cases import (
    NOODLES,
    PORK,
    RICE,
    World,
    envelope,
    fresh_engine,
    migrated_template,
    placed,
    seed_world,
    write_ok,
)

T0 = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("crm-cases-db"))


@pytest.fixture
def world(template: Path, tmp_path: Path) -> World:
    w = seed_world(fresh_engine(template, tmp_path))
    with Session(w.engine) as s:
        for name, role in (("amy", Role.MANAGER), ("bo", Role.CASHIER), ("cook", Role.KITCHEN)):
            s.add(User(username=name, role=role, password_hash="x"))
        s.commit()
    # three complaints: urgent (foreign object), high (a dish rated 1), normal (rating 2)
    batch, feedback = [], []
    for no, member, dishes, fb in (
        ("A1", "M001", [RICE, PORK], {"rating": 3, "tags": ["foreign_object"]}),
        ("A2", "M002", [NOODLES], {"rating": 2, "dishes": [{"dish_id": "noodles",
                                                              "rating": 1}]}),
        ("A3", None, [RICE], {"rating": 2}),
        ("A4", "M003", [PORK], {"rating": 5}),
    ):
        oid, order = placed(no, member, T0 - timedelta(minutes=30), dishes)
        batch.append(order)
        feedback.append(envelope("feedback.given", {"order_id": oid, **fb}, sent_at=T0))
    write_ok(w, batch)
    write_ok(w, feedback)
    return w


def _user(world: World, name: str) -> int:
    with Session(world.engine) as s:
        return s.exec(select(User.id).where(User.username == name)).one() or 0


def _case(world: World, priority: str) -> int:
    with Session(world.engine) as s:
        return s.exec(select(ComplaintCase.id).where(ComplaintCase.priority == priority)
                      ).one() or 0


def test_the_queue_flags_cases_past_their_sla_by_priority(world: World) -> None:
    with Session(world.engine) as s:
        rows, total = svc.list_cases(s, now=T0 + timedelta(hours=3))
        assert total == 3 and [r.priority for r in rows] == ["urgent", "high", "normal"]
        assert not any(r.overdue for r in rows)
        rows, _ = svc.list_cases(s, now=T0 + timedelta(hours=5))
        assert [(r.priority, r.overdue) for r in rows] == \
            [("urgent", True), ("high", False), ("normal", False)]
        late, n = svc.list_cases(s, overdue_only=True, now=T0 + timedelta(hours=25))
        assert n == 2 and {r.priority for r in late} == {"urgent", "high"}
        assert svc.open_count(s, now=T0 + timedelta(days=4)) == (3, 3)


def test_assign_note_and_resolve_with_a_follow_up(world: World) -> None:
    urgent, amy = _case(world, "urgent"), _user(world, "amy")
    with Session(world.engine) as s:
        svc.assign_case(s, case_id=urgent, user_id=amy, actor="boss", now=T0)
        svc.add_note(s, case_id=urgent, body="Called the diner", actor="amy",
                     now=T0 + timedelta(hours=1))
        svc.resolve_case(s, case_id=urgent, resolution="Supplier changed", actor="amy",
                         actor_id=amy, follow_up_zh="已更换供应商，谢谢！",
                         follow_up_en="We changed supplier. Thank you!",
                         now=T0 + timedelta(hours=3))
        d = svc.case_detail(s, urgent, now=T0 + timedelta(days=2))
        assert (d.row.status, d.row.overdue, d.row.assigned_to, d.resolved_by) == \
            ("resolved", False, "amy", "amy")
        assert [n.kind for n in d.notes] == ["assign", "note", "resolve"]
        waiting = pending_messages(s, now=T0 + timedelta(hours=4))
        assert d.row.member_no == "M001"
        [messages] = waiting.values()
        assert [(m.kind, m.text_en) for m in messages] == \
            [("follow_up", "We changed supplier. Thank you!")]
        with pytest.raises(ConflictError):
            svc.resolve_case(s, case_id=urgent, resolution="again", actor="amy")


@pytest.mark.parametrize(("call", "field"), [
    (lambda s, c, u: svc.assign_case(s, case_id=c, user_id=u["cook"], actor="x"), "user_id"),
    (lambda s, c, u: svc.add_note(s, case_id=c, body="   ", actor="x"), "body"),
    (lambda s, c, u: svc.resolve_case(s, case_id=c, resolution="", actor="x"), "resolution"),
    (lambda s, c, u: svc.resolve_case(s, case_id=c, resolution="ok", follow_up_zh="抱歉",
                                      actor="x"), "follow_up_en"),
])
def test_bad_input_is_refused_with_the_field_and_writes_nothing(world: World, call, field
                                                                 ) -> None:  # type: ignore[no-untyped-def]
    case = _case(world, "high")
    users = {n: _user(world, n) for n in ("cook",)}
    with Session(world.engine) as s:
        with pytest.raises(InvalidInputError) as err:
            call(s, case, users)
        assert err.value.field == field
    with Session(world.engine) as s:
        row = s.get(ComplaintCase, case)
        assert row is not None and (row.status, row.assigned_to) == ("open", None)
        assert s.exec(select(CaseNote)).all() == []


def test_a_guest_case_takes_no_follow_up(world: World) -> None:
    with Session(world.engine) as s, pytest.raises(InvalidInputError) as err:
        svc.resolve_case(s, case_id=_case(world, "normal"), resolution="ok",
                         follow_up_zh="抱歉", follow_up_en="Sorry", actor="x")
    assert err.value.field == "follow_up_zh"


def test_satisfaction_and_staff_figures(world: World) -> None:
    amy, bo = _user(world, "amy"), _user(world, "bo")
    with Session(world.engine) as s:
        for case, who, hours in ((_case(world, "urgent"), amy, 2),  # in its 4 h
                                 (_case(world, "high"), bo, 30)):  # 6 h past its 24 h
            svc.assign_case(s, case_id=case, user_id=who, actor="boss", now=T0)
            svc.resolve_case(s, case_id=case, resolution="done", actor="x", actor_id=who,
                             now=T0 + timedelta(hours=hours))
        svc.assign_case(s, case_id=_case(world, "normal"), user_id=bo, actor="boss", now=T0)
        day = date(2025, 3, 3)
        staff = {p.username: p for p in staff_performance(s, start=day, end=day,
                                                          now=T0 + timedelta(days=4))}
        assert (staff["amy"].resolved, staff["amy"].sla_kept_share,
                staff["amy"].median_hours_to_resolve) == (1, 1.0, 2.0)
        assert (staff["bo"].assigned, staff["bo"].resolved, staff["bo"].sla_kept,
                staff["bo"].open_overdue) == (2, 1, 0, 1)
        dishes = {r.key: (r.ratings, r.average, r.low, r.per_dish)
                  for r in satisfaction(s, by="dish", start=day, end=day)}
        # A1 (3 for rice and pork), A2 noodles rated 1 dish by dish, A3 rice 2, A4 pork 5
        assert dishes == {"noodles": (1, 1.0, 1, 1), "rice": (2, 2.5, 1, 0),
                          "pork": (2, 4.0, 0, 0)}
        stations = {r.key: r.average for r in satisfaction(s, by="station", start=day, end=day)}
        assert stations == {"noodle": 1.0, "main": 2.5, "wok": 4.0}
        [site] = satisfaction(s, by="site", start=day, end=day)
        assert (site.key, site.ratings, site.name_en) == ("s1", 5, "Canteen 1")
        assert satisfaction(s, by="dish", start=date(2025, 3, 4), end=date(2025, 3, 5)) == []
        with pytest.raises(InvalidInputError):
            satisfaction(s, by="colour")


def test_the_member_profile_parts_list_cases_and_ratings(world: World) -> None:
    from hub.crm.cases_profile import profile_parts

    with Session(world.engine) as s:
        parts = profile_parts(s, member_id=world.members["M001"])
    assert [c.priority for c in parts["crm_cases"]] == ["urgent"]
    assert {r.dish_code for r in parts["crm_ratings"]} == {"rice", "pork"}
    assert parts["crm_received"] == []
