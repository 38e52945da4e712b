"""Face-ID test helpers: a seeded kiosk whose member cache carries sealed face templates,
and camera frames built from the face that ships with scikit-image (no download)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.downlinks import DownlinkApplier
from edge_agent.store import DeviceStore
from hardware.camera.sources import ReplayCamera
from hardware.config import ReplayCameraConfig
from hardware.sim.face_camera import Pose, packaged_people, render, write_frames
from kiosk.config import parse_config
from kiosk.controllers.journey import JourneyController
from kiosk.services.bootstrap import Runtime, build_services
from kiosk.services.clock import FrozenClock
from kiosk.services.connectivity import FixedConnectivity
from models.face.dlib_models import default_pipeline
from models.face.quality import check_frame
from protocol.face import seal_template
from protocol.ids import new_message_id
from protocol.member_cache import MemberCacheDelta
from protocol.payloads.catalog import CatalogSnapshot
from protocol.tokens import identifier_hash, public_key_b64, sign_member_token

SITE_KEY = b"face-site-key-for-tests-0123456789"
TOKEN_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
LUNCH = datetime(2025, 3, 5, 4, 0, tzinfo=UTC)  # Wednesday 12:00 in Shanghai
FACE_MEMBER = "m-1234"  # the astronaut's membership
CARD = "0012341234"

CATALOG: dict[str, Any] = {
    "version": 1, "generated_at": "2025-03-01T00:00:00Z",
    "meal_periods": [{"code": "lunch", "name_zh": "午餐", "name_en": "Lunch",
                      "start": "11:00", "end": "13:30"}],
    "dishes": [
        {"id": "noodles", "name_zh": "牛肉面", "name_en": "Beef Noodle Soup",
         "category": "staple", "price_cents": 1600, "tags": [], "allergens": [], "kcal": 500,
         "station": "noodle", "options": []},
        {"id": "rice", "name_zh": "米饭", "name_en": "Steamed Rice", "category": "staple",
         "price_cents": 100, "tags": [], "allergens": [], "kcal": 200, "station": "rice",
         "options": []},
    ],
    "menus": [{"meal_period": "lunch", "items": [{"dish_id": "noodles"}, {"dish_id": "rice"}]}],
}

MEMBERS = [  # (member id, card, masked name as the hub sends it, balance cents)
    (FACE_MEMBER, CARD, "张*", 5000),
    ("m-2001", "0020012001", "李*", 300),
    ("m-2002", "0020022002", "王*", 9000),
]


@cache
def person_frame_vector() -> np.ndarray:
    """The astronaut's embedding from a frontal camera frame (computed once per session)."""
    pipeline = default_pipeline()
    frame = render(packaged_people()["astronaut"], Pose())
    check = check_frame(pipeline, frame)
    assert check.face is not None, check.problem
    return pipeline.embed(frame, check.face)


def other_vectors(n: int, seed: int = 7) -> np.ndarray:
    """Templates of other people: random directions at the norm of real embeddings."""
    rng = np.random.default_rng(seed)
    vecs = rng.normal(0, 1, (n, 128)).astype(np.float32)
    norm = float(np.linalg.norm(person_frame_vector()))
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True) * norm


def sealed_face_for(member_id: str, vector: Sequence[float], site_key: bytes
                    ) -> dict[str, str]:
    """A CachedMember.face as the hub builds it for a site."""
    template_id = new_message_id()
    return {"template_id": template_id, "model": default_pipeline().model,
            "sealed": seal_template(list(vector), site_key=site_key, member_id=member_id,
                                    template_id=template_id)}


def sealed_face(member_id: str, vector: Sequence[float]) -> dict[str, str]:
    """A CachedMember.face for this module's site."""
    return sealed_face_for(member_id, vector, SITE_KEY)


def member_rows(faces: dict[str, Sequence[float]]) -> list[dict[str, Any]]:
    """Member-cache upserts (member code and card rows); ``faces`` by member id."""
    rows = []
    for mid, card, name, balance in MEMBERS:
        base = {"member_id": mid, "display_name": name, "tier": "standard",
                "balance_cents": balance, "subsidy_cents": 0, "points": 0,
                "offline_limit_cents": 1000}
        face = sealed_face(mid, faces[mid]) if mid in faces else None
        rows.append({**base, "identifier_hash": identifier_hash("member", mid, SITE_KEY),
                     **({"face": face} if face else {})})
        rows.append({**base, "identifier_hash": identifier_hash("card", card, SITE_KEY)})
    return rows


def apply_members(store: DeviceStore, version: int, faces: dict[str, Sequence[float]]) -> None:
    """A full member snapshot, applied the way the agent applies it."""
    DownlinkApplier(store.conn, site_id="site-1").apply_member_delta(
        MemberCacheDelta.model_validate({
            "from_version": 0, "to_version": version, "full": True,
            "generated_at": "2025-03-01T00:00:00Z", "upserts": member_rows(faces)}))


class FaceKiosk:
    """A wired kiosk for face tests."""

    def __init__(self, runtime: Runtime, clock: FrozenClock) -> None:
        self.runtime = runtime
        self.store = runtime.services.store
        self.clock = clock
        self.journey = JourneyController(runtime.services)


def make_face_kiosk(tmp_path: Path, faces: dict[str, Sequence[float]] | None = None
                    ) -> FaceKiosk:
    """A kiosk at lunch whose cache holds MEMBERS (the astronaut's template by default)."""
    key_file = tmp_path / "site.key"
    key_file.write_bytes(SITE_KEY)
    config = parse_config({
        "site_id": "site-1", "device_id": "kiosk-1", "store_path": str(tmp_path / "store.db"),
        "canteen_name_zh": "第一食堂", "canteen_name_en": "Canteen One", "idle_seconds": 60,
        "member_ids": {"token_keys": {"k1": public_key_b64(TOKEN_KEY)},
                       "site_key_file": str(key_file)},
    })
    with DeviceStore(config.store_path, site_id="site-1", device_id="kiosk-1") as store:
        DownlinkApplier(store.conn, site_id="site-1").apply_catalog(
            CatalogSnapshot.model_validate(CATALOG))
        apply_members(store, 1, {FACE_MEMBER: person_frame_vector()} if faces is None
                      else faces)
    clock = FrozenClock(LUNCH)
    runtime = build_services(config, clock=clock, connectivity=FixedConnectivity(True))
    return FaceKiosk(runtime, clock)


def member_code(member_id: str = FACE_MEMBER) -> str:
    """A current signed member QR code."""
    return sign_member_token(member_id=member_id, now=LUNCH, key_id="k1",
                             private_key=TOKEN_KEY)


def replay(folder: Path, poses: Sequence[Pose], **render_kw: Any) -> ReplayCamera:
    """The hardware replay camera over frames of the astronaut in ``poses``."""
    person = packaged_people()["astronaut"]
    write_frames(folder, [render(person, p, seed=i, **render_kw) for i, p in enumerate(poses)])
    return ReplayCamera(ReplayCameraConfig(type="camera_replay", path=str(folder), loop=False))


def outbox_kinds(store: DeviceStore) -> list[str]:
    """Kinds of the events waiting in the outbox, oldest first."""
    return [r[0] for r in store.conn.execute("SELECT kind FROM outbox ORDER BY seq")]
