"""A launched campaign greets the member at a kiosk: the hub's member-cache delta carries
the greeting and the offer, the kiosk's agent applies it, the journey controller shows it
on the menu line once the member is identified, the receipt prints it; a complaint's
follow-up travels the same way; an old 1.0 kiosk still applies the delta, without them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from edge_agent.downlinks import DownlinkApplier
from hardware.printer.layout import layout_receipt, plain_lines
from hardware.printer.receipt import Payment, Receipt, ReceiptLine
from hub.crm.campaigns import CampaignInput, create_campaign, launch_campaign
from hub.crm.cases import resolve_case
from hub.crm.segments import save_segment
from hub.crypto import FieldCipher
from hub.identity import delta as delta_module
from hub.identity.delta import build_member_delta
from hub.models import Site
from hub.models.crm_cases import ComplaintCase
from hub.models.identity import SiteIdentityKey
from kiosk.screens import present
from kiosk.services.member_messages import receipt_lines
from protocol import codec as wire
from protocol import encode, make_envelope
from protocol.member_cache import MemberCacheDelta
from protocol.tokens import sign_member_token
from tests.kiosk.controllers.conftest import LUNCH, SITE_KEY, TOKEN_KEY, make_kiosk
from tests.support.crm_cases import (
    RICE,
    World,
    envelope,
    fresh_engine,
    migrated_template,
    placed,
    seed_world,
    write_ok,
)

CIPHER = FieldCipher(encryption_key=Fernet.generate_key().decode(), hash_key="h" * 40)


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> World:
    # The hub builds the member cache at the kiosk's frozen lunch time.
    monkeypatch.setattr(delta_module, "utcnow", lambda: LUNCH)
    template = migrated_template(tmp_path_factory.mktemp("crm-kiosk-db"))
    w = seed_world(fresh_engine(template, tmp_path), members=2)
    with Session(w.engine) as s:  # the site's identifier key is the kiosk's
        site = s.exec(select(Site)).one()
        s.add(SiteIdentityKey(site_id=site.id or 0,
                              key_encrypted=CIPHER.encrypt(SITE_KEY.decode())))
        s.commit()
    return w


def _delta(world: World) -> MemberCacheDelta:
    with Session(world.engine) as s:
        site = s.exec(select(Site)).one()
        delta = build_member_delta(s, cipher=CIPHER, site_id=site.id or 0, from_version=0)
    assert delta is not None
    return delta


def test_a_campaign_greets_the_member_on_the_menu_and_the_receipt(
        world: World, tmp_path: Path) -> None:
    with Session(world.engine) as s:
        seg = save_segment(s, name="all", actor="t", definition={
            "kind": "metric", "metric": "visits", "window_days": 30, "op": ">=", "value": 0})
        s.commit()
        c = create_campaign(s, actor="mgr", now=LUNCH, data=CampaignInput(
            code="lunch_treat", name="Lunch", segment_id=seg.id or 0,
            coupon_template_id=world.template_id, message_zh="午餐愉快", message_en="Enjoy lunch",
            channels=["kiosk", "receipt"], holdout_percent=0,
            starts_at=LUNCH - timedelta(hours=1), ends_at=LUNCH + timedelta(days=3)))
        launch_campaign(s, campaign_id=c.id or 0, actor="mgr", now=LUNCH - timedelta(hours=1))
    delta = _delta(world)
    raw = encode(make_envelope("member.delta", delta, site="s1", device="hub"))
    kiosk = make_kiosk(tmp_path)
    try:
        DownlinkApplier(kiosk.store.conn, site_id="site-1").apply_member_delta(
            wire.parse(raw).payload_as(MemberCacheDelta))
        j = kiosk.journey
        j.start()
        code = sign_member_token(member_id="M001", now=LUNCH, key_id="k1",
                                 private_key=TOKEN_KEY)
        assert j.identify("qr", code), j.state.message
        assert j.state.member is not None
        assert [g.en for g in j.state.member.greetings] == ["Enjoy lunch (5 yuan off)"]
        assert "午餐愉快（立减5元）" in present.member_line(j.state.member, "zh_Hans")
        assert "Enjoy lunch (5 yuan off)" in present.member_line(j.state.member, "en")
        member = j.session.member
        assert member is not None
        notes = [f"{t.zh} {t.en}" for t in receipt_lines(member, LUNCH)]
        assert notes == ["午餐愉快（立减5元） Enjoy lunch (5 yuan off)"]
        printed = plain_lines(layout_receipt(Receipt(
            canteen_name="一食堂", order_no="A1", order_id="o-1", created_at=LUNCH,
            lines=(ReceiptLine(name_zh="米饭", qty=1, unit_price_cents=100),),
            payment=Payment(other_cents=100), notes=tuple(notes)), 32), 32)
        assert any("午餐愉快" in line for line in printed)
    finally:
        kiosk.runtime.stop()


def test_a_follow_up_reaches_the_next_visit_and_is_then_marked_shown(
        world: World, tmp_path: Path) -> None:
    order_id, order = placed("A001", "M002", LUNCH - timedelta(days=1), [RICE])
    write_ok(world, [order, envelope("feedback.given", {"order_id": order_id, "rating": 1},
                                     sent_at=LUNCH - timedelta(days=1))])
    with Session(world.engine) as s:
        case = s.exec(select(ComplaintCase)).one()
        resolve_case(s, case_id=case.id or 0, resolution="Refunded the rice",
                     follow_up_zh="抱歉！已退款。", follow_up_en="Sorry! We refunded you.",
                     actor="mgr", now=LUNCH - timedelta(hours=2))
    kiosk = make_kiosk(tmp_path)
    try:
        DownlinkApplier(kiosk.store.conn, site_id="site-1").apply_member_delta(_delta(world))
        j = kiosk.journey
        j.start()
        code = sign_member_token(member_id="M002", now=LUNCH, key_id="k1",
                                 private_key=TOKEN_KEY)
        assert j.identify("qr", code), j.state.message
        assert j.state.member is not None
        assert [g.en for g in j.state.member.greetings] == ["Sorry! We refunded you."]
    finally:
        kiosk.runtime.stop()
    # The member's next order reaches the hub: the follow-up counts as shown and leaves
    # the member cache.
    write_ok(world, [placed("A002", "M002", LUNCH, [RICE])[1]])
    assert all(not m.messages for m in _delta(world).upserts)


def test_an_old_kiosk_applies_a_delta_with_messages_and_ignores_them(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id, order = placed("A001", "M001", LUNCH, [RICE])
    write_ok(world, [order, envelope("feedback.given", {"order_id": order_id, "rating": 1})])
    with Session(world.engine) as s:
        case = s.exec(select(ComplaintCase)).one()
        resolve_case(s, case_id=case.id or 0, resolution="ok", follow_up_zh="抱歉",
                     follow_up_en="Sorry", actor="mgr")
    raw = encode(make_envelope("member.delta", _delta(world), site="s1", device="hub"))
    assert json.loads(raw)["schema_version"] == "1.1" and b'"messages"' in raw
    monkeypatch.setattr(wire, "SCHEMA_MINOR", 0)  # what a 1.0 device's parser knows
    old = wire.parse(raw).payload_as(MemberCacheDelta)
    assert {m.member_id for m in old.upserts} == {"M001", "M002"}
    assert all(m.messages == () for m in old.upserts)
