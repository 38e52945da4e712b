"""Dish votes and short surveys: a manager sets one up, members answer on the member API
(signed in with a code from the local SMTP server), the counts are right, bad input is
refused with the field and writes nothing, and erasure takes the answers with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hub.member_portal.auth import MEMBER_COOKIE
from hub.models.dishes import Dish
from hub.models.sites import Organisation, Site
from hub.models.surveys import Survey, SurveyResponse
from hub.models.users import Role
from tests.member_portal.conftest import SignIn, seed_diner

Auth = Callable[[Role | str], dict[str, str]]
NOW = datetime.now(UTC)


def _dishes(client: TestClient) -> None:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        for code, zh, en in (("mapo", "麻婆豆腐", "Mapo tofu"), ("ribs", "糖醋排骨", "Sweet ribs"),
                             ("noodle", "担担面", "Dandan noodles")):
            s.add(Dish(code=code, name_zh=zh, name_en=en, category="hot", price_cents=1200))
        s.commit()


def _vote(**over: Any) -> dict[str, Any]:
    return {"kind": "dish_vote", "title_zh": "下周想吃什么", "title_en": "Next week's dishes",
            "opens_at": (NOW - timedelta(hours=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=3)).isoformat(),
            "dishes": ["mapo", "ribs", "noodle"], "max_picks": 2, **over}


def _count(client: TestClient, model: type) -> int:
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_members_vote_for_dishes_and_the_manager_sees_the_counts(
        client: TestClient, auth: Auth, sign_in: SignIn) -> None:
    _dishes(client)
    a = seed_diner(client, "M901", cents=1000, name="张伟")
    b = seed_diner(client, "M902", cents=1000, name="李娜")
    r = client.post("/api/v1/surveys", json=_vote(), headers=auth(Role.MANAGER))
    assert r.status_code == 201, r.text
    vote = r.json()
    assert [c["zh"] for c in vote["questions"][0]["choices"]] == ["麻婆豆腐", "糖醋排骨", "担担面"]
    me_a, me_b = sign_in(a), sign_in(b)

    mine = client.get("/api/v1/me/surveys", headers=me_a).json()
    assert [m["survey"]["id"] for m in mine] == [vote["id"]] and mine[0]["my_answers"] is None
    url = f"/api/v1/me/surveys/{vote['id']}/answers"
    assert client.put(url, json={"answers": {"dishes": ["mapo"]}}, headers=me_a).status_code == 200
    # Changing one's mind while it is open replaces the vote, never adds a second.
    r = client.put(url, json={"answers": {"dishes": ["ribs", "noodle"]}}, headers=me_a)
    assert r.status_code == 200 and r.json()["answers"] == {"dishes": ["ribs", "noodle"]}
    assert client.put(url, json={"answers": {"dishes": ["ribs"]}}, headers=me_b).status_code == 200
    mine = client.get("/api/v1/me/surveys", headers=me_a).json()
    assert mine[0]["my_answers"] == {"dishes": ["ribs", "noodle"]}

    res = client.get(f"/api/v1/surveys/{vote['id']}/results", headers=auth(Role.MANAGER)).json()
    assert res["responses"] == 2
    assert [(o["code"], o["picks"]) for o in res["questions"][0]["options"]] == [
        ("ribs", 2), ("noodle", 1), ("mapo", 0)]

    # Closed early: no more answers (409), the results stay.
    assert client.post(f"/api/v1/surveys/{vote['id']}/close",
                       headers=auth(Role.MANAGER)).status_code == 200
    r = client.put(url, json={"answers": {"dishes": ["mapo"]}}, headers=me_b)
    assert r.status_code == 409, r.text
    assert client.get("/api/v1/me/surveys", headers=me_b).json() == []
    res = client.get(f"/api/v1/surveys/{vote['id']}/results", headers=auth(Role.MANAGER)).json()
    assert res["questions"][0]["options"][0] == {"code": "ribs", "zh": "糖醋排骨",
                                                 "en": "Sweet ribs", "picks": 2}


def test_a_short_survey_counts_stars_and_keeps_texts_and_refuses_bad_answers(
        client: TestClient, auth: Auth, sign_in: SignIn) -> None:
    a = seed_diner(client, "M911", cents=100, name="王芳")
    b = seed_diner(client, "M912", cents=100, name="赵强")
    body = {"kind": "survey", "title_zh": "午餐满意度", "title_en": "Lunch survey",
            "opens_at": (NOW - timedelta(minutes=5)).isoformat(),
            "closes_at": (NOW + timedelta(days=1)).isoformat(),
            "questions": [
                {"code": "taste", "kind": "rating", "text_zh": "口味", "text_en": "Taste"},
                {"code": "queue", "kind": "choice", "text_zh": "排队", "text_en": "Queue",
                 "choices": [{"code": "short", "zh": "很快", "en": "Short"},
                             {"code": "long", "zh": "太长", "en": "Too long"}]},
                {"code": "say", "kind": "text", "text_zh": "建议", "text_en": "Ideas",
                 "required": False}]}
    survey = client.post("/api/v1/surveys", json=body, headers=auth(Role.MANAGER)).json()
    url = f"/api/v1/me/surveys/{survey['id']}/answers"
    me_a, me_b = sign_in(a), sign_in(b)
    for answers, field in (
            ({"taste": 6, "queue": "short"}, "taste"),  # stars are 1 to 5
            ({"taste": True, "queue": "short"}, "taste"),  # not a number
            ({"taste": 4}, "queue"),  # a required question left out
            ({"taste": 4, "queue": "maybe"}, "queue"),  # no such option
            ({"taste": 4, "queue": ["short", "long"]}, "queue"),  # one pick only
            ({"taste": 4, "queue": "short", "say": "x" * 501}, "say"),
            ({"taste": 4, "queue": "short", "colour": "red"}, "colour")):
        r = client.put(url, json={"answers": answers}, headers=me_a)
        assert r.status_code == 422, (answers, r.text)
        assert r.json()["detail"][0]["loc"] == ["body", field], r.text
    r = client.put(url, json={"answers": {"taste": 4, "queue": "short", "say": "a\x00b"}},
                   headers=me_a)  # refused by the API's guard before any survey code runs
    assert r.status_code == 422 and "control characters" in r.text
    assert _count(client, SurveyResponse) == 0  # nothing half-written

    assert client.put(url, json={"answers": {"taste": 4, "queue": "long",
                                             "say": "多一点素菜"}}, headers=me_a).status_code == 200
    assert client.put(url, json={"answers": {"taste": 5, "queue": "long"}},
                      headers=me_b).status_code == 200
    res = client.get(f"/api/v1/surveys/{survey['id']}/results", headers=auth(Role.ADMIN)).json()
    taste, queue, say = res["questions"]
    assert taste["mean"] == 4.5 and taste["stars"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert queue["options"][0] == {"code": "long", "zh": "太长", "en": "Too long", "picks": 2}
    assert say["texts"] == ["多一点素菜"] and say["answered"] == 1

    # The export carries the answers; erasure takes them with the member.
    export = client.get(f"/api/v1/members/{a.id}/personal-data", headers=auth(Role.ADMIN))
    assert export.status_code == 200, export.text
    assert export.json()["survey_answers"][0]["answers"]["say"] == "多一点素菜"
    r = client.post(f"/api/v1/members/{a.id}/erase", headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.text
    res = client.get(f"/api/v1/surveys/{survey['id']}/results", headers=auth(Role.ADMIN)).json()
    assert res["responses"] == 1 and res["questions"][2]["texts"] == []


def test_bad_surveys_are_refused_whole_and_each_side_keeps_to_its_own_routes(
        client: TestClient, auth: Auth, sign_in: SignIn) -> None:
    _dishes(client)
    manager = auth(Role.MANAGER)
    for body, where in (
            (_vote(dishes=["mapo"]), "at least two"),
            (_vote(dishes=["mapo", "nope"]), "unknown dishes: nope"),
            (_vote(closes_at=(NOW - timedelta(days=2)).isoformat()), "after opens_at"),
            (_vote(site_id=999), "site 999 not found"),
            ({**_vote(kind="survey"), "dishes": []}, "at least one question"),
            ({**_vote(kind="survey"), "dishes": [], "questions": [
                {"code": "q", "kind": "choice", "text_zh": "问", "text_en": "Q",
                 "choices": [{"code": "a", "zh": "甲", "en": "A"}]}]}, "two options")):
        r = client.post("/api/v1/surveys", json=body, headers=manager)
        assert r.status_code == 422 and where in r.text, (where, r.text)
    assert _count(client, Survey) == 0

    # A survey of another site is not offered to a member who cannot eat there.
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        other = Site(code="other", name_zh="别处", name_en="Elsewhere", organisation_id=None)
        s.add(other)
        s.commit()
        other_id = other.id
    diner = seed_diner(client, "M921", cents=100, name="孙丽")
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        org = Organisation(code="acme", name_zh="某公司", name_en="Acme")
        s.add(org)
        s.commit()
        site = s.get(Site, other_id)
        assert site is not None
        site.organisation_id = org.id
        s.add(site)
        s.commit()
    elsewhere = client.post("/api/v1/surveys", json=_vote(site_id=other_id), headers=manager)
    assert elsewhere.status_code == 201, elsewhere.text
    me = sign_in(diner)
    assert client.get("/api/v1/me/surveys", headers=me).json() == []
    r = client.put(f"/api/v1/me/surveys/{elsewhere.json()['id']}/answers",
                   json={"answers": {"dishes": ["mapo"]}}, headers=me)
    assert r.status_code == 404
    # Staff tokens do not open the member routes; member tokens do not open the staff ones.
    assert client.get("/api/v1/me/surveys", headers=manager).status_code == 403
    assert client.get("/api/v1/surveys", headers=me).status_code in (401, 403)
    assert client.get("/api/v1/surveys", headers=auth(Role.CASHIER)).status_code == 403


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def test_a_member_answers_on_the_member_web_page_and_a_refusal_changes_nothing(
        client: TestClient, auth: Auth, sign_in: SignIn) -> None:
    _dishes(client)
    diner = seed_diner(client, "M931", cents=100, name="周杰")
    vote = client.post("/api/v1/surveys", json=_vote(), headers=auth(Role.MANAGER)).json()
    token = sign_in(diner)["Authorization"].removeprefix("Bearer ")
    client.cookies.set(MEMBER_COOKIE, token)
    page = client.get("/member/surveys")
    assert page.status_code == 200 and "下周想吃什么" in page.text and "糖醋排骨" in page.text
    csrf = CSRF.search(page.text)
    assert csrf
    url = f"/member/surveys/{vote['id']}"
    # Without the session's CSRF token: refused, nothing saved.
    r = client.post(url, data={"csrf": "forged", "q_dishes": ["ribs"]}, follow_redirects=False)
    assert r.status_code == 403 and _count(client, SurveyResponse) == 0
    # Three picks where two are allowed: refused in the page's language, nothing saved.
    r = client.post(url, data={"csrf": csrf.group(1), "q_dishes": ["ribs", "mapo", "noodle"]},
                    follow_redirects=False)
    assert r.status_code == 422 and _count(client, SurveyResponse) == 0
    r = client.post(url, data={"csrf": csrf.group(1), "q_dishes": ["ribs", "mapo"]},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/member/surveys?done={vote['id']}"
    page = client.get(r.headers["location"] + "&lang=en")
    assert "Your answer is saved" in page.text and "Change my answer" in page.text
    assert page.text.count("checked") == 2  # the two picks are shown ticked
    res = client.get(f"/api/v1/surveys/{vote['id']}/results", headers=auth(Role.MANAGER)).json()
    assert {o["code"]: o["picks"] for o in res["questions"][0]["options"]} == {
        "ribs": 1, "mapo": 1, "noodle": 0}
