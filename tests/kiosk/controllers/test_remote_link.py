"""The kiosk's end of remote commands and pushed settings, with the real agent command runner
and device store (no broker): a test page and a reprint on the simulated printer's pty, the
diagnostics figures, settings applied without a restart and bad ones refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge_agent.commands import CommandRunner
from edge_agent.downlinks import DownlinkApplier
from edge_agent.errors import DownlinkRefused
from hardware.sim.printer import PrinterSimulator
from kiosk.controllers.journey import Step
from kiosk.controllers.remote import RemoteLink
from protocol import encode, make_envelope, parse
from protocol.ids import new_message_id
from protocol.payloads.command import CommandResult
from tests.kiosk.controllers.conftest import Kiosk, make_kiosk, order_dish

SITE, DEVICE = "site-1", "kiosk-1"


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[PrinterSimulator]:
    sim = PrinterSimulator(tmp_path / "printer")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def kiosk(tmp_path: Path, printer: PrinterSimulator) -> Iterator[Kiosk]:
    k = make_kiosk(tmp_path, hardware={
        "devices": {"receipt": {"type": "escpos_serial", "port": str(printer.path)}},
        "receipt": {"main": "receipt", "queue_path": str(tmp_path / "print.db")}})
    yield k
    k.runtime.stop()


def command(runner: CommandRunner, name: str) -> str:
    """Hand a command to the agent's runner as the broker would deliver it."""
    cid = new_message_id()
    env = make_envelope("device.command", {
        "command_id": cid, "device": DEVICE, "name": name,
        "expires_at": datetime.now(UTC) + timedelta(minutes=5)}, site=SITE, device="hub")
    assert runner.handle(env.topic(to_device=DEVICE), encode(env)) == "queued"
    return cid


def results(kiosk: Kiosk) -> dict[str, CommandResult]:
    rows = kiosk.store.conn.execute("SELECT topic, body FROM outbox WHERE kind = "
                                    "'device.command_result' ORDER BY seq").fetchall()
    found = [parse(bytes(b), topic=t).payload_as(CommandResult) for t, b in rows]
    return {r.command_id: r for r in found}


def run(kiosk: Kiosk, remote: RemoteLink, runner: CommandRunner, name: str) -> CommandResult:
    """One command through the agent, the kiosk and back to the agent's outbox."""
    cid = command(runner, name)
    remote.poll()  # the journey's background is inline here: printing finishes in poll
    assert runner.poll() == 1
    return results(kiosk)[cid]


def test_test_page_and_reprint_go_to_the_printer_and_answer_through_the_agent(
        kiosk: Kiosk, printer: PrinterSimulator) -> None:
    j = kiosk.journey
    remote = RemoteLink(j)
    runner = CommandRunner(kiosk.store.conn, site_id=SITE, device_id=DEVICE, handlers={})

    nothing = run(kiosk, remote, runner, "reprint_last_receipt")
    assert (nothing.status, nothing.detail) == ("failed", "no receipt printed yet")

    j.start()
    j.identify("card", "0012345678")
    order_dish(j, "kung-pao-chicken")
    j.open_cart()
    assert j.checkout(), j.state.message
    assert printer.wait_documents(1)
    receipt = printer.documents[0]
    j.reset()

    page = run(kiosk, remote, runner, "print_test_page")
    assert (page.status, page.detail) == ("ok", "test page printed")
    assert printer.wait_documents(2)
    test_doc = printer.documents[1].text
    assert "打印测试页 Printer test page" in test_doc and "TEST" in test_doc
    assert "Device kiosk-1" in test_doc and "Site site-1" in test_doc
    assert "￥" in test_doc and printer.documents[1].qr_payloads == []

    again = run(kiosk, remote, runner, "reprint_last_receipt")
    assert (again.status, again.detail) == ("ok", "receipt A001 printed")  # not the test page
    assert printer.wait_documents(3)
    reprint = printer.documents[2]
    # What the pty received decodes to the same receipt, line for line, marked as a reprint.
    assert [ln for ln in reprint.lines if "REPRINT" not in ln] == receipt.lines
    assert [ln.strip() for ln in reprint.lines if "REPRINT" in ln] == ["** 重印 REPRINT **"]
    assert reprint.qr_payloads == receipt.qr_payloads

    printer.set_paper("out")
    out = run(kiosk, remote, runner, "print_test_page")
    assert (out.status, out.detail) == ("failed", "printer: paper_out")
    assert kiosk.store.conn.execute(
        "SELECT value FROM meta WHERE key = 'hw.printer'").fetchone() == ("paper_out",)
    assert len(printer.documents) == 3


def test_diagnostics_open_only_at_idle_and_show_the_devices_figures(kiosk: Kiosk) -> None:
    j = kiosk.journey
    remote = RemoteLink(j)
    runner = CommandRunner(kiosk.store.conn, site_id=SITE, device_id=DEVICE, handlers={})
    shown: list[int] = []

    def show() -> bool:
        shown.append(1)
        return True

    remote.show_diagnostics = show

    j.start()  # a diner is ordering: the screen is theirs
    busy = run(kiosk, remote, runner, "open_diagnostics")
    assert busy.status == "failed" and "diner" in (busy.detail or "") and shown == []
    j.reset()
    assert run(kiosk, remote, runner, "open_diagnostics").status == "ok" and shown == [1]

    rows = {r.key: r for r in remote.diagnostics()}
    assert list(rows) == ["device", "site", "app", "catalog", "model", "config", "broker",
                          "outbox", "printer", "scanner", "card_reader", "scale"]
    assert rows["device"].value.en == DEVICE and rows["site"].value.en == SITE
    assert rows["app"].value.en.startswith("canteen-edge")
    assert rows["catalog"].value.en == str(kiosk.store.versions()["catalog"])
    assert (rows["config"].label.zh, rows["config"].value.en) == ("设置版本", "Not received yet")
    assert rows["broker"].value.zh == "代理程序未运行" and rows["broker"].ok is False
    assert rows["outbox"].value.en.endswith("s")  # the order and answers wait: no agent here
    assert rows["printer"].value.en in ("Ready", "Not checked yet")
    assert (rows["scanner"].value.zh, rows["card_reader"].value.en) == ("无", "None")
    assert (rows["scale"].label.zh, rows["scale"].value.en) == ("电子秤", "None")
    hw = dict(kiosk.store.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'hw.%'"))
    assert (hw["hw.card_reader"], hw["hw.scanner"], hw["hw.scale"]) == ("absent",) * 3


def _config(version: int, **fields: Any) -> tuple[str, bytes]:
    env = make_envelope("device.config", {"version": version, **fields}, site=SITE, device="hub")
    return env.topic(to_device=DEVICE), encode(env)


def test_pushed_settings_apply_without_restart_and_a_bad_one_keeps_the_last_good(
        kiosk: Kiosk) -> None:
    j = kiosk.journey
    remote = RemoteLink(j)
    layouts: list[str] = []
    remote.layout_changed = layouts.append
    applier = DownlinkApplier(kiosk.store.conn, site_id=SITE)
    assert j.idle.timeout == timedelta(seconds=60) and j.state.lang == "zh_Hans"

    applier.handle(*_config(2, idle_reset_s=45, languages=["en"], layout="list",
                            large_text=True))
    assert remote.apply_config()
    assert j.idle.timeout == timedelta(seconds=45)
    assert kiosk.services.config.languages == ("en",)
    assert (j.state.lang, j.state.large_text) == ("en", True)  # at idle: shown at once
    assert layouts == ["list"] and remote.layout == "list"
    j.set_language("zh_Hans")  # no longer offered
    assert j.state.lang == "en"
    assert not remote.apply_config()  # the same version again changes nothing

    # Invalid by the shared schema (default language not offered): the agent refuses it.
    topic, raw = _config(3, idle_reset_s=30, languages=["zh_Hans", "en"])
    bad = json.loads(raw)
    bad["payload"].update(languages=["zh_Hans"], default_language="en")
    with pytest.raises(DownlinkRefused):
        applier.handle(topic, json.dumps(bad, separators=(",", ":")).encode())
    topic, raw = _config(3, idle_reset_s=30)
    bad = json.loads(raw)
    bad["payload"]["idle_reset_s"] = 5
    with pytest.raises(DownlinkRefused):
        applier.handle(topic, json.dumps(bad, separators=(",", ":")).encode())
    remote.poll()
    assert j.idle.timeout == timedelta(seconds=45) and remote.config_version == 2
    assert kiosk.store.counters().get("refused.config") == 2

    # Mid-order a new version changes the timer and the offer, not the diner's screen.
    j.start()
    applier.handle(*_config(4, idle_reset_s=120, languages=["zh_Hans", "en"],
                            default_language="zh_Hans"))
    remote.poll()
    assert j.state.step is Step.IDENTIFY and j.state.lang == "en"
    assert j.idle.timeout == timedelta(seconds=120) and layouts == ["list", "grid"]
    j.reset()
    assert j.state.lang == "zh_Hans" and j.state.large_text is False
    assert kiosk.store.conn.execute(
        "SELECT value FROM meta WHERE key = 'hw.kiosk_config'").fetchone() == ("4",)
