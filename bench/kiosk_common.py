"""Shared set-up of the kiosk benchmarks: a seeded device store and one real Kivy window.

Uses the controller tests' seed data (tests/kiosk/controllers/conftest.py) so every bench
runs against the same catalog and member cache the tests do.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_HOME", str(ROOT / ".cache" / "kivy-bench"))
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault(
    "ESCPOS_CAPABILITIES_PICKLE_DIR", os.path.join(tempfile.gettempdir(), "canteen-escpos")
)
os.makedirs(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], exist_ok=True)


def seeded_kiosk(base: Path, **extra: Any) -> Any:
    """A kiosk (runtime + journey) over a freshly seeded store in ``base``."""
    from tests.kiosk.controllers.conftest import make_kiosk

    return make_kiosk(base, **extra)


def seed_store(base: Path) -> None:
    """Write the seed catalog and member cache into ``base``/store.db (the agent's job)."""
    from edge_agent.store import DeviceStore
    from tests.kiosk.controllers.conftest import kiosk_config, seed

    config = kiosk_config(base)
    with DeviceStore(config.store_path, site_id="site-1", device_id="kiosk-1") as store:
        seed(store)


def kiosk_over_store(base: Path) -> tuple[Any, Any]:
    """(runtime, journey) over an already seeded store, as the kiosk CLI would build them."""
    from kiosk.controllers.journey import JourneyController
    from kiosk.services.bootstrap import build_services
    from kiosk.services.clock import FrozenClock
    from kiosk.services.connectivity import FixedConnectivity
    from tests.kiosk.controllers.conftest import LUNCH, kiosk_config

    runtime = build_services(kiosk_config(base), clock=FrozenClock(LUNCH),
                             connectivity=FixedConnectivity(True))
    return runtime, JourneyController(runtime.services)


def open_window(kiosk: Any) -> Any:
    """The diner app in a 1280x800 window, built and drawn once."""
    from kiosk.app import KioskApp, configure_window

    configure_window(windowed=True, size=(1280, 800))
    app = KioskApp(kiosk.runtime, kiosk.journey)
    app._run_prepare()
    from kivy.core.window import Window

    Window.size = (1280, 800)
    return app


def frame() -> None:
    """Run one Kivy frame: clock callbacks and triggers, layout, drawing."""
    from kivy.base import EventLoop

    EventLoop.idle()


def ms_since(t0: float) -> float:
    """Milliseconds since ``t0`` (perf_counter)."""
    return (time.perf_counter() - t0) * 1000


def summary(name: str, values: list[float]) -> str:
    """median / p95 / max of a list of milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{name:<34} n={len(values):<4} median {ordered[len(ordered) // 2]:7.1f} ms  "
            f"p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms")
