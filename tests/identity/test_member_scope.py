"""A site's member cache holds only the members entitled to eat there (issue 11, item 12).

Two employers with a canteen each, and the operator's own canteen with no organisation:
a member of one employer never reaches another's kiosks, and moving a member between
organisations removes them from the old cache and adds them to the new one.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from hub.models.users import Role
from protocol.member_cache import MemberCacheDelta
from protocol.tokens import identifier_hash

Auth = Callable[[Role], dict[str, str]]


def post(client: TestClient, auth: Auth, url: str, body: dict[str, object]) -> int:
    """Create something as an admin; its id."""
    r = client.post(url, json=body, headers=auth(Role.ADMIN))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def delta(client: TestClient, auth: Auth, site: int, since: int) -> MemberCacheDelta:
    """The member delta of a site from a version (there must be one)."""
    r = client.get(f"/api/v1/identity/sites/{site}/member-delta",
                   params={"from_version": since}, headers=auth(Role.MANAGER))
    assert r.status_code == 200, r.text
    return MemberCacheDelta.model_validate(r.json())


def site_key(client: TestClient, auth: Auth, site: int) -> bytes:
    """The site's identifier-hash key, as its devices are configured with it."""
    r = client.get(f"/api/v1/identity/sites/{site}/device-keys", headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.text
    return str(r.json()["identifier_key"]).encode()


def test_members_go_only_to_their_organisations_sites(client: TestClient, auth: Auth) -> None:
    acme = post(client, auth, "/api/v1/organisations",
                {"code": "acme", "name_zh": "甲公司", "name_en": "Acme"})
    beta = post(client, auth, "/api/v1/organisations",
                {"code": "beta", "name_zh": "乙公司", "name_en": "Beta"})
    site_a = post(client, auth, "/api/v1/sites", {"code": "acme-hq", "name_zh": "甲食堂",
                                                  "name_en": "Acme canteen",
                                                  "organisation_id": acme})
    site_b = post(client, auth, "/api/v1/sites", {"code": "beta-hq", "name_zh": "乙食堂",
                                                  "name_en": "Beta canteen",
                                                  "organisation_id": beta})
    site_open = post(client, auth, "/api/v1/sites", {"code": "public", "name_zh": "公共食堂",
                                                     "name_en": "Public canteen"})
    ann = post(client, auth, "/api/v1/members",
               {"member_no": "A001", "name": "安", "organisation_id": acme})
    post(client, auth, "/api/v1/members", {"member_no": "B001", "name": "贝",
                                           "organisation_id": beta})
    post(client, auth, "/api/v1/members", {"member_no": "W001", "name": "散客"})

    first = {s: delta(client, auth, s, 0) for s in (site_a, site_b, site_open)}
    assert {u.member_id for u in first[site_a].upserts} == {"A001"}
    assert {u.member_id for u in first[site_b].upserts} == {"B001"}
    assert {u.member_id for u in first[site_open].upserts} == {"W001"}

    # Ann moves to Beta: gone from Acme's kiosks (a removal), on Beta's (an upsert).
    r = client.patch(f"/api/v1/members/{ann}", json={"organisation_id": beta},
                     headers=auth(Role.ADMIN))
    assert r.status_code == 200 and r.json()["organisation_id"] == beta, r.text
    left = delta(client, auth, site_a, first[site_a].to_version)
    assert left.upserts == ()
    assert left.removals == (identifier_hash("member", "A001", site_key(client, auth, site_a)),)
    joined = delta(client, auth, site_b, first[site_b].to_version)
    assert [u.member_id for u in joined.upserts] == ["A001"] and joined.removals == ()
    assert joined.upserts[0].identifier_hash == identifier_hash(
        "member", "A001", site_key(client, auth, site_b))
    assert {u.member_id for u in delta(client, auth, site_b, 0).upserts} == {"A001", "B001"}

    # No organisation: the operator's open canteen only.
    r = client.patch(f"/api/v1/members/{ann}", json={"organisation_id": None},
                     headers=auth(Role.ADMIN))
    assert r.status_code == 200, r.text
    assert {u.member_id for u in delta(client, auth, site_open, 0).upserts} == {"A001", "W001"}
    assert {u.member_id for u in delta(client, auth, site_b, 0).upserts} == {"B001"}


def test_unknown_organisation_refused(client: TestClient, auth: Auth) -> None:
    r = client.post("/api/v1/members", json={"member_no": "X1", "name": "某",
                                             "organisation_id": 999},
                    headers=auth(Role.ADMIN))
    assert r.status_code == 422, r.text
    assert "organisation 999 does not exist" in r.text
    member = post(client, auth, "/api/v1/members", {"member_no": "X2", "name": "某"})
    r = client.patch(f"/api/v1/members/{member}", json={"organisation_id": 999},
                     headers=auth(Role.ADMIN))
    assert r.status_code == 422 and "organisation 999 does not exist" in r.text
    assert client.get(f"/api/v1/members/{member}", headers=auth(Role.ADMIN)
                      ).json()["organisation_id"] is None


def test_import_and_export_carry_the_organisation_code(client: TestClient, auth: Auth) -> None:
    acme = post(client, auth, "/api/v1/organisations",
                {"code": "acme", "name_zh": "甲公司", "name_en": "Acme"})
    h = auth(Role.ADMIN)

    def upload(text: str) -> dict[str, object]:
        r = client.post("/api/v1/member-import", files={"file": ("m.csv", text.encode())},
                        headers=h)
        assert r.status_code == 202, r.text
        return dict(client.get(f"/api/v1/member-import/{r.json()['id']}", headers=h).json())

    refused = upload("member_no,name,consent_data,organisation\nE1,甲,yes,nobody\n")
    assert refused["status"] == "refused", refused
    assert refused["errors"] == [{"row": 2, "column": "organisation", "zh": "没有这个组织编码",
                                  "en": "no organisation has this code"}]
    done = upload("会员号,姓名,同意数据处理,所属组织\nE1,甲,是,acme\nE2,乙,是,\n")
    assert done["status"] == "done" and done["imported"] == 2, done
    by_no = {m["member_no"]: m for m in client.get("/api/v1/members", headers=h).json()["items"]}
    assert by_no["E1"]["organisation_id"] == acme and by_no["E2"]["organisation_id"] is None
    text = client.get("/api/v1/member-export", params={"format": "csv"}, headers=h
                      ).content.decode("utf-8-sig")
    header, e1, e2 = text.splitlines()[:3]
    assert header.endswith(",organisation") and e1.endswith(",acme") and e2.endswith(",")
