"""QR decoding from simulated camera frames; device config models and the factory."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from pydantic import ValidationError

from hardware.camera.decode import decode_qr
from hardware.camera.sources import CameraError, ReplayCamera, scan_codes
from hardware.config import HardwareConfig, ReplayCameraConfig
from hardware.factory import build_device, build_receipt_printing
from hardware.printer.device import EscposPrinter
from hardware.readers.devices import Rdm6300Reader
from hardware.sim.camera import HARD_CASES, Distortion, render_frame

PAYLOAD = "MEMBER:0190f3a2-7b1c-7d00-8000-000000000001"


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_qr_decodes_from_distorted_640x480_frames(case: str) -> None:
    frame = render_frame(PAYLOAD, (640, 480), HARD_CASES[case], seed=3)
    assert decode_qr(frame) == [PAYLOAD]


def test_frame_without_a_code_decodes_to_nothing() -> None:
    frame = render_frame(PAYLOAD, (640, 480), Distortion(code_px=0 + 8), seed=1)
    assert decode_qr(frame) == []


def test_replay_camera_reads_image_directory_and_video(tmp_path: Path) -> None:
    video = cv2.VideoWriter(str(tmp_path / "v.avi"), cv2.VideoWriter.fourcc(*"MJPG"), 5, (640, 480))
    for i, dist in enumerate([Distortion(), Distortion(rotation_deg=20), Distortion(blur=3)]):
        frame = render_frame(f"COUPON:{i}", (640, 480), dist, seed=i)
        cv2.imwrite(str(tmp_path / f"{i}.png"), frame)
        video.write(frame)
    video.release()
    images = ReplayCamera(ReplayCameraConfig(type="camera_replay", path=str(tmp_path), loop=False))
    assert list(scan_codes(images, 10)) == ["COUPON:0", "COUPON:1", "COUPON:2"]
    clip = ReplayCamera(
        ReplayCameraConfig(type="camera_replay", path=str(tmp_path / "v.avi"), loop=False)
    )
    assert list(scan_codes(clip, 10)) == ["COUPON:0", "COUPON:1", "COUPON:2"]
    with pytest.raises(CameraError):
        ReplayCamera(ReplayCameraConfig(type="camera_replay", path=str(tmp_path / "missing")))


def test_config_builds_devices_by_type(tmp_path: Path) -> None:
    config = HardwareConfig.model_validate(
        {
            "devices": {
                "receipt": {"type": "escpos_serial", "port": "/dev/ttyUSB0", "paper_mm": 58},
                "spare": {"type": "escpos_network", "host": "10.0.0.9"},
                "card": {"type": "card_rdm6300", "port": "/dev/serial/by-id/rdm"},
            },
            "receipt": {"main": "receipt", "backup": "spare", "queue_path": str(tmp_path / "q")},
        }
    )
    assert isinstance(build_device("card", config.devices["card"]), Rdm6300Reader)
    printing = build_receipt_printing(config)
    assert printing is not None and isinstance(printing.backup, EscposPrinter)


@pytest.mark.parametrize(
    "devices,receipt,message",
    [
        ({"p": {"type": "escpos_serial", "port": "x", "speed": 9600}}, None, "speed"),
        ({"p": {"type": "thermal_magic", "port": "x"}}, None, "thermal_magic"),
        ({"p": {"type": "escpos_serial", "port": "x", "baud": 1234}}, None, "baud"),
        ({"p": {"type": "escpos_serial", "port": "x", "profile": "nope"}}, None, "profile"),
        ({"p": {"type": "escpos_serial", "port": "x", "paper_mm": 76}}, None, "paper_mm"),
        ({"c": {"type": "card_line", "port": "x", "pattern": "("}}, None, "pattern"),
        (
            {"c": {"type": "card_line", "port": "x"}},
            {"main": "c", "queue_path": "q"},
            "not a printer",
        ),
        ({}, {"main": "ghost", "queue_path": "q"}, "not in devices"),
    ],
)
def test_bad_config_is_refused_with_the_key_path(
    devices: dict, receipt: dict | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        HardwareConfig.model_validate({"devices": devices, "receipt": receipt})
