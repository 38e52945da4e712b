"""The face-ID screen in the real window: camera preview, head-turn prompt, "Is this you?",
the consent text, and a bad frame's message, in Chinese and English (screenshots)."""

from __future__ import annotations

import cv2
import pytest

from edge_agent import face_store
from hardware.sim.face_camera import Pose, head_turn, packaged_people, render
from protocol.member_cache import MemberCacheDelta
from tests.kiosk.controllers.conftest import SITE_KEY
from tests.kiosk.screens.driver import Driver
from tests.support.face import person_frame_vector, sealed_face_for

pytestmark = [pytest.mark.screen, pytest.mark.slow]


@pytest.fixture
def face_ui(fresh: Driver) -> Driver:
    """The session kiosk with 张伟 (m-1001) enrolled: the astronaut's template, sealed."""
    conn = fresh.kiosk.store.conn
    face = sealed_face_for("m-1001", person_frame_vector(), SITE_KEY)
    from protocol.tokens import identifier_hash

    delta = MemberCacheDelta.model_validate({
        "from_version": 0, "to_version": 1, "full": True,
        "generated_at": "2025-03-01T00:00:00Z", "upserts": [{
            "identifier_hash": identifier_hash("member", "m-1001", SITE_KEY),
            "member_id": "m-1001", "display_name": "张伟", "tier": "gold",
            "balance_cents": 5000, "subsidy_cents": 1200, "points": 800,
            "offline_limit_cents": 1000, "face": face}]})
    face_store.apply_member_delta(conn, delta)  # the table only: the member rows stay
    fresh.journey.face.service._templates = None
    return fresh


def _frame(pose: Pose, seed: int = 0) -> object:
    return cv2.cvtColor(render(packaged_people()["astronaut"], pose, seed=seed),
                        cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_face_identify_screen_and_confirmation(face_ui: Driver, lang: str) -> None:
    ui = face_ui
    ui.tap_id("start", "idle")
    if lang == "en":
        ui.root.set_language("en")
    ui.settle()
    ui.tap_id("face_go", "identify")
    assert ui.root.manager.current == "face", ui.journey.state.message
    face = ui.journey.face
    face.process_frame(_frame(Pose()))
    ui.settle()
    screen = ui.screen("face")
    side = face.state.side
    assert face.state.phase == "turn"
    turn = {"zh": {"left": "请慢慢向左转头", "right": "请慢慢向右转头"},
            "en": {"left": "Slowly turn your head to your left",
                   "right": "Slowly turn your head to your right"}}[lang][side]
    assert screen.ids.prompt.text == turn
    assert screen.preview is not None
    ui.screenshot(f"kiosk-face-{lang}")
    for i, pose in enumerate(head_turn(side)[2:]):
        face.process_frame(_frame(pose, seed=i))
    ui.settle()
    assert face.state.phase == "confirm"
    assert screen.ids.prompt.text == ("是您本人吗？" if lang == "zh" else "Is this you?")
    assert screen.ids.candidate.text == "张伟 · ****1001"
    assert screen.ids.yes.opacity == 1
    ui.screenshot(f"kiosk-face-confirm-{lang}")
    ui.tap_id("yes", "face")
    assert ui.wait_until(lambda: ui.root.manager.current == "menu")
    assert "张伟" in ui.screen("menu").ids.member_line.text
    assert face.state.preview is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_face_consent_and_a_bad_frame_message(face_ui: Driver, lang: str) -> None:
    ui = face_ui
    ui.tap_id("start", "idle")
    if lang == "en":
        ui.root.set_language("en")
    ui.settle()
    ui.tap_id("face_enrol", "identify")
    assert ui.root.manager.current == "face"
    assert ui.sims["card"].tap("0087654321")  # 李娜 identifies with her card first
    assert ui.wait_until(lambda: ui.journey.face.state.phase == "consent")
    ui.settle()
    screen = ui.screen("face")
    assert ("单独同意" if lang == "zh" else "separate consent") in screen.ids.consent_text.text
    ui.screenshot(f"kiosk-face-consent-{lang}")
    ui.tap_id("accept", "face")
    assert ui.journey.face.state.phase == "capturing"
    ui.journey.face.process_frame(_frame(Pose(gain=0.12)))
    ui.settle()
    assert screen.ids.problem.text == {"zh": "光线太暗，请面向光源",
                                       "en": "Too dark. Please face the light"}[lang]
    ui.screenshot(f"kiosk-face-problem-{lang}")
    ui.tap_id("not_me", "face")  # back to QR and card
    assert ui.root.manager.current == "identify"
