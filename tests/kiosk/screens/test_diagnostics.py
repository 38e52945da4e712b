"""The diagnostics screen opened from the hub: the agent hands ``open_diagnostics`` over, the
kiosk window shows the device's figures in both languages, answers, and closes.
Screenshots: docs/screenshots/kiosk-diagnostics-zh.png / -en.png."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from edge_agent.commands import CommandRunner
from edge_agent.store import write_agent_link
from protocol import encode, make_envelope, parse
from protocol.ids import new_message_id
from protocol.payloads.command import CommandResult
from tests.kiosk.screens.conftest import push_config
from tests.kiosk.screens.driver import Driver

pytestmark = pytest.mark.screen


def test_open_diagnostics_from_the_hub_shows_the_devices_state(fresh: Driver) -> None:
    ui = fresh
    store = ui.kiosk.store
    view = ui.root.diagnostics
    write_agent_link(store.conn, connected=True, now=time.time())  # as the running agent does
    runner = CommandRunner(store.conn, site_id="site-1", device_id="kiosk-1", handlers={})
    cid = new_message_id()
    env = make_envelope("device.command", {
        "command_id": cid, "device": "kiosk-1", "name": "open_diagnostics",
        "expires_at": datetime.now(UTC) + timedelta(minutes=2)}, site="site-1", device="hub")
    try:
        assert runner.handle(env.topic(to_device="kiosk-1"), encode(env)) == "queued"
        assert ui.wait_until(lambda: view.shown, 5), "the diagnostics screen did not open"
        ui.settle()
        zh = ui.texts(view)
        # Settings: "not received yet", or the version another screen test pushed before.
        config = store.versions().get("config")
        settings = "尚未收到" if config is None else str(config)
        for shown in ("设备诊断", "设备", "kiosk-1", "食堂", "site-1", "应用版本", "菜单版本",
                      "模型版本", "设置版本", settings, "消息服务器", "待发送队列", "打印机",
                      "扫码器", "读卡器", "电子秤", "关闭"):
            assert shown in zh, (shown, "|".join(zh))
        assert any(t.startswith("自 ") and t.endswith(" 起已连接") for t in zh), zh
        assert zh.count("已连接") == 3  # scanner, card reader and scale on their pty simulators
        assert ui.root.manager.current == "idle"  # over the attract screen, nothing lost
        ui.screenshot("kiosk-diagnostics-zh")

        assert runner.poll() == 1  # the agent sends the kiosk's answer on
        row = store.conn.execute("SELECT topic, body FROM outbox WHERE kind = "
                                 "'device.command_result' ORDER BY seq DESC").fetchone()
        result = parse(bytes(row[1]), topic=row[0]).payload_as(CommandResult)
        assert (result.command_id, result.status) == (cid, "ok")

        ui.tap_text("English", under=view)
        en = ui.texts(view)
        for shown in ("Device diagnostics", "Device", "App version", "Catalogue version",
                      "Settings version", "Not received yet" if config is None else str(config),
                      "Broker", "Outbox", "Printer",
                      "Scanner", "Card reader", "Scale", "Close"):
            assert shown in en, (shown, en)
        assert en.count("Connected") == 3
        ui.screenshot("kiosk-diagnostics-en")
        ui.tap_text("Close", under=view)
        assert not view.shown
    finally:
        view.close()
        with store.conn:
            store.conn.execute("DELETE FROM meta WHERE key LIKE 'agent.%'")


def test_a_pushed_list_layout_shows_the_menu_as_a_list_without_restart(fresh: Driver) -> None:
    ui = fresh
    theme = ui.app.theme
    try:
        push_config(ui, layout="list")
        assert ui.wait_until(lambda: theme.layout == "list", 5)
        ui.journey.start()
        ui.journey.identify("guest")
        ui.settle()
        assert ui.root.manager.current == "menu"
        grid = ui.screen("menu").ids.dish_view.layout_manager
        assert grid.cols == 1
    finally:
        push_config(ui, layout="grid")
        ui.wait_until(lambda: theme.layout == "grid", 5)
        ui.journey.reset()
        ui.settle()
    assert theme.layout == "grid"
