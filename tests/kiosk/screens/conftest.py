"""One real Kivy window for all screen tests: a seeded kiosk with card, scale, printer sims."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
# before Kivy is imported: no argv parsing, config and the extracted font under .cache/
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_HOME", str(ROOT / ".cache" / "kivy-test"))
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

import pytest  # noqa: E402

from edge_agent.downlinks import DownlinkApplier  # noqa: E402
from hardware.sim.card import CardReaderSimulator, ScannerSimulator  # noqa: E402
from hardware.sim.printer import PrinterSimulator  # noqa: E402
from hardware.sim.scale import ScaleSimulator  # noqa: E402
from protocol import encode, make_envelope  # noqa: E402
from tests.kiosk.controllers.conftest import Kiosk, make_kiosk  # noqa: E402
from tests.kiosk.screens.driver import Driver  # noqa: E402

pytestmark = pytest.mark.screen
CARD_GOLD = "0012345678"


@pytest.fixture(scope="session")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Hardware simulators on pseudo-terminals."""
    base = tmp_path_factory.mktemp("sims")
    devices = {
        "card": CardReaderSimulator(base / "card", protocol="line"),
        "scanner": ScannerSimulator(base / "scanner"),
        "scale": ScaleSimulator(base / "scale"),
        "printer": PrinterSimulator(base / "printer"),
    }
    for sim in devices.values():
        sim.start()
    yield devices
    for sim in devices.values():
        sim.stop()


SCANNER_DEBOUNCE_S = 0.0
"""No same-code window for the scanner here: screen tests show one QR twice in a row (a
booking picked up, then refused), quicker than a diner would; the window itself is tested
in tests/hardware/test_readers_and_scale.py."""


@pytest.fixture(scope="session")
def kiosk(tmp_path_factory: pytest.TempPathFactory, sims: dict[str, Any]) -> Iterator[Kiosk]:
    """A seeded device store, services and the journey controller, hardware running."""
    base = tmp_path_factory.mktemp("kiosk")
    k = make_kiosk(
        base,
        hardware={
            "devices": {
                "card": {"type": "card_line", "port": str(sims["card"].path),
                         "debounce_s": 0.5},
                "scanner": {"type": "scanner_line", "port": str(sims["scanner"].path),
                            "debounce_s": SCANNER_DEBOUNCE_S},
                "scale": {"type": "scale_continuous", "port": str(sims["scale"].path),
                          "stable_window_s": 0.2},
                "receipt": {"type": "escpos_serial", "port": str(sims["printer"].path)},
            },
            "receipt": {"main": "receipt", "queue_path": str(base / "print.db")},
        },
        roles={"card_reader": "card", "scanner": "scanner", "scale": "scale"},
        promotions_zh=["周三会员日：红烧肉会员价 ￥18.00", "新品：番茄牛腩饭"],
        promotions_en=["Member Wednesday: braised pork ￥18.00 for members",
                       "New: tomato beef brisket rice"],
    )
    k.runtime.start()
    yield k
    k.runtime.stop()


@pytest.fixture(scope="session")
def ui(kiosk: Kiosk, sims: dict[str, Any], artifacts: Path) -> Iterator[Driver]:
    """The kiosk window (1280x800, windowed), reused by every test of the session."""
    from kiosk.app import KioskApp, configure_window

    configure_window(windowed=True, size=(1280, 800))
    app = KioskApp(kiosk.runtime, kiosk.journey)
    app._run_prepare()  # builds the root and opens the window without blocking in run()
    from kivy.core.window import Window

    Window.size = (1280, 800)  # the window may exist before the config was read
    driver = Driver(app, kiosk, sims, artifacts)
    driver.settle()
    yield driver
    app.root.presenter.stop()
    app.stop()


@pytest.fixture
def fresh(ui: Driver) -> Driver:
    """The window back at the attract screen, in Chinese, normal text."""
    ui.journey.reset()
    ui.kiosk.net.value = True
    ui.journey.tick()
    ui.settle()
    return ui


def push_config(ui: Driver, **fields: object) -> None:
    """A device config as the agent stores it from the hub's downlink; the window applies it
    at its next tick."""
    store = ui.kiosk.store
    version = int(store.versions().get("config") or 0) + 1
    env = make_envelope("device.config", {"version": version, "idle_reset_s": 60, **fields},
                        site="site-1", device="hub")
    DownlinkApplier(store.conn, site_id="site-1").handle(env.topic(to_device="kiosk-1"),
                                                          encode(env))
