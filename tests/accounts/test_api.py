"""The accounts API on SQLite and PostgreSQL: roles, receipts, and every refusal writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from hub.accounts import reconcile
from hub.models.users import Role
from protocol.payloads.order import Payment
from tests.accounts.conftest import T0, count_rows

Auth = Callable[[Role], dict[str, str]]
MONEY_TABLES = ("ledger_entry", "member_account", "audit_log", "ledger_lot", "overdraft_flag")


def _member(client: TestClient, auth: Auth, no: str = "E100") -> int:
    r = client.post("/api/v1/members", headers=auth(Role.CASHIER),
                    json={"member_no": no, "name": "王小明", "employer": "acme"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _counts(db: Session) -> dict[str, int]:
    db.expire_all()
    return {t: count_rows(db, t) for t in MONEY_TABLES}


def test_cashier_tops_up_and_looks_up(client: TestClient, auth: Auth) -> None:
    m = _member(client, auth)
    r = client.post(f"/api/v1/accounts/{m}/top-ups", headers=auth(Role.CASHIER),
                    json={"amount_cents": 5_000, "method": "wechat", "reference": "wx-1"})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["paid_balance_cents"] == 5_000 and receipt["member_no"] == "E100"
    assert "充值 Top-up: ￥50.00" in receipt["text_lines"]
    assert "收银员 Cashier: cashier-user" in receipt["text_lines"]
    bal = client.get(f"/api/v1/accounts/{m}", headers=auth(Role.CASHIER)).json()
    assert (bal["paid_cents"], bal["bonus_cents"], bal["name"]) == (5_000, 0, "王小明")
    page = client.get(f"/api/v1/accounts/{m}/entries?limit=1", headers=auth(Role.CASHIER)).json()
    assert page["total"] == 1 and page["items"][0]["kind"] == "topup"
    assert page["items"][0]["actor"] == "cashier-user"
    wallet = client.get(f"/api/v1/accounts/{m}/wallet?meal_period=lunch",
                        headers=auth(Role.CASHIER)).json()
    assert (wallet["paid_balance_cents"], wallet["offline_limit_cents"]) == (5_000, 5_000)
    assert wallet["tier_code"] == "standard" and wallet["member_price"] is True


def test_refusals_are_clear_and_write_nothing(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    m = _member(client, auth)
    client.post(f"/api/v1/accounts/{m}/top-ups", headers=auth(Role.CASHIER),
                json={"amount_cents": 1_000, "method": "cash"})
    before = _counts(db_session)
    cases = [
        # (role, method, url, body, status, text in the answer)
        (Role.CASHIER, "post", f"/accounts/{m}/top-ups", {"amount_cents": 0, "method": "cash"},
         422, "greater than 0"),
        (Role.CASHIER, "post", f"/accounts/{m}/top-ups", {"amount_cents": -100, "method": "cash"},
         422, "greater than 0"),
        (Role.CASHIER, "post", "/accounts/9999/top-ups", {"amount_cents": 100, "method": "cash"},
         404, "member 9999 not found"),
        (Role.KITCHEN, "post", f"/accounts/{m}/top-ups", {"amount_cents": 100, "method": "cash"},
         403, "may not do this"),
        (Role.CASHIER, "post", f"/accounts/{m}/adjustments",
         {"account": "paid", "amount": 100, "reason": "gift"}, 403, "may not do this"),
        (Role.MANAGER, "post", f"/accounts/{m}/adjustments",
         {"account": "paid", "amount": 100}, 422, "reason"),
        (Role.MANAGER, "post", f"/accounts/{m}/adjustments",
         {"account": "paid", "amount": 100, "reason": "   "}, 422, "reason is required"),
        (Role.MANAGER, "post", f"/accounts/{m}/adjustments",
         {"account": "paid", "amount": 0, "reason": "x"}, 422, "zero"),
        (Role.MANAGER, "post", f"/accounts/{m}/adjustments",
         {"account": "paid", "amount": -1_001, "reason": "x"}, 409, "insufficient paid balance"),
        (Role.MANAGER, "post", f"/accounts/{m}/adjustments",
         {"account": "subsidy", "amount": 5, "reason": "x"}, 422, "subsidy"),
        (Role.MANAGER, "post", "/accounts/9999/adjustments",
         {"account": "paid", "amount": 5, "reason": "x"}, 404, "not found"),
        (Role.MANAGER, "post", "/refunds", {"order_id": "nope", "reason": "x"}, 404,
         "paid nothing from the member"),
        (Role.CASHIER, "post", "/refunds", {"order_id": "nope", "reason": "x"}, 403, "may not"),
        (Role.CASHIER, "post", f"/accounts/{m}/points/redemptions", {"points": 1, "gift": "mug"},
         409, "insufficient points"),
        (Role.MANAGER, "put", f"/accounts/{m}/offline-limit", {"offline_limit_cents": -1}, 422,
         "greater than or equal"),
        (Role.MANAGER, "post", "/overdrafts/77/resolve", {"note": "x"}, 404, "not found"),
        (Role.MANAGER, "get", "/audit", None, 403, "may not"),
        (Role.CASHIER, "post", "/subsidy-rules", {}, 403, "may not"),
        (Role.MANAGER, "post", "/subsidy-rules",
         {"code": "x", "name_zh": "补", "name_en": "S", "employer": "acme", "amount_cents": 0},
         422, "greater than 0"),
        (Role.MANAGER, "post", "/subsidy-rules",
         {"code": "x", "name_zh": "补", "name_en": "S", "employer": "acme", "amount_cents": 1,
          "weekdays": "189"}, 422, "weekdays"),
        (Role.MANAGER, "post", "/account-jobs/make-money", {}, 404, "no job"),
    ]
    for role, method, url, body, status, text in cases:
        r = client.request(method.upper(), "/api/v1" + url, headers=auth(role), json=body)
        assert r.status_code == status, (url, body, r.status_code, r.text)
        assert text in r.text, (url, r.text)
        assert _counts(db_session) == before, (url, body)


def test_manager_rules_tiers_jobs_overdrafts_and_admin_audit(
    client: TestClient, auth: Auth, db_session: Session
) -> None:
    m = _member(client, auth)
    mgr = auth(Role.MANAGER)
    rule = {"code": "acme-lunch", "name_zh": "午餐补贴", "name_en": "Lunch", "employer": "acme",
            "meal_period": "lunch", "amount_cents": 1_200}
    assert client.post("/api/v1/subsidy-rules", headers=mgr, json=rule).status_code == 201
    assert client.post("/api/v1/subsidy-rules", headers=mgr, json=rule).status_code == 409
    tier = {"code": "gold", "name_zh": "金卡", "name_en": "Gold", "rank": 2,
            "min_spend_cents": 0, "points_multiplier_pct": 150}
    assert client.post("/api/v1/tiers", headers=mgr, json=tier).status_code == 201
    assert client.post("/api/v1/tiers", headers=mgr, json=tier).status_code == 409
    at = {"at": T0.isoformat()}
    first = client.post("/api/v1/account-jobs/grant-subsidies", headers=mgr, json=at).json()
    again = client.post("/api/v1/account-jobs/grant-subsidies", headers=mgr, json=at).json()
    assert (first["grants"], again["grants"], again["already_granted"]) == (1, 0, 1)
    tiers_run = client.post("/api/v1/account-jobs/recalculate-tiers", headers=mgr, json=at).json()
    assert tiers_run == {"job": "recalculate-tiers", "changes": 1}
    hist = client.get(f"/api/v1/accounts/{m}/tier-history", headers=mgr).json()
    assert hist["items"][0]["to_code"] == "gold"
    # An offline order the balances cannot cover shows up for follow-up.
    reconcile.post_order_payments(
        db_session, order_id="0195f0a0-0000-7000-8000-00000000f001", member_id=m,
        payments=[Payment(method="stored_value", amount_cents=6_000)], offline=True,
        placed_at=T0 + timedelta(hours=1), total_cents=6_000,
    )
    db_session.commit()
    flags = client.get("/api/v1/overdrafts", headers=mgr).json()
    assert flags["total"] == 1 and flags["items"][0]["uncollected_cents"] == 1_000
    fid = flags["items"][0]["id"]
    ok = client.post(f"/api/v1/overdrafts/{fid}/resolve", headers=mgr, json={"note": "written off"})
    assert ok.status_code == 200 and ok.json()["resolved_by"] == "manager-user"
    twice = client.post(f"/api/v1/overdrafts/{fid}/resolve", headers=mgr, json={"note": "again"})
    assert twice.status_code == 409
    log = client.get("/api/v1/audit?limit=50", headers=auth(Role.ADMIN)).json()
    actions = {(a["entity"], a["action"]) for a in log["items"]}
    assert {("subsidy_rule", "create"), ("tier", "create"), ("job", "subsidy_grant"),
            ("member_account", "tier_change"), ("overdraft", "overdraft_resolve")} <= actions
