"""Segments on SQLite and PostgreSQL: tags AND/OR/NOT metric, tier, department and site
conditions; the live count equals the saved segment's members; exports leave out members
without marketing consent; a malformed segment is refused with the field and writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.crm import segments, tags
from hub.models import Member
from hub.models.crm import Segment
from tests.support import crm_data
from tests.support.crm_data import AT


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Engine, crm_data.History]]:
    with crm_data.backend_engine(request.param, tmp_path_factory.mktemp("seg")) as engine:
        with engine.begin() as conn:
            history = crm_data.build(conn)
            member = Member.__table__  # type: ignore[attr-defined]
            for name in ("regular", "whale"):  # marketing consent: only these two
                conn.execute(sa.update(member).where(member.c.id == history.members[name])
                             .values(consent_marketing_at=AT))
        with Session(engine) as session:
            tags.refresh_all(session, at=AT)
        yield engine, history


CASES = [
    # top 20 % by spend AND visited in the last 30 days
    ({"kind": "all", "items": [{"kind": "tag", "tag": "big_spender"},
                               {"kind": "recency", "op": "<=", "days": 30}]}, {"whale"}),
    ({"kind": "any", "items": [{"kind": "tag", "tag": "likes_spicy"},
                               {"kind": "tier", "codes": ["gold"]}]}, {"spicy", "regular"}),
    ({"kind": "all", "items": [{"kind": "department", "names": ["IT"]},
                               {"kind": "not", "item": {"kind": "tier", "codes": ["silver"]}}]},
     {"regular"}),
    ({"kind": "all", "items": [{"kind": "metric", "metric": "spend_cents", "window_days": 90,
                                "op": ">", "value": 10000},
                               {"kind": "site", "codes": ["crm-site"], "window_days": 30}]},
     {"regular", "whale", "fading"}),
    ({"kind": "metric", "metric": "visits", "window_days": 30, "op": "<", "value": 1},
     {"dormant"}),
]


@pytest.mark.parametrize(("definition", "expected"), CASES)
def test_segment_members_and_live_count(world: tuple[Engine, crm_data.History],
                                        definition: dict[str, object],
                                        expected: set[str]) -> None:
    engine, history = world
    names = {v: k for k, v in history.members.items()}
    with Session(engine) as session:
        name = "case-" + "-".join(sorted(expected))
        seg = segments.save_segment(session, name=name, definition=definition, actor="alice")
        session.commit()
        ids = segments.segment_member_ids(session, seg.id or 0, at=AT)
        assert {names[i] for i in ids} == expected
        assert segments.count_definition(session, definition, at=AT) == len(expected)


def test_export_respects_marketing_consent(world: tuple[Engine, crm_data.History]) -> None:
    engine, _ = world
    with Session(engine) as session:
        seg = segments.save_segment(session, name="spenders-export", actor="alice", definition={
            "kind": "metric", "metric": "spend_cents", "window_days": 90, "op": ">=",
            "value": 10000})
        session.commit()
        export = segments.export_rows(session, seg.id or 0, at=AT)
        assert export.without_consent == 1  # fading matches but did not consent
        text = segments.export_csv(export).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["member_no"], r["tier"]) for r in rows] == [("M-regular", "gold"),
                                                                ("M-whale", "")]
        sheet = load_workbook(io.BytesIO(segments.export_xlsx(export))).active
        assert sheet is not None
        assert [c.value for c in sheet[1]][:2] == ["member_no", "name"]
        assert sheet.max_row == 3


@pytest.mark.parametrize(("name", "definition", "field"), [
    ("", {"kind": "tag", "tag": "x"}, "name"),
    ("ok", {"kind": "all", "items": []}, "definition.items"),
    ("ok", {"kind": "score", "field": "churn_probability", "value": 9}, "definition.value"),
    ("ok", "not json", "definition"),
])
def test_bad_segment_refused_and_nothing_saved(world: tuple[Engine, crm_data.History],
                                               name: str, definition: object,
                                               field: str) -> None:
    engine, _ = world
    with Session(engine) as session:
        before = len(session.exec(select(Segment)).all())
        with pytest.raises(segments.SegmentError) as info:
            segments.save_segment(session, name=name, definition=definition, actor="alice")
        assert info.value.problems[0][0] == field
        session.rollback()
        assert len(session.exec(select(Segment)).all()) == before
