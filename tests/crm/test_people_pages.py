"""The CRM people pages over HTTP in both languages: member search (name, phone, card, tag),
the profile with tags and their evidence (each view audited), the rules editor (dry run
writes nothing, a bad rule refused with field and reason and nothing saved, an extreme one
only after the confirmed dry run) and the segment builder (count, JSON live count, save);
cashiers kept out of every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from hub.app import create_app
from hub.crm import jobs
from hub.models.audit import AuditLog
from hub.models.crm import MemberTag, Segment, TagRule
from hub.models.users import Role
from tests.hub.conftest import TEST_PASSWORD, ensure_user, make_settings
from tests.support import crm_data
from tests.support.crm_data import AT, LONG_WINDOW_RULE

PAGES = ("/admin/crm/members", "/admin/crm/rules", "/admin/crm/segments")


def _login(client: TestClient, username: str, role: Role) -> None:
    ensure_user(client.app, username=username, role=role)  # type: ignore[arg-type]
    client.cookies.clear()
    reply = client.post("/admin/login", data={"username": username, "password": TEST_PASSWORD},
                        follow_redirects=False)
    assert reply.status_code == 302


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[TestClient, crm_data.History]]:
    settings = make_settings(Path(tmp_path_factory.mktemp("crm-people")))
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            history = crm_data.build(conn)
        with Session(engine) as session:
            jobs.full_refresh(session, at=AT)
        _login(client, "crm-people-boss", Role.MANAGER)
        yield client, history


def _session(client: TestClient) -> Session:
    return Session(client.app.state.engine)  # type: ignore[attr-defined]


def test_cashiers_and_strangers_are_kept_out(shell: tuple[TestClient, crm_data.History]) -> None:
    client, history = shell
    stranger = TestClient(client.app)
    for path in (*PAGES, f"/admin/crm/members/{history.members['regular']}"):
        reply = stranger.get(path, follow_redirects=False)
        assert reply.status_code == 302 and reply.headers["location"].endswith("/admin/login")
    cashier = TestClient(client.app)
    ensure_user(client.app, username="crm-people-cashier", role=Role.CASHIER)  # type: ignore[arg-type]
    assert cashier.post("/admin/login", data={"username": "crm-people-cashier",
                                              "password": TEST_PASSWORD},
                        follow_redirects=False).status_code == 302
    for path in (*PAGES, f"/admin/crm/members/{history.members['regular']}"):
        assert cashier.get(path, follow_redirects=False).status_code in (302, 403), path
    reply = cashier.post("/admin/crm/rules", data={"action": "save", "code": "x",
                                                   "name_zh": "x", "name_en": "x",
                                                   "definition": LONG_WINDOW_RULE},
                         follow_redirects=False)
    assert reply.status_code in (302, 403)
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "x")).first() is None


@pytest.mark.parametrize(("lang", "words"), [("en", ("Members", "Tags")),
                                             ("zh_Hans", ("会员", "标签"))])
def test_search_by_name_tag_and_bad_input(shell: tuple[TestClient, crm_data.History],
                                          lang: str, words: tuple[str, ...]) -> None:
    client, _ = shell
    page = client.get(f"/admin/crm/members?q=spicy&lang={lang}")
    assert page.status_code == 200 and 'data-member="M-spicy"' in page.text
    for word in words:
        assert word in page.text
    by_tag = client.get("/admin/crm/members?by=tag&q=no_coriander").text
    assert by_tag.count("data-member=") == 1 and 'data-member="M-herbless"' in by_tag
    assert client.get("/admin/crm/members?by=card&q=NOPE").text.count("data-member=") == 0
    assert client.get("/admin/crm/members?by=phone&q=abc").status_code in (200, 400)
    assert client.get("/admin/crm/members?by=nonsense&q=" + "x" * 500).status_code == 200


def test_the_profile_shows_tags_with_evidence_and_is_audited(
        shell: tuple[TestClient, crm_data.History]) -> None:
    client, history = shell
    member_id = history.members["spicy"]

    def views() -> int:
        with _session(client) as s:
            return int(s.exec(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "crm.profile.view", AuditLog.member_id == member_id,
                AuditLog.actor == "crm-people-boss")).one())

    before = views()
    page = client.get(f"/admin/crm/members/{member_id}?lang=en")
    assert page.status_code == 200
    assert views() == before + 1
    assert 'data-tag="likes_spicy"' in page.text
    assert "Evidence" in page.text and page.text.count("<code>A00") >= 3  # the three orders
    for part in ("profile-identity", "profile-diet", "profile-score", "profile-balances",
                 "profile-learnt", "profile-coupons", "profile-orders", "profile-campaigns",
                 "profile-feedback"):
        assert f'data-testid="{part}"' in page.text, part
    herbless = client.get(f"/admin/crm/members/{history.members['herbless']}?lang=zh_Hans")
    assert "不吃香菜" in herbless.text and "no_coriander ×3" in herbless.text
    assert client.get("/admin/crm/members/999999").status_code == 404


def test_dry_run_writes_nothing_and_save_tags(shell: tuple[TestClient, crm_data.History]
                                              ) -> None:
    client, _ = shell
    form = {"code": "long_regular", "name_zh": "老常客", "name_en": "Long-time regular",
            "definition": LONG_WINDOW_RULE, "active": "on"}
    dry = client.post("/admin/crm/rules?lang=en", data={**form, "action": "dry_run"})
    assert dry.status_code == 200
    assert "This rule would tag 2 of" in dry.text and "M-regular" in dry.text
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "long_regular")).first() is None
    saved = client.post("/admin/crm/rules", data={**form, "action": "save"},
                        follow_redirects=False)
    assert saved.status_code == 303
    with _session(client) as s:
        rule = s.exec(select(TagRule).where(TagRule.code == "long_regular")).one()
        assert len(s.exec(select(MemberTag).where(MemberTag.rule_id == rule.id)).all()) == 2
    edit = client.get(f"/admin/crm/rules?edit={rule.id}&lang=en")
    assert 'value="long_regular"' in edit.text and "Edit rule" in edit.text


@pytest.mark.parametrize(("definition", "field", "reason"), [
    ('{"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": -1}',
     "Definition › value", "greater than or equal to 0"),
    ('{"kind": "metric", "metric": "visits", "window_days": 30, "op": ">=",', "Definition",
     "not valid JSON"),
    ('{"kind": "metric", "metrik": "visits"}', "Definition", "metrik"),
])
def test_a_bad_rule_is_refused_with_field_and_reason(
        shell: tuple[TestClient, crm_data.History], definition: str, field: str,
        reason: str) -> None:
    client, _ = shell
    for action in ("dry_run", "save"):
        reply = client.post("/admin/crm/rules?lang=en", data={
            "code": "bad_rule", "name_zh": "坏", "name_en": "Bad", "definition": definition,
            "action": action})
        assert reply.status_code == 400, reply.text
        assert "Refused; nothing was saved." in reply.text
        assert field in reply.text and reason in reply.text
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "bad_rule")).first() is None


def test_a_rule_that_tags_everyone_needs_the_confirmed_dry_run(
        shell: tuple[TestClient, crm_data.History]) -> None:
    client, _ = shell
    form = {"code": "everyone", "name_zh": "所有人", "name_en": "Everyone", "action": "save",
            "active": "on", "definition": '{"kind": "not", "item": {"kind": "birthday"}}'}
    form["definition"] = ('{"kind": "metric", "metric": "visits", "window_days": 30,'
                          ' "op": ">=", "value": 0}')
    first = client.post("/admin/crm/rules?lang=en", data=form)
    assert first.status_code == 409 and 'data-testid="confirm"' in first.text
    with _session(client) as s:
        assert s.exec(select(TagRule).where(TagRule.code == "everyone")).first() is None
    assert client.post("/admin/crm/rules", data={**form, "confirm": "on"},
                       follow_redirects=False).status_code == 303
    with _session(client) as s:
        rule = s.exec(select(TagRule).where(TagRule.code == "everyone")).one()
        s.delete(rule)
        s.commit()


def test_the_segment_builder_counts_and_saves(shell: tuple[TestClient, crm_data.History]
                                              ) -> None:
    client, _ = shell
    form = {"name": "IT people with tags", "mode": "all", "tags_mode": "any",
            "tags": ["monthly_regular", "churn_risk"], "departments": "IT, Sales"}
    counted = client.post("/admin/crm/segments?lang=en", data={**form, "action": "count"})
    assert counted.status_code == 200 and "1 of" in counted.text and "M-regular" in counted.text
    live = client.post("/admin/crm/segments", data={**form, "action": "count"},
                       headers={"Accept": "application/json"})
    assert live.json()["count"] == 1
    bad = client.post("/admin/crm/segments?lang=en",
                      data={**form, "churn_min": "7", "action": "save"})
    assert bad.status_code == 400 and "Churn probability at least" in bad.text
    empty = client.post("/admin/crm/segments", data={"name": "x", "action": "save"},
                        headers={"Accept": "application/json"})
    assert empty.status_code == 400 and empty.json()["problems"]
    with _session(client) as s:
        assert s.exec(select(func.count()).select_from(Segment)).one() == 0
    saved = client.post("/admin/crm/segments", data={**form, "action": "save"},
                        follow_redirects=False)
    assert saved.status_code == 303
    listed = client.get("/admin/crm/segments?lang=zh_Hans").text
    assert 'data-segment="IT people with tags"' in listed
    with _session(client) as s:
        seg = s.exec(select(Segment).where(col(Segment.name) == form["name"])).one()
        assert seg.definition["kind"] == "all"


def test_manual_tags_from_the_profile(shell: tuple[TestClient, crm_data.History]) -> None:
    client, history = shell
    member_id = history.members["dormant"]
    url = f"/admin/crm/members/{member_id}/tags"
    given = client.post(url, data={"tag": "vip", "note": "谢谢 thanks"}, follow_redirects=False)
    assert given.status_code == 303
    page = client.get(f"/admin/crm/members/{member_id}?lang=en").text
    assert 'data-tag="vip"' in page and "谢谢 thanks" in page
    for tag, why in (("vip", "already has"), ("likes_spicy", "given by a rule"),
                     ("bad tag!", "letters, digits")):
        refused = client.post(f"{url}?lang=en", data={"tag": tag})
        assert refused.status_code == 400 and why in refused.text, tag
    gone = client.post(url, data={"action": "remove", "tag": "vip"}, follow_redirects=False)
    assert gone.status_code == 303
    with _session(client) as s:
        assert not s.exec(select(MemberTag).where(MemberTag.member_id == member_id,
                                                  MemberTag.tag == "vip")).all()
    assert client.post(url, data={"action": "remove", "tag": "vip"}).status_code == 400
    assert client.post("/admin/crm/members/999999/tags", data={"tag": "x"}).status_code == 404


def test_a_saved_segment_exports_with_consent_only_and_audited(
        shell: tuple[TestClient, crm_data.History]) -> None:
    client, _ = shell
    saved = client.post("/admin/crm/segments", data={
        "name": "Departments IT and Sales", "departments": "IT, Sales", "action": "save"},
        follow_redirects=False)
    assert saved.status_code == 303
    listed = client.get("/admin/crm/segments?lang=en").text
    href = listed.split('data-segment="Departments IT and Sales"')[1].split('href="')[1]
    href = href.split('"')[0].replace("&amp;", "&")
    reply = client.get(href)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["X-Left-Out-Without-Consent"] == "3"  # regular, whale, dormant
    assert reply.content.decode("utf-8-sig").splitlines()[0].startswith("member_no,name")
    with _session(client) as s:
        assert s.exec(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "crm.segment.export",
            AuditLog.actor == "crm-people-boss")).one() == 1
    xlsx = client.get(href.replace("format=csv", "format=xlsx"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/admin/crm/segments/999999/export").status_code == 404


def test_the_builder_takes_visits_spend_and_site(shell: tuple[TestClient, crm_data.History]
                                                 ) -> None:
    client, _ = shell
    with_site = client.post("/admin/crm/segments", headers={"Accept": "application/json"},
                            data={"sites": "crm-site", "action": "count"})
    assert with_site.status_code == 200
    # Whatever the date, no one spent 1,000,000 yuan or came 400 times in 30 days.
    none = client.post("/admin/crm/segments", headers={"Accept": "application/json"},
                       data={"spend_min": "1000000", "visits_min": "400", "action": "count"})
    assert none.status_code == 200 and none.json()["count"] == 0
    bad = client.post("/admin/crm/segments?lang=en", data={
        "spend_min": "12.345", "visits_min": "many", "action": "count"})
    assert bad.status_code == 400
    assert "Spend in the last 90 days at least (yuan)" in bad.text
    assert "Visits in the last 30 days at least" in bad.text
