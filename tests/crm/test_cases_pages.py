"""The CRM admin pages in both languages: the complaints queue with its overdue flag, a case
resolved through its form, staff performance; a campaign created from the form (a bad one
refused, nothing written), launched, its results shown with the interval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from hub.app import create_app
from hub.crm.segments import save_segment
from hub.models.crm_campaigns import Campaign
from hub.models.users import Role
from tests.hub.conftest import TEST_PASSWORD, ensure_user, make_settings
from tests.support.crm_cases import RICE, World, envelope, placed, seed_world, write_ok

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    with TestClient(create_app(make_settings(Path(tmp_path_factory.mktemp("crm-pages"))))) \
            as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        world = seed_world(engine, members=6)
        with Session(engine) as s:
            save_segment(s, name="everyone", actor="t", definition={
                "kind": "metric", "metric": "visits", "window_days": 30, "op": ">=",
                "value": 0})
            s.commit()
        late, o1 = placed("L1", "M001", NOW - timedelta(hours=6), [RICE])
        fresh, o2 = placed("F1", "M002", NOW - timedelta(minutes=20), [RICE])
        write_ok(world, [o1, o2])
        write_ok(world, [
            envelope("feedback.given", {"order_id": late, "rating": 3,
                                        "tags": ["foreign_object"]},
                     sent_at=NOW - timedelta(hours=5)),
            envelope("feedback.given", {"order_id": fresh, "rating": 2, "comment": "cold"},
                     sent_at=NOW - timedelta(minutes=10))])
        user = ensure_user(client.app, username="crm-boss", role=Role.MANAGER)  # type: ignore[arg-type]
        r = client.post("/admin/login", data={"username": user.username,
                                              "password": TEST_PASSWORD},
                        follow_redirects=False)
        assert r.status_code == 302
        yield client, world


@pytest.mark.parametrize(("lang", "words"), [("en", ("Complaints", "Overdue", "Urgent")),
                                             ("zh_Hans", ("投诉", "逾期", "紧急"))])
def test_the_queue_flags_the_overdue_case(shell: tuple[TestClient, World], lang: str,
                                          words: tuple[str, ...]) -> None:
    client, _ = shell
    page = client.get(f"/admin/crm/cases?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert page.text.count('data-overdue="yes"') == 1
    assert client.get("/admin/crm/cases?overdue=1").text.count("data-case=") == 1


def test_a_case_is_resolved_through_its_page(shell: tuple[TestClient, World]) -> None:
    client, _ = shell
    queue = client.get("/admin/crm/cases?status=open&lang=en").text
    case_id = int(queue.split('data-case="')[1].split('"')[0])
    bad = client.post(f"/admin/crm/cases/{case_id}/resolve",
                      data={"resolution": "ok", "follow_up_zh": "抱歉"})
    assert bad.status_code == 400 and "Follow-up (English)" in bad.text
    done = client.post(f"/admin/crm/cases/{case_id}/resolve", data={
        "resolution": "Replaced the dish", "follow_up_zh": "已为您换菜",
        "follow_up_en": "We replaced your dish"})
    assert done.status_code == 200 and 'data-status="resolved"' in done.text
    assert "We replaced your dish" in done.text
    assert client.get("/admin/crm/staff?lang=zh_Hans").status_code == 200
    assert client.get("/admin/crm/cases/99999").status_code == 404


def test_a_campaign_from_the_form_launched_with_its_results(
        shell: tuple[TestClient, World]) -> None:
    client, world = shell
    form = {"code": "page_spring", "name": "Spring", "segment_id": "1",
            "coupon_template_id": str(world.template_id), "message_zh": "春季特惠",
            "message_en": "Spring treat", "holdout_percent": "20", "frequency_cap": "2",
            "starts_at": NOW.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (NOW + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "channels": ["kiosk", "receipt"]}
    bad = client.post("/admin/crm/campaigns/new?lang=en",
                      data={**form, "ends_at": form["starts_at"]})
    assert bad.status_code == 400 and "ends_at" in bad.text
    with Session(world.engine) as s:
        assert s.exec(select(Campaign)).all() == []
    made = client.post("/admin/crm/campaigns/new", data=form)
    assert made.status_code == 200 and 'data-status="draft"' in made.text
    cid = made.url.path.rstrip("/").split("/")[-1]
    launched = client.post(f"/admin/crm/campaigns/{cid}/launch?lang=en")
    assert launched.status_code == 200 and 'data-testid="results"' in launched.text
    assert "95 % interval" in launched.text
    assert "95 % 置信区间" in client.get(f"/admin/crm/campaigns/{cid}?lang=zh_Hans").text
