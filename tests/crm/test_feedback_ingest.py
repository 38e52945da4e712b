"""Per-dish feedback end to end through the real ingest writer: a 1.1 kiosk's dish ratings,
an old 1.0 kiosk's order rating, the complaint case each opens (or not), redelivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from hub.models.crm_cases import ComplaintCase, DishRating
from protocol.envelope import SCHEMA_VERSION
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

AT = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("crm-feedback-db"))


@pytest.fixture
def world(template: Path, tmp_path: Path) -> World:
    return seed_world(fresh_engine(template, tmp_path))


def _ratings(world: World, order_id: str) -> dict[str, tuple[int, bool, list[str]]]:
    with Session(world.engine) as s:
        return {r.dish_code: (r.rating, r.per_dish, r.tags) for r in s.exec(
            select(DishRating).where(DishRating.order_id == order_id))}


def _cases(world: World) -> list[ComplaintCase]:
    with Session(world.engine) as s:
        return list(s.exec(select(ComplaintCase).order_by(col(ComplaintCase.id))))


def test_a_current_kiosk_rates_each_dish_and_a_bad_dish_opens_a_case(world: World) -> None:
    assert SCHEMA_VERSION == "1.1"
    order_id, order = placed("A001", "M001", AT, [RICE, PORK])
    write_ok(world, [order])
    fb = envelope("feedback.given", {
        "order_id": order_id, "rating": 3, "member_id": "M001",
        "dishes": [{"dish_id": "rice", "rating": 5},
                   {"dish_id": "pork", "rating": 1, "tags": ["too_salty"]}]},
        sent_at=AT + timedelta(minutes=30))
    write_ok(world, [fb])
    assert _ratings(world, order_id) == {"rice": (5, True, []),
                                         "pork": (1, True, ["too_salty"])}
    [case] = _cases(world)
    assert (case.priority, case.status, case.dishes, case.tags) == \
        ("high", "open", ["pork"], ["too_salty"])
    assert case.member_id == world.members["M001"]
    assert case.due_at - case.opened_at == timedelta(hours=24)
    # The kiosk re-sends (no ack seen): nothing is stored twice, no second case.
    assert {o.result for o in world.writer.write([fb])} == {"duplicate"}
    assert len(_ratings(world, order_id)) == 2 and len(_cases(world)) == 1


def test_an_old_kiosk_still_sends_an_order_rating_that_stands_for_each_dish(
        world: World) -> None:
    order_id, order = placed("A002", "M002", AT, [RICE, NOODLES], version="1.0")
    write_ok(world, [order])
    write_ok(world, [envelope("feedback.given", {"order_id": order_id, "rating": 2},
                              sent_at=AT + timedelta(hours=1), version="1.0")])
    assert _ratings(world, order_id) == {"rice": (2, False, []), "noodles": (2, False, [])}
    [case] = _cases(world)
    assert case.priority == "normal" and case.due_at - case.opened_at == timedelta(hours=72)


def test_good_feedback_opens_nothing_and_a_health_tag_is_urgent(world: World) -> None:
    good, o1 = placed("A003", None, AT, [RICE])
    bad, o2 = placed("A004", "M003", AT, [NOODLES])
    write_ok(world, [o1, o2])
    write_ok(world, [
        envelope("feedback.given", {"order_id": good, "rating": 4, "tags": ["great_taste"]}),
        envelope("feedback.given", {"order_id": bad, "rating": 4, "tags": ["foreign_object"],
                                    "comment": "a hair"}, sent_at=AT),
    ])
    [case] = _cases(world)
    assert (case.order_id, case.priority, case.comment) == (bad, "urgent", "a hair")
    assert case.due_at == AT + timedelta(hours=4)


def test_a_rating_of_a_dish_not_in_the_order_is_left_out(world: World) -> None:
    order_id, order = placed("A005", "M001", AT, [RICE])
    write_ok(world, [order])
    write_ok(world, [envelope("feedback.given", {
        "order_id": order_id, "rating": 5,
        "dishes": [{"dish_id": "rice", "rating": 5}, {"dish_id": "lobster", "rating": 1}]})])
    assert _ratings(world, order_id) == {"rice": (5, True, [])}
    assert _cases(world) == []
    assert world.writer.counts["crm.rating_unknown_dish"] == 1


def test_a_dish_rated_twice_is_refused_on_the_wire(world: World) -> None:
    order_id, order = placed("A006", "M001", AT, [RICE])
    write_ok(world, [order])
    raw = envelope("feedback.given", {"order_id": order_id, "rating": 5})
    doc = json.loads(raw.raw)
    doc["payload"]["dishes"] = [{"dish_id": "rice", "rating": 5},
                                {"dish_id": "rice", "rating": 1}]
    raw = type(raw)(raw.topic, json.dumps(doc).encode())
    [outcome] = world.writer.write([raw])
    assert outcome.result == "rejected" and "twice" in (outcome.reason or "")
    assert _ratings(world, order_id) == {} and _cases(world) == []
