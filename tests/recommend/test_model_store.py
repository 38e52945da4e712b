"""The device's model store: each bad file is refused and the last good model kept."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent import db
from edge_agent.errors import DownlinkRefused
from edge_agent.model_store import ModelStore, read_active
from models.recommend.model import RecommendModel
from models.recommend.synth import Canteen
from protocol import encode, make_envelope
from protocol.payloads.model import RecommenderRelease
from tests.support.recommend import (
    SITE,
    catalog_of,
    release,
    save_catalog,
    tiny_canteen,
    tiny_model,
)


@pytest.fixture(scope="module")
def canteen() -> Canteen:
    return tiny_canteen()


@pytest.fixture(scope="module")
def model(canteen: Canteen) -> RecommendModel:
    return tiny_model(canteen)


@pytest.fixture
def conn(tmp_path: Path, canteen: Canteen) -> Iterator[sqlite3.Connection]:
    c = db.connect(tmp_path / "device.db")
    save_catalog(c, catalog_of(canteen))
    yield c
    c.close()


@pytest.fixture(scope="module")
def v1(model: RecommendModel) -> RecommenderRelease:
    return release(model, 1)


@pytest.fixture
def store(conn: sqlite3.Connection, tmp_path: Path, v1: RecommenderRelease) -> ModelStore:
    s = ModelStore(conn, tmp_path / "models", site_id=SITE)
    assert s.apply(v1) == "applied"
    return s


def _refused(store: ModelStore, payload: RecommenderRelease, reason: str) -> None:
    before = read_active(store.conn)
    raw = encode(make_envelope("model.recommender", payload, site=SITE, device="hub"))
    topic = f"canteen/v1/site/{SITE}/device/kiosk1/down/model"
    with pytest.raises(DownlinkRefused) as info:
        store.handle(topic, raw)
    assert reason in info.value.reason
    after = read_active(store.conn)
    assert after == before and after is not None and after.path.exists()
    counters = db.read_counters(store.conn)
    assert counters.get("refused.model", 0) >= 1
    last = store.conn.execute("SELECT value FROM meta WHERE key = 'last_refusal'").fetchone()
    assert reason in last[0]


def test_a_good_model_is_switched_in_and_the_same_one_again_changes_nothing(
        store: ModelStore, v1: RecommenderRelease) -> None:
    active = read_active(store.conn)
    assert active is not None and active.version == 1 and active.path.exists()
    assert store.apply(v1) == "unchanged"


def test_a_corrupt_file_is_refused(store: ModelStore, model: RecommendModel) -> None:
    good = release(model, 2)
    blob = bytearray(base64.b64decode(good.data_b64))
    blob[len(blob) // 2] ^= 0xFF  # same size, one byte flipped
    bad = good.model_copy(update={"data_b64": base64.b64encode(bytes(blob)).decode()})
    _refused(store, bad, "sha256")


def test_a_truncated_file_is_refused(store: ModelStore, model: RecommendModel) -> None:
    good = release(model, 2)
    blob = base64.b64decode(good.data_b64)
    cut = good.model_copy(update={"data_b64": base64.b64encode(blob[: len(blob) // 3]).decode()})
    _refused(store, cut, "truncated")


def test_a_payload_that_is_not_base64_is_refused(store: ModelStore,
                                                 model: RecommendModel) -> None:
    _refused(store, release(model, 2).model_copy(update={"data_b64": "not*base64!"}), "base64")


def test_a_model_of_another_menu_is_refused(store: ModelStore, canteen: Canteen,
                                            model: RecommendModel) -> None:
    save_catalog(store.conn, catalog_of(canteen, version=2, dishes=10))  # 10 of 50 dishes
    _refused(store, release(model, 2), "wrong catalog")


def test_a_file_that_fails_the_smoke_test_is_refused(store: ModelStore,
                                                     model: RecommendModel) -> None:
    junk = b"\x08\x07" + bytes(range(256)) * 4  # right size and sha256, not a runnable graph
    _refused(store, release(model, 2, data=junk, size=len(junk),
                            sha256=hashlib.sha256(junk).hexdigest()), "smoke")
    assert not list(store.directory.glob("recommend-v2*"))


def test_an_older_version_and_another_site_are_refused(store: ModelStore,
                                                       model: RecommendModel) -> None:
    assert store.apply(release(model, 3)) == "applied"
    _refused(store, release(model, 2), "not newer")
    _refused(store, release(model, 4, site="other"), "site")


def test_the_previous_file_stays_as_fallback_and_older_ones_go(store: ModelStore,
                                                              model: RecommendModel) -> None:
    for v in (2, 3, 4):
        assert store.apply(release(model, v)) == "applied"
    names = sorted(p.name for p in store.directory.iterdir())
    assert names == ["recommend-v3.onnx", "recommend-v4.onnx"]
