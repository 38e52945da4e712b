"""Face-ID at the kiosk through the journey, fed by the hardware replay camera.

Frames are the astronaut from scikit-image rendered by hardware.sim.face_camera; a head
turn is a warp that moves the nose against the eyes, a held photo a flat squeeze.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge_agent import face_store
from hardware.sim.face_camera import Pose, head_turn, held_photo
from kiosk.controllers.journey import Step
from kiosk.services.devices import DeviceEvent
from models.face import dlib_models
from models.face.matcher import match_loop
from protocol import parse
from protocol.face import FaceEnrolled, open_template
from tests.support.face import (
    CARD,
    FACE_MEMBER,
    SITE_KEY,
    FaceKiosk,
    apply_members,
    make_face_kiosk,
    member_code,
    other_vectors,
    outbox_kinds,
    person_frame_vector,
    replay,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[FaceKiosk]:
    k = make_face_kiosk(tmp_path, faces={FACE_MEMBER: person_frame_vector(),
                                         "m-2001": other_vectors(1)[0]})
    yield k
    k.runtime.stop()


def _turn_through(k: FaceKiosk, tmp_path: Path, side: str | None = None) -> None:
    j = k.journey
    j.start()
    assert j.open_face(), j.state.message
    assert j.state.step is Step.FACE
    side = side or j.face.state.side
    j.face.run_camera(replay(tmp_path / "turn", head_turn(side)))


def test_identify_turn_confirm_and_pay(kiosk: FaceKiosk, tmp_path: Path) -> None:
    j = kiosk.journey
    _turn_through(kiosk, tmp_path)
    st = j.face.state
    assert st.phase == "confirm", (st.phase, st.prompt, st.problem)
    assert st.prompt is not None and st.prompt.en == "Is this you?"
    assert st.candidate is not None and st.candidate.zh == "张* · ****1234"
    assert outbox_kinds(kiosk.store) == []  # nothing written before the diner confirms
    assert j.face_confirm()
    assert j.state.step is Step.MENU
    assert j.session.member is not None and j.session.member.member_id == FACE_MEMBER
    assert j.face.state.preview is None  # the preview is dropped once confirmed
    assert j.open_dish("noodles") and j.add_dish()
    j.open_cart()
    assert j.checkout(), j.state.message
    body = kiosk.store.conn.execute("SELECT body FROM outbox WHERE kind = 'order.placed'"
                                    ).fetchone()[0]
    order = json.loads(body)["payload"]
    assert order["member_id"] == FACE_MEMBER
    assert [p["method"] for p in order["payments"]] == ["stored_value"]


def test_wrong_match_is_one_tap_from_qr_and_card(kiosk: FaceKiosk, tmp_path: Path) -> None:
    j = kiosk.journey
    _turn_through(kiosk, tmp_path)
    assert j.face.state.phase == "confirm"
    j.face_not_me()
    assert j.state.step is Step.IDENTIFY and j.face.state.phase == "idle"
    j.on_device_event(DeviceEvent("card", CARD))
    assert j.state.step is Step.MENU and j.session.member is not None


def test_a_card_tap_on_the_face_screen_still_identifies(kiosk: FaceKiosk) -> None:
    j = kiosk.journey
    j.start()
    assert j.open_face()
    j.on_device_event(DeviceEvent("card", CARD))
    assert j.state.step is Step.MENU


@pytest.mark.parametrize("attack", ["photo", "still", "wrong_side"])
def test_a_photo_or_a_still_screen_cannot_pass(kiosk: FaceKiosk, tmp_path: Path,
                                               attack: str) -> None:
    j = kiosk.journey
    j.face.challenge_frames = 12  # keep the test short: the kiosk allows about 6 s
    j.start()
    assert j.open_face()
    side = j.face.state.side
    other = "right" if side == "left" else "left"
    poses = {"photo": held_photo(), "still": [Pose()] * 8, "wrong_side": head_turn(other)}
    cam = replay(tmp_path / attack, poses[attack] * 2)
    j.face.run_camera(cam)
    st = j.face.state
    assert st.phase in ("turn", "failed") and st.phase != "confirm"
    assert j.face.confirmed_member() is None
    assert not j.face_confirm()
    assert j.state.step is Step.FACE


def test_enrol_after_qr_with_consent_sends_only_a_sealed_template(
        kiosk: FaceKiosk, tmp_path: Path) -> None:
    j = kiosk.journey
    j.start()
    j.open_face_enrol()
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"
    j.on_device_event(DeviceEvent("code", member_code("m-2002")))
    st = j.face.state
    assert st.phase == "consent" and st.prompt is not None
    assert "separate consent" in st.prompt.en and "单独同意" in st.prompt.zh
    assert outbox_kinds(kiosk.store) == []  # nothing before consent
    j.face_accept_consent()
    assert j.face.state.phase == "capturing"
    j.face.run_camera(replay(tmp_path / "enrol", [Pose()] * 3))
    assert j.face.state.phase == "enrolled", (j.face.state.problem, j.face.state.prompt)
    assert outbox_kinds(kiosk.store) == ["face.enrolled"]
    body = kiosk.store.conn.execute("SELECT body FROM outbox").fetchone()[0]
    assert len(body) < 4096 and b"PNG" not in body  # numbers, never the photo
    enrolled = parse(body).payload_as(FaceEnrolled)
    assert enrolled.member_id == "m-2002" and enrolled.consent_lang == "zh_Hans"
    vector = np.array(open_template(enrolled.template.sealed, site_key=SITE_KEY,
                                    member_id="m-2002",
                                    template_id=enrolled.template.template_id))
    assert float(np.linalg.norm(vector - person_frame_vector())) < 0.2
    # the device keeps nothing until the hub sends the template back in the member cache
    assert face_store.template_of(kiosk.store.conn, "m-2002") is None
    j.face_enrol_done()
    assert j.state.step is Step.IDENTIFY


def test_declining_the_consent_captures_nothing(kiosk: FaceKiosk) -> None:
    j = kiosk.journey
    j.start()
    j.open_face_enrol()
    j.on_device_event(DeviceEvent("card", CARD))
    assert j.face.state.phase == "consent"
    j.face_decline()
    assert j.state.step is Step.IDENTIFY and outbox_kinds(kiosk.store) == []


@pytest.mark.parametrize(("pose", "extra", "problem"), [
    (Pose(gain=0.12), None, "Too dark. Please face the light"),
    (Pose(face_px=0), None, "No face found. Please look at the camera"),
    (Pose(dx=-160, face_px=130), Pose(dx=160, face_px=130),
     "More than one face. One person at a time, please"),
    (Pose(face_px=55), None, "Please come closer to the camera"),
    (Pose(blur=21), None, "The picture is blurred. Please hold still"),
])
def test_bad_frames_get_a_clear_message_and_write_nothing(
        kiosk: FaceKiosk, tmp_path: Path, pose: Pose, extra: Pose | None, problem: str) -> None:
    j = kiosk.journey
    j.start()
    assert j.open_face()
    from hardware.sim.face_camera import packaged_people

    people = [(packaged_people()["astronaut"], extra)] if extra else None
    j.face.run_camera(replay(tmp_path / "bad", [pose] * 2, extra=people))
    st = j.face.state
    assert st.phase == "looking"
    assert st.problem is not None and st.problem.en == problem and st.problem.zh
    assert outbox_kinds(kiosk.store) == []
    j.face_not_me()
    j.on_device_event(DeviceEvent("code", member_code()))  # QR keeps working
    assert j.state.step is Step.MENU


def test_an_unknown_face_is_refused(tmp_path: Path) -> None:
    k = make_face_kiosk(tmp_path, faces={"m-2001": other_vectors(2)[0],
                                         "m-2002": other_vectors(2)[1]})
    try:
        j = k.journey
        j.start()
        assert j.open_face()
        j.face.run_camera(replay(tmp_path / "f", [Pose()]))
        st = j.face.state
        assert st.phase == "failed" and st.prompt is not None
        assert "did not recognise" in st.prompt.en and st.prompt.zh
        assert j.face.confirmed_member() is None
    finally:
        k.runtime.stop()


def test_a_corrupt_template_is_skipped_and_the_rest_still_match(kiosk: FaceKiosk,
                                                                 tmp_path: Path) -> None:
    kiosk.store.conn.execute("UPDATE face_templates SET sealed = 'AAAAAAAAAAAAAAAAAAAAAAAA'"
                             " WHERE member_id = 'm-2001'")
    loaded = kiosk.journey.face.service.templates()
    assert loaded.skipped == 1 and loaded.index.keys == [FACE_MEMBER]
    _turn_through(kiosk, tmp_path)
    assert kiosk.journey.face.state.phase == "confirm"


def test_a_corrupt_model_file_turns_face_id_off_not_the_kiosk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "models"
    broken.mkdir()
    src = dlib_models.packaged_model_dir()
    (broken / dlib_models.LANDMARKS_FILE).write_bytes(
        (src / dlib_models.LANDMARKS_FILE).read_bytes()[:100_000])
    shutil.copy(src / dlib_models.EMBEDDER_FILE, broken / dlib_models.EMBEDDER_FILE)
    k = make_face_kiosk(tmp_path)
    try:
        files = dlib_models.ModelFiles(broken / dlib_models.LANDMARKS_FILE,
                                       broken / dlib_models.EMBEDDER_FILE)
        k.journey.face.service.loader = lambda: dlib_models.build_pipeline(files)
        j = k.journey
        j.start()
        assert not j.open_face()
        assert j.state.step is Step.IDENTIFY
        assert j.state.message is not None and "not available" in j.state.message.en
        j.on_device_event(DeviceEvent("card", CARD))
        assert j.state.step is Step.MENU
    finally:
        k.runtime.stop()


def test_withdrawn_consent_downlink_removes_the_template_from_the_device(
        kiosk: FaceKiosk, tmp_path: Path) -> None:
    conn = kiosk.store.conn
    assert face_store.template_of(conn, FACE_MEMBER) is not None
    sealed_before = face_store.template_of(conn, FACE_MEMBER)
    assert sealed_before is not None and "0." not in sealed_before.sealed  # sealed at rest
    apply_members(kiosk.store, 2, {"m-2001": other_vectors(1)[0]})  # consent withdrawn
    assert face_store.template_of(conn, FACE_MEMBER) is None
    rows = conn.execute("SELECT count(*) FROM face_templates").fetchone()[0]
    assert rows == 1
    j = kiosk.journey
    j.start()
    assert j.open_face()
    j.face.run_camera(replay(tmp_path / "after", [Pose()]))
    assert j.face.state.phase == "failed"  # the astronaut is no longer recognised


def test_matrix_match_agrees_with_the_loop() -> None:
    from models.face.matcher import TemplateIndex

    others = other_vectors(200)
    keys = [f"m-{i}" for i in range(200)] + [FACE_MEMBER]
    vecs = np.vstack([others, person_frame_vector()[None, :]])
    index = TemplateIndex(keys, vecs)
    q = person_frame_vector() + 0.01
    m = index.match(q)
    assert m.key == FACE_MEMBER
    assert match_loop(keys, list(vecs), q)[0] == FACE_MEMBER
    assert abs(match_loop(keys, list(vecs), q)[1] - m.distance) < 1e-4
