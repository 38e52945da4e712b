"""The ten shipped tag rules on frozen time, on SQLite and PostgreSQL: each tags exactly the
member built for it (tests/support/crm_data.py), with the orders that prove it; rules are
refused with the field and reason; ingest-time re-evaluation adds and removes tags."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.crm import definitions, jobs, tags
from hub.crm.builtin_rules import BUILTIN_RULES
from hub.models.crm import MemberTag, TagRule
from tests.support import crm_data
from tests.support.crm_data import AT, EXPECTED


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def tagged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Engine, crm_data.History]]:
    with crm_data.backend_engine(request.param, tmp_path_factory.mktemp("crm")) as engine:
        with engine.begin() as conn:
            history = crm_data.build(conn)
        with Session(engine) as session:
            tags.refresh_all(session, at=AT)
        yield engine, history


def _holders(engine: Engine, history: crm_data.History) -> dict[str, set[str]]:
    names = {v: k for k, v in history.members.items()}
    with Session(engine) as session:
        out: dict[str, set[str]] = {}
        for row in session.exec(select(MemberTag)):
            out.setdefault(row.tag, set()).add(names[row.member_id])
        return out


def test_every_shipped_rule_tags_exactly_its_member(tagged: tuple[Engine, crm_data.History]
                                                    ) -> None:
    engine, history = tagged
    assert set(BUILTIN_RULES) == set(EXPECTED)
    holders = _holders(engine, history)
    assert {code: holders.get(code, set()) for code in EXPECTED} == EXPECTED


def test_tags_say_why_with_the_orders(tagged: tuple[Engine, crm_data.History]) -> None:
    engine, history = tagged
    with Session(engine) as session:
        spicy = tags.member_tags(session, history.members["spicy"])
        herbless = tags.member_tags(session, history.members["herbless"])
        newbie = {t.tag: t for t in tags.member_tags(session, history.members["newbie"])}
    (likes,) = spicy
    assert likes.tag == "likes_spicy" and likes.name_zh == "爱吃辣" and likes.source == "rule"
    # the three consecutive spicy orders, newest first; the older plain one is not evidence
    assert likes.order_ids == history.orders["spicy"][1:][::-1]
    assert likes.given_at == AT
    assert set(herbless[0].order_ids) == set(history.orders["herbless"])
    assert newbie["new_member"].order_ids == history.orders["newbie"]
    assert newbie["birthday_month"].order_ids == []


def test_ingest_time_retag_adds_and_removes(tagged: tuple[Engine, crm_data.History]) -> None:
    engine, history = tagged
    later = AT + timedelta(days=1)
    spicy = history.members["spicy"]
    with engine.begin() as conn:  # a plain order breaks the spicy run
        conn.execute(sa.insert(crm_data.Order.__table__).values(  # type: ignore[attr-defined]
            id="plain-after", order_no="Z1", site_id=history.site_id, member_id=spicy,
            placed_at=later - timedelta(hours=1), meal_period="lunch", subtotal_cents=500,
            discount_cents=0, total_cents=500, paid=True, offline=False, received_at=later))
        counts: Counter[str] = Counter()
        jobs.on_orders(conn, [spicy], counts, at=later)
    assert counts["crm.failed"] == 0 and counts["crm.tags_changed"] >= 1
    assert "spicy" not in _holders(engine, history).get("likes_spicy", set())
    with engine.begin() as conn:
        conn.execute(sa.delete(crm_data.Order.__table__).where(  # type: ignore[attr-defined]
            crm_data.Order.__table__.c.id == "plain-after"))  # type: ignore[attr-defined]
        jobs.on_orders(conn, [spicy], counts, at=AT)
    assert "spicy" in _holders(engine, history)["likes_spicy"]


def test_manual_tag_by_staff_and_refusals(tagged: tuple[Engine, crm_data.History]) -> None:
    engine, history = tagged
    member = history.members["dormant"]
    with Session(engine) as session:
        tags.add_manual_tag(session, member_id=member, tag="vip-guest", actor="alice",
                            note="hosts the board lunch")
        session.commit()
        (tag,) = tags.member_tags(session, member)
        assert (tag.tag, tag.source, tag.given_by) == ("vip-guest", "manual", "alice")
        for bad, why in (("likes_spicy", "given by a rule"), ("vip-guest", "already has"),
                         ("no spaces", "letters")):
            with pytest.raises(tags.TagError, match=why):
                tags.add_manual_tag(session, member_id=member, tag=bad, actor="alice")
        assert tags.remove_manual_tag(session, member_id=member, tag="vip-guest")
        session.commit()
        assert tags.member_tags(session, member) == []


@pytest.mark.parametrize(("definition", "field", "reason"), [
    ({"kind": "metric", "metric": "visitz", "value": 3}, "metric", "Input should be"),
    ({"kind": "all", "items": [{"kind": "metric", "metric": "visits", "value": -1}]},
     "items.0.value", "greater than or equal"),
    ({"kind": "metric", "metric": "share_meal_period", "value": 0.5}, "",
     "needs meal_period"),
    ({"kind": "consecutive", "count": 3, "dish": {}}, "dish", "at least one"),
    ({"kind": "not", "item": {"kind": "tag", "tag": "vip"}}, "item.kind", "for segments"),
    ({"kind": "recency", "days": 3, "colour": "red"}, "colour", "Extra inputs"),
    ({"kind": "nope"}, "", "does not match"),
])
def test_bad_rule_refused_with_field_and_reason(definition: dict[str, object], field: str,
                                                reason: str) -> None:
    with pytest.raises(definitions.DefinitionError) as info:
        definitions.parse(definition, for_rule=True)
    (where, why), *_ = info.value.problems
    assert where == field and reason in why


def test_dry_run_counts_without_writing(tagged: tuple[Engine, crm_data.History]) -> None:
    engine, _ = tagged
    with Session(engine) as session:
        before = session.exec(select(sa.func.count()).select_from(MemberTag)).one()
        run = tags.dry_run(session, {"kind": "metric", "metric": "visits", "window_days": 30,
                                     "op": ">=", "value": 3}, for_rule=True, at=AT)
        assert run.count == 4 and run.total == 9 and not run.extreme
        assert [r["name"] for r in run.sample] == ["regular", "spicy", "weekend", "sweet"]
        everyone = tags.dry_run(session, {"kind": "metric", "metric": "visits", "op": ">=",
                                          "value": 0}, for_rule=True, at=AT)
        assert everyone.count == everyone.total and everyone.extreme
        assert session.exec(select(sa.func.count()).select_from(MemberTag)).one() == before
        assert session.exec(select(TagRule)).all()  # the shipped rules exist
