"""The device side of remote commands (a real device store, no broker): who a command is for,
expiry, once only, kiosk-run commands, failures; updates held while a diner is mid-order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_agent.agent import Agent, printer_state
from edge_agent.commands import CommandRunner, Outcome, answer_kiosk_request, kiosk_requests
from edge_agent.config import AgentConfig
from edge_agent.downlinks import DownlinkApplier
from edge_agent.outbox import Outbox
from edge_agent.store import DeviceStore
from protocol import encode, make_envelope, parse
from protocol.ids import new_message_id
from protocol.payloads.command import CommandResult

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DeviceStore]:
    with DeviceStore(tmp_path / "k1.db", site_id="north", device_id="k1") as s:
        yield s


def _command(name: str, *, device: str = "k1", site: str = "north",
             expires: timedelta = timedelta(minutes=5), command_id: str | None = None
             ) -> tuple[str, bytes, str]:
    cid = command_id or new_message_id()
    env = make_envelope("device.command", {
        "command_id": cid, "device": device, "name": name, "expires_at": NOW + expires,
    }, site=site, device="hub")
    return env.topic(to_device="k1"), encode(env), cid


def _results(store: DeviceStore) -> list[CommandResult]:
    rows = store.conn.execute("SELECT topic, body FROM outbox WHERE kind = "
                              "'device.command_result' ORDER BY seq").fetchall()
    return [parse(bytes(body), topic=topic).payload_as(CommandResult) for topic, body in rows]


def _runner(store: DeviceStore, **handlers: object) -> CommandRunner:
    return CommandRunner(store.conn, site_id="north", device_id="k1",
                         handlers=handlers, clock=lambda: NOW)  # type: ignore[arg-type]


def test_a_command_runs_once_and_its_result_waits_in_the_outbox(store: DeviceStore) -> None:
    calls = []
    runner = _runner(store, upload_logs=lambda c: calls.append(c) or Outcome("ok", "sent", "a\nb"))
    topic, raw, cid = _command("upload_logs")
    assert runner.handle(topic, raw) == "ok"
    assert runner.handle(topic, raw) == ""  # a QoS 1 re-delivery runs nothing
    assert len(calls) == 1
    [result] = _results(store)
    assert (result.command_id, result.status, result.output) == (cid, "ok", "a\nb")


def test_a_command_for_another_device_is_refused(store: DeviceStore) -> None:
    ran = []
    runner = _runner(store, restart_app=lambda c: ran.append(c) or Outcome("ok"))
    topic, raw, _ = _command("restart_app", device="k2")  # on k1's topic, addressed to k2
    assert runner.handle(topic, raw) == "refused"
    assert ran == []
    assert _results(store)[0].detail == "not addressed to this device"


def test_an_expired_command_is_answered_expired_not_run(store: DeviceStore) -> None:
    ran = []
    runner = _runner(store, restart_app=lambda c: ran.append(c) or Outcome("ok"))
    topic, raw, _ = _command("restart_app", expires=timedelta(seconds=-1))
    assert runner.handle(topic, raw) == "expired"
    assert ran == [] and _results(store)[0].status == "expired"


def test_a_failing_handler_answers_failed_and_garbage_is_counted(store: DeviceStore) -> None:
    def boom(_c: object) -> Outcome:
        raise OSError("disk gone")

    runner = _runner(store, upload_logs=boom)
    topic, raw, _ = _command("upload_logs")
    assert runner.handle(topic, raw) == "failed"
    assert "disk gone" in (_results(store)[0].detail or "")
    assert runner.handle(topic, b"{not json") == ""
    assert store.counters().get("refused.command") == 1
    unsupported = _command("refresh_catalog")
    assert runner.handle(unsupported[0], unsupported[1]) == "refused"


def test_kiosk_commands_go_through_the_store_and_expire_if_the_kiosk_never_answers(
        store: DeviceStore) -> None:
    clock = [NOW]
    runner = CommandRunner(store.conn, site_id="north", device_id="k1", handlers={},
                           clock=lambda: clock[0])
    topic, raw, printed = _command("print_test_page")
    topic2, raw2, ignored = _command("reprint_last_receipt", expires=timedelta(seconds=30))
    assert runner.handle(topic, raw) == "queued"
    assert runner.handle(topic2, raw2) == "queued"
    assert {c.command_id for c in kiosk_requests(store.conn)} == {printed, ignored}
    answer_kiosk_request(store.conn, printed, ok=False, detail="printer: paper_out")
    assert runner.poll() == 1
    assert [c.command_id for c in kiosk_requests(store.conn)] == [ignored]
    clock[0] = NOW + timedelta(minutes=1)  # the kiosk app is not running
    assert runner.poll() == 1
    by_id = {r.command_id: r for r in _results(store)}
    assert by_id[printed].status == "failed" and by_id[printed].detail == "printer: paper_out"
    assert by_id[ignored].status == "expired"
    assert kiosk_requests(store.conn) == [] and runner.poll() == 0


def test_printer_state_from_the_kiosks_fault_list() -> None:
    assert printer_state(None) is None
    assert printer_state("paper_out,cover_open") == "paper_out"
    assert printer_state("no_response") == "offline"
    assert printer_state("cutter_error") == "error"
    assert printer_state("") == "ok"


def _agent(tmp_path: Path, store: DeviceStore) -> Agent:
    cfg = AgentConfig.model_validate({"site_id": "north", "device_id": "k1",
                                      "store_path": str(tmp_path / "k1.db")})
    agent = Agent(cfg)
    agent.outbox = Outbox(store.conn, ack_timeout=5, max_retry_interval=10)
    agent.applier = DownlinkApplier(store.conn, site_id="north")
    agent.commands = _runner(store)
    return agent


def test_a_config_waits_while_a_diner_is_mid_order_and_applies_at_idle(
        tmp_path: Path, store: DeviceStore) -> None:
    agent = _agent(tmp_path, store)
    store.set_hardware_status("session", f"busy@{time.time()}")
    env = make_envelope("device.config", {"version": 2, "idle_reset_s": 45, "layout": "list"},
                        site="north", device="hub")
    agent._on_message(env.topic(to_device="k1"), encode(env))
    assert store.device_config() is None  # held: the diner's order is not disturbed
    assert agent.heartbeat().in_use is True and agent.heartbeat().pending_update == "config"
    agent._maybe_poll()
    assert store.device_config() is None
    store.set_hardware_status("session", "idle")
    agent._next_poll = 0.0
    agent._maybe_poll()
    got = store.device_config()
    assert got is not None and got.version == 2 and got.layout == "list"
    hb = agent.heartbeat()
    assert hb.in_use is False and hb.pending_update is None and hb.config_version == 2


def test_a_busy_mark_left_by_a_crashed_kiosk_does_not_hold_updates_forever(
        tmp_path: Path, store: DeviceStore) -> None:
    agent = _agent(tmp_path, store)
    store.set_hardware_status("session", f"busy@{time.time() - 3600}")
    assert agent.kiosk_busy() is False


def test_heartbeat_reports_hardware_the_kiosk_recorded(tmp_path: Path,
                                                       store: DeviceStore) -> None:
    agent = _agent(tmp_path, store)
    store.set_hardware_status("printer", "paper_out")
    store.set_hardware_status("scale", "ok")
    store.set_hardware_status("card_reader", "absent")
    hb = agent.heartbeat()
    assert (hb.printer, hb.scale_present, hb.card_reader_present) == ("paper_out", True, False)
    assert hb.disk_total_mb and hb.disk_total_mb >= hb.disk_free_mb and hb.dead_letters == 0
    env = make_envelope("device.heartbeat", hb, site="north", device="k1")
    assert json.loads(encode(env))["schema_version"] == "1.1"
