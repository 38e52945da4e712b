"""Staged rollouts without a broker (publishes recorded): validation with the device's own
schema, first stage by site or percentage, reports, timeouts, auto-pause, resume, rollback,
and a kind registered from outside (as the model downlink does)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hub.errors import ConflictError, InvalidInputError
from hub.fleet import rollouts
from hub.models.devices import Device
from hub.models.downlinks import DeviceConfigRow
from hub.models.fleet_health import DeviceState, Rollout, RolloutTarget
from hub.models.sites import Site
from protocol import parse
from protocol.payloads.config import DeviceConfig
from tests.hub.conftest import make_settings
from tests.support.fleet import beat, device_id, fleet_hub

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class Recorder:
    """Takes publishes the way the broker would, and keeps them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                expiry_s: int | None = None) -> None:
        self.sent.append((topic, payload))

    def configs(self) -> dict[str, DeviceConfig]:
        out = {}
        for topic, raw in self.sent:
            env = parse(raw, topic=topic)
            if isinstance(env.payload, DeviceConfig):
                out[topic.split("/")[5]] = env.payload
        return out


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = fleet_hub(make_settings(tmp_path), {"north": ["n1", "n2"],
                                            "south": [f"s{i}" for i in range(8)]})
    yield e
    e.dispose()


def _site(engine: Engine, code: str) -> int:
    with Session(engine) as s:
        found = s.exec(select(Site.id).where(Site.code == code)).one()
        assert found is not None
        return found


def _create(engine: Engine, **kw: Any) -> int:
    args: dict[str, Any] = {"kind": "config", "spec": {"changes": {"idle_reset_s": 45}},
                            "step_timeout_s": 60, "max_failure_pct": 20}
    args.update(kw)
    with Session(engine) as s:
        r = rollouts.create_rollout(s, **args)
        assert r.id is not None
        return r.id


def _targets(engine: Engine, rid: int) -> dict[str, tuple[int, str]]:
    with Session(engine) as s:
        codes = {d.id: d.code for d in s.exec(select(Device)).all()}
        return {codes[t.device_id]: (t.stage, t.status) for t in s.exec(
            select(RolloutTarget).where(RolloutTarget.rollout_id == rid)).all()}


def _status(engine: Engine, rid: int) -> Rollout:
    with Session(engine) as s:
        r = s.get(Rollout, rid)
        assert r is not None
        return r


def _report(engine: Engine, pub: Recorder, codes: list[str], at: datetime) -> None:
    """The devices heartbeat the config version they were sent."""
    sent = pub.configs()
    for code in codes:
        beat(engine, code, at, at, config_version=sent[code].version)


@pytest.mark.parametrize(("spec", "field"), [
    ({"changes": {"languages": ["fr"]}}, "languages"),
    ({"changes": {"languages": ["en"], "default_language": "zh_Hans"}}, "default_language"),
    ({"changes": {"idle_reset_s": 5}}, "idle_reset_s"),
    ({"changes": {"wallpaper": "cats"}}, "wallpaper"),
    ({"changes": {}}, "spec.changes"),
])
def test_a_config_the_device_would_refuse_is_refused_and_nothing_is_written(
        engine: Engine, spec: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        _create(engine, spec=spec, first_percent=10)
    assert field in str(info.value)
    with Session(engine) as s:
        assert s.exec(select(Rollout)).first() is None


def test_refusals_of_the_stage_choice_and_of_a_second_rollout(engine: Engine) -> None:
    with pytest.raises(InvalidInputError, match="either"):
        _create(engine)
    with pytest.raises(InvalidInputError, match="either"):
        _create(engine, first_site_id=_site(engine, "north"), first_percent=10)
    with pytest.raises(InvalidInputError, match="kind"):
        _create(engine, kind="firmware", first_percent=10)
    _create(engine, first_percent=10)
    with pytest.raises(ConflictError, match="still running"):
        _create(engine, first_percent=10)


def test_a_percentage_first_stage_is_at_least_one_device_and_stable(engine: Engine) -> None:
    rid = _create(engine, first_percent=10)
    first = sorted(c for c, (stage, _) in _targets(engine, rid).items() if stage == 0)
    assert len(first) == 1  # 10 % of 10 devices
    rollouts.tick(engine, Recorder(), now=T0)
    again = sorted(c for c, (stage, _) in _targets(engine, rid).items() if stage == 0)
    assert again == first


def test_first_site_then_everyone_then_completed(engine: Engine) -> None:
    pub = Recorder()
    rid = _create(engine, first_site_id=_site(engine, "north"))
    rollouts.tick(engine, pub, now=T0)
    assert set(pub.configs()) == {"n1", "n2"}  # only the first stage was sent anything
    _report(engine, pub, ["n1", "n2"], T0 + timedelta(seconds=5))
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=6))
    assert _status(engine, rid).stage == 1
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=7))
    assert len(pub.configs()) == 10 and pub.configs()["s3"].idle_reset_s == 45
    _report(engine, pub, [f"s{i}" for i in range(8)], T0 + timedelta(seconds=9))
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=10))
    assert _status(engine, rid).status == "completed"
    assert {s for _, s in _targets(engine, rid).values()} == {"ok"}


def test_a_silent_device_fails_at_the_timeout_and_pauses_the_rollout_then_rollback(
        engine: Engine) -> None:
    pub = Recorder()
    with Session(engine) as s:
        row = DeviceConfigRow(device_id=device_id(engine, "n1"), idle_reset_s=120,
                              options={"layout": "grid"})
        s.add(row)
        s.commit()
    rid = _create(engine, first_site_id=_site(engine, "north"),
                  spec={"changes": {"idle_reset_s": 45, "layout": "list"}})
    rollouts.tick(engine, pub, now=T0)
    sent_n1_version = pub.configs()["n1"].version
    _report(engine, pub, ["n1"], T0 + timedelta(seconds=5))  # n2 never reports
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=30))
    assert _status(engine, rid).status == "running"  # n2 still within its 60 s
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=61))
    r = _status(engine, rid)
    assert r.status == "paused" and "1 of 2" in (r.reason or "")
    assert _targets(engine, rid)["n2"] == (0, "failed")
    assert all(stage == 1 and status == "pending" for code, (stage, status)
               in _targets(engine, rid).items() if code.startswith("s"))
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=90))  # paused: nothing more sent
    assert set(pub.configs()) == {"n1", "n2"}
    with Session(engine) as s:
        rolled = rollouts.rollback(engine, pub, rollout_id=rid)
    assert rolled.status == "rolled_back"
    back = pub.configs()
    assert back["n1"].idle_reset_s == 120 and back["n1"].layout == "grid"
    assert back["n2"].idle_reset_s == 90 and back["n2"].layout is None
    # A newer version than the rollout's, so the device replaces what it got.
    assert back["n1"].version > int(sent_n1_version)
    with Session(engine) as s, pytest.raises(ConflictError):
        rollouts.resume(s, rollout_id=rid)


def test_resume_tries_the_failed_devices_again(engine: Engine) -> None:
    pub = Recorder()
    rid = _create(engine, first_site_id=_site(engine, "north"))
    rollouts.tick(engine, pub, now=T0)
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=61))
    assert _status(engine, rid).status == "paused"
    with Session(engine) as s:
        rollouts.resume(s, rollout_id=rid)
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=70))
    assert {_targets(engine, rid)[c] for c in ("n1", "n2")} == {(0, "applying")}
    _report(engine, pub, ["n1", "n2"], T0 + timedelta(seconds=75))
    rollouts.tick(engine, pub, now=T0 + timedelta(seconds=76))
    assert _status(engine, rid).stage == 1


def test_a_kind_registered_from_outside_is_rolled_out_the_same_way(engine: Engine) -> None:
    applied: list[str] = []

    def apply(_e: Engine, _p: Any, _r: Rollout, devices: list[Device]
              ) -> dict[int, tuple[str, dict[str, Any]]]:
        applied.extend(d.code for d in devices)
        return {d.id: ("rec-2", {}) for d in devices if d.id is not None}

    def reported(state: DeviceState) -> str | None:
        return state.model_version

    rollouts.register_kind(rollouts.RolloutKind(
        "test_model", validate=lambda spec: spec, apply=apply, reported=reported,
        reached=lambda have, want: have == want))
    try:
        rid = _create(engine, kind="test_model", spec={"version": "rec-2"}, first_percent=20)
        rollouts.tick(engine, Recorder(), now=T0)
        assert len(applied) == 2
        for code in applied:
            beat(engine, code, T0, T0, model_version="rec-2")
        rollouts.tick(engine, Recorder(), now=T0 + timedelta(seconds=1))
        assert _status(engine, rid).stage == 1
        r = rollouts.rollback(engine, Recorder(), rollout_id=rid)
        assert r.reason and "cannot be undone" in r.reason
    finally:
        del rollouts.KINDS["test_model"]
