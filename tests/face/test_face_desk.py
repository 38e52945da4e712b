"""Face enrolment at the member desk: the kiosk in desk mode, fed by the replay camera.

The desk terminal holds the enrolment step: member after member identify by card or QR,
accept the consent, look at the webcam; nothing is ordered there, and a half-done
enrolment is forgotten on idle.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.sim.face_camera import Pose
from kiosk.cli import parse_args
from kiosk.config import ConfigError, parse_config
from kiosk.controllers.desk import DeskJourney
from kiosk.controllers.journey import Step
from kiosk.services.devices import DeviceEvent
from protocol import parse
from protocol.face import FaceEnrolled
from tests.support.face import (
    CARD,
    FaceKiosk,
    make_face_kiosk,
    member_code,
    outbox_kinds,
    replay,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[FaceKiosk, DeskJourney]]:
    k = make_face_kiosk(tmp_path, faces={})
    yield k, DeskJourney(k.runtime.services)
    k.runtime.stop()


def _enrolled_members(k: FaceKiosk) -> list[str]:
    bodies = [r[0] for r in k.store.conn.execute(
        "SELECT body FROM outbox WHERE kind = 'face.enrolled' ORDER BY seq")]
    return [parse(b).payload_as(FaceEnrolled).member_id for b in bodies]


def test_the_desk_enrols_one_member_after_another(desk: tuple[FaceKiosk, DeskJourney],
                                                  tmp_path: Path) -> None:
    k, j = desk
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"
    j.on_device_event(DeviceEvent("card", CARD))  # the first member taps their card
    assert j.face.state.phase == "consent"
    j.face_accept_consent()
    j.face.run_camera(replay(tmp_path / "one", [Pose()] * 3))
    assert j.face.state.phase == "enrolled", (j.face.state.problem, j.face.state.prompt)
    j.face_enrol_done()
    # Straight back to the next member's enrolment, with "enrolled" as the toast.
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"
    assert j.state.message is not None and "Face ID" in j.state.message.en

    j.on_device_event(DeviceEvent("code", member_code("m-2002")))  # the next one shows a QR
    assert j.face.state.phase == "consent"
    assert j.face.state.candidate is not None and j.face.state.candidate.en.endswith("2002")
    j.face_accept_consent()
    j.face.run_camera(replay(tmp_path / "two", [Pose()] * 3))
    assert j.face.state.phase == "enrolled"
    assert _enrolled_members(k) == ["m-1234", "m-2002"]
    # A desk never sells: no order, no menu, whatever was scanned.
    assert k.store.conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
    assert j.state.member is None and j.state.step is not Step.MENU


def test_declining_back_and_idle_start_the_next_enrolment_and_keep_nothing(
        desk: tuple[FaceKiosk, DeskJourney], tmp_path: Path) -> None:
    k, j = desk
    j.on_device_event(DeviceEvent("card", CARD))
    j.face_decline()
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"
    j.on_device_event(DeviceEvent("card", CARD))
    j.face_accept_consent()
    j.face.run_camera(replay(tmp_path / "part", [Pose()]))  # one good frame of three
    assert j.face.state.phase == "capturing" and j.face.state.captured == 1
    k.clock.advance(seconds=61)  # the member walked away: idle (60 s in this config)
    j.tick()
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"
    assert j.face.state.captured == 0 and outbox_kinds(k.store) == []
    j.face_not_me()  # "back" on the waiting step: still the desk's enrolment
    assert j.state.step is Step.FACE_ENROL and j.face.state.phase == "member"


def test_a_card_tapped_mid_enrolment_starts_over_for_that_member(
        desk: tuple[FaceKiosk, DeskJourney], tmp_path: Path) -> None:
    k, j = desk
    j.on_device_event(DeviceEvent("card", CARD))
    j.face_accept_consent()
    j.face.run_camera(replay(tmp_path / "part", [Pose()]))
    j.on_device_event(DeviceEvent("code", member_code("m-2002")))  # staff fetched the next one
    st = j.face.state
    assert st.phase == "consent" and st.captured == 0
    assert st.candidate is not None and st.candidate.en.endswith("2002")
    assert outbox_kinds(k.store) == []  # the first member's frames are gone, unsent


def test_desk_mode_needs_a_camera_and_the_cli_offers_it(tmp_path: Path) -> None:
    base: dict[str, object] = {"site_id": "site-1", "device_id": "desk-1", "mode": "desk",
                               "store_path": str(tmp_path / "s.db")}
    with pytest.raises(ConfigError) as err:
        parse_config(base)
    assert "needs roles.camera" in str(err.value) + " ".join(err.value.problems)
    frames = tmp_path / "frames"
    frames.mkdir()
    config = parse_config({**base, "roles": {"camera": "webcam"}, "hardware": {"devices": {
        "webcam": {"type": "camera_replay", "path": str(frames)}}}})
    assert config.mode == "desk"
    assert parse_args(["--config", "k.toml", "--mode", "desk"]).mode == "desk"
