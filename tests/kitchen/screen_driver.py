"""Run a kitchen screen in this process (one Kivy window), wait for a condition, shoot, act.

python tests/kitchen/screen_driver.py CONFIG OUT_JSON --expect N [--shot PNG] [--bump-all]
    [--kill-broker-pid PID]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def header_gaps(root: object) -> list[float]:
    """Per visible card, the smallest horizontal gap between title, station and age texts."""
    from kivy.uix.label import Label

    gaps = []
    rv = root.ids.rv  # type: ignore[attr-defined]
    for card in rv.layout_manager.children:
        header = card.children[-1]  # first child in kv order
        labels = [w for w in reversed(header.children) if isinstance(w, Label)]
        spans = []
        for w in labels:
            tw = min(w.texture_size[0], w.width)
            if w.halign == "center":
                left = w.x + (w.width - tw) / 2
            elif w.halign == "right":
                left = w.right - tw
            else:
                left = w.x
            spans.append((left, left + tw))
        gaps.append(min(b[0] - a[1] for a, b in itertools.pairwise(spans)))
    return gaps


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("config", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--expect", type=int, default=1)
    p.add_argument("--shot", type=Path)
    p.add_argument("--bump-all", action="store_true")
    p.add_argument("--banner", action="store_true", help="wait for the lost-broker banner")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--portions", action="store_true",
                   help="open the portions panel, 2 left over on the first dish, shoot, record")
    args = p.parse_args()

    from kivy.config import Config

    # Before anything imports kivy.core.window (kiosk.app may): the window's size is fixed
    # when it is created.
    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")
    from edge_agent.kitchen.config import load_kitchen_config
    from kiosk.app import KioskApp, configure_window
    from kiosk.kds.wiring import KitchenServices

    cfg = load_kitchen_config(args.config)
    configure_window(True, (1280, 800))  # before the window exists

    from kivy.clock import Clock
    from kivy.core.window import Window
    services = KitchenServices(cfg)
    app = KioskApp(services, None, mode=cfg.mode)
    t0 = time.monotonic()
    result: dict[str, object] = {}

    def shown(root: object) -> int:
        return len(getattr(root, "cards", None) or getattr(root, "ready", []))

    def poll(_dt: float) -> None:
        root = app.root
        if root is None:
            return
        done = shown(root) >= args.expect and bool(root.banner) == args.banner
        if result or (not done and time.monotonic() - t0 < args.timeout):
            return
        result["waited_s"] = round(time.monotonic() - t0, 2)
        Clock.schedule_once(finish, 0.6)  # let a few frames draw first

    def portions(_dt: float) -> None:
        panel = app.root.open_portions()
        rows = panel.portions.rows()
        if rows:
            for _ in range(2):
                panel.buttons[(str(rows[0]["dish_id"]), "left_over", 1)].dispatch("on_release")
        result["portions_title"] = panel.portions.title()
        Clock.schedule_once(portions_shot, 0.8)

    def portions_shot(_dt: float) -> None:
        panel = app.root.portions_panel
        if args.shot:
            Window.screenshot(name=str(args.shot))
        result["portions"] = panel.portions.rows()
        panel.record_button.dispatch("on_release")
        result["portions_status"] = panel.portions.status
        args.out.write_text(json.dumps(result, ensure_ascii=False))
        app.stop()

    def finish(_dt: float) -> None:
        root = app.root
        if args.portions:
            portions(_dt)
            return
        if args.shot:
            Window.screenshot(name=str(args.shot))
        result["banner"] = root.banner
        if cfg.mode == "kds":
            result["cards"] = [(c["title"], c["station"], c["items_text"], c["notes_text"],
                                c["station_text"]) for c in root.cards]
            result["header_gaps"] = header_gaps(root)
            result["counts"] = root.counts
            if args.bump_all:
                while root.controller.key("b"):
                    root.refresh()
                result["after_bump"] = len(root.cards)
        else:
            result["ready"] = [r["text"] for r in root.ready]
            result["preparing"] = [r["text"] for r in root.preparing]
        args.out.write_text(json.dumps(result, ensure_ascii=False))
        app.stop()

    Clock.schedule_interval(poll, 0.1)
    try:
        app.run()
    finally:
        services.stop()


if __name__ == "__main__":
    main()
