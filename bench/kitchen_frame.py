"""KDS frame time with many open tickets: the RecycleView screen vs rebuilding every card.

Run: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/kitchen_frame.py [--tickets 200]

Each refresh re-reads the open tickets from SQLite, builds the view and draws one frame
(what happens on every new ticket and, for the ages, once a second). Baseline in the same
run: a naive screen that destroys and re-creates one card widget per open ticket.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _fill(store_path: Path, n: int) -> None:
    from edge_agent.kitchen.kds_store import KdsStore
    from protocol import make_envelope, new_order_id

    store = KdsStore(store_path, site_id="site-1", device_id="kds-1")
    now = datetime.now(UTC)
    for i in range(n):
        line = {"dish_id": "kung-pao-chicken", "name_zh": "宫保鸡丁",
                "name_en": "Kung Pao Chicken", "qty": 2, "unit_price_cents": 500,
                "line_total_cents": 1000, "station": "wok",
                "note": "不要香菜" if i % 5 == 0 else "",
                "modifiers": [{"code": "less_spicy", "name_zh": "少辣", "name_en": "Less spicy",
                               "price_delta_cents": 0}]}
        payload = {"order_id": new_order_id(), "order_no": f"A{i + 1:03d}",
                   "placed_at": now - timedelta(seconds=n - i), "meal_period": "lunch",
                   "member_id": None, "lines": [line], "subtotal_cents": 1000,
                   "total_cents": 1000, "paid": True,
                   "payments": [{"method": "stored_value", "amount_cents": 1000}]}
        store.apply_envelope(make_envelope("order.placed", payload, site="site-1",
                                           device="kiosk-1"))
    store.close()


def _running_app(font: str) -> None:
    """kv rules read ``app.theme``: an app object with the kiosk theme, without app.run()."""
    from kivy.app import App

    from kiosk.theme import Theme

    app = App()
    app.theme = Theme()
    app.theme.font_name = font
    App._running_app = app


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    """Print p50/p99 refresh+frame time for both screens."""
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=200)
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--naive-frames", type=int, default=8, help="seconds each: keep it small")
    args = p.parse_args()

    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.uix.gridlayout import GridLayout
    from kivy.uix.scrollview import ScrollView

    from edge_agent.kitchen.config import KitchenConfig
    from edge_agent.kitchen.kds_store import KdsStore
    from kiosk.fonts import register_fonts
    from kiosk.kds.controller import KdsController
    from kiosk.kds.screen import KdsCard, KdsRoot

    work = Path(tempfile.mkdtemp(prefix="kds-frame-"))
    cfg = KitchenConfig(site_id="site-1", device_id="kds-1", store_path=work / "kds.db")
    _fill(cfg.store_path, args.tickets)
    font = register_fonts()
    EventLoop.ensure_window()
    _running_app(font)

    def frame() -> None:
        EventLoop.idle()  # layout + draw + flip of one frame

    # ---- the real screen: RecycleView, only visible cards exist ----
    controller = KdsController(KdsStore(cfg.store_path, site_id="site-1", device_id="kds-1"),
                               cfg)
    root = KdsRoot(controller, font=font)
    Window.add_widget(root)
    for _ in range(10):
        frame()
    rv_ms = []
    for _ in range(args.frames):
        t0 = time.perf_counter()
        root.refresh()
        frame()
        rv_ms.append((time.perf_counter() - t0) * 1000)
    assert len(root.cards) == args.tickets
    Window.remove_widget(root)

    # ---- the naive baseline: one widget per ticket, rebuilt on every refresh ----
    grid = GridLayout(cols=4, spacing=6, padding=6, size_hint_y=None, row_default_height=250,
                      row_force_default=True)
    grid.bind(minimum_height=grid.setter("height"))
    scroll = ScrollView()
    scroll.add_widget(grid)
    Window.add_widget(scroll)
    naive_ms = []
    for i in range(2 + args.naive_frames):
        t0 = time.perf_counter()
        view = controller.refresh()
        grid.clear_widgets()
        for card in view.cards:
            grid.add_widget(KdsCard(font=font, **card))
        frame()
        if i >= 2:
            naive_ms.append((time.perf_counter() - t0) * 1000)

    print(f"KDS refresh + frame, {args.tickets} open tickets, 1280x800 "
          f"({args.naive_frames} / {args.frames} frames measured)")
    print(f"  naive rebuild-every-card (baseline): p50 {statistics.median(naive_ms):7.1f} ms"
          f"   p99 {_pct(naive_ms, 0.99):7.1f} ms")
    print(f"  RecycleView screen (kiosk.kds):      p50 {statistics.median(rv_ms):7.1f} ms"
          f"   p99 {_pct(rv_ms, 0.99):7.1f} ms")
    print(f"  speed-up at p50: {statistics.median(naive_ms) / statistics.median(rv_ms):.1f}x")


if __name__ == "__main__":
    main()
