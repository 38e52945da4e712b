"""Menu screen with 200 dishes: RecycleView (cards reused) against a naive rebuild-everything grid.

Both draw the same DishCard widget in the same 1280x800 window. "build" is setting the
rows and drawing the next frame; "relabel" is a language switch (every row re-rendered).
The full path (journey -> menu controller -> presenter -> frame) is timed as well.
Run: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python bench/kiosk_menu.py
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kiosk_common import frame, ms_since, open_window, seeded_kiosk, summary

DISHES = 200
REPEAT = 10


def big_catalog() -> dict[str, Any]:
    """The seed catalog grown to 200 dishes on the lunch menu, 185 of them meat dishes."""
    from tests.kiosk.controllers.conftest import CATALOG

    data = copy.deepcopy(CATALOG)
    template = data["dishes"][0]
    extra = []
    for i in range(DISHES - len(data["dishes"])):
        d = copy.deepcopy(template)
        d["id"] = f"bench-{i:03d}"
        d["name_zh"] = f"厨师推荐第{i}号菜"
        d["name_en"] = f"Chef's dish number {i}"
        extra.append(d)
    data["dishes"] = data["dishes"] + extra
    for d in extra:
        d["category"] = "meat"
    data["menus"][0]["items"] = [{"dish_id": d["id"]} for d in data["dishes"]]
    data["version"] = 2
    return data


def naive_grid(rows: list[dict[str, Any]]) -> Any:
    """The baseline: a ScrollView over a GridLayout holding one DishCard per dish."""
    from kivy.metrics import dp
    from kivy.uix.gridlayout import GridLayout
    from kivy.uix.scrollview import ScrollView

    from kiosk.screens.widgets import DishCard

    scroll = ScrollView(do_scroll_x=False)
    grid = GridLayout(cols=4, spacing=dp(8), size_hint_y=None, row_default_height=dp(184),
                      row_force_default=True)
    grid.bind(minimum_height=grid.setter("height"))
    for row in rows:
        grid.add_widget(DishCard(**{k: v for k, v in row.items() if k != "on_pick"}))
    scroll.add_widget(grid)
    return scroll


def main() -> None:
    """Print build and relabel times of both approaches, and the full controller path."""
    from kivy.uix.screenmanager import Screen

    from kiosk.screens import present as p
    from tests.kiosk.controllers.conftest import apply_catalog

    kiosk = seeded_kiosk(Path(tempfile.mkdtemp(prefix="kiosk-menu-")))
    apply_catalog(kiosk.store, big_catalog())
    app = open_window(SimpleNamespace(runtime=kiosk.runtime, journey=kiosk.journey))
    root, j = app.root, kiosk.journey
    j.start()
    j.identify("guest")
    for _ in range(3):
        frame()
    menu = root.screen("menu")
    cards = j.menu.state.categories[0].dishes
    assert len(cards) >= DISHES - 20, len(cards)

    full: list[float] = []
    rv_build: list[float] = []
    rv_relabel: list[float] = []
    for i in range(REPEAT):
        t = time.perf_counter()
        j.set_filters(no_spice=(i % 2 == 0))  # controller rebuilds the menu, presenter redraws
        frame()
        full.append(ms_since(t))
        for lang, out in (("zh_Hans", rv_build), ("en", rv_relabel)):
            rows = [p.dish_row(c, lang, menu.pick) for c in cards]
            menu.dishes = []
            frame()
            t = time.perf_counter()
            menu.dishes = rows
            frame()
            out.append(ms_since(t))

    naive_screen = Screen(name="naive")
    root.manager.add_widget(naive_screen)
    root.show("naive")
    naive_build: list[float] = []
    naive_relabel: list[float] = []
    for _ in range(REPEAT):
        for lang, out in (("zh_Hans", naive_build), ("en", naive_relabel)):
            rows = [p.dish_row(c, lang, None) for c in cards]
            naive_screen.clear_widgets()
            frame()
            t = time.perf_counter()
            naive_screen.add_widget(naive_grid(rows))
            frame()
            out.append(ms_since(t))

    print(f"menu category with {len(cards)} dishes, window 1280x800")
    print(summary("RecycleView: build + frame", rv_build))
    print(summary("RecycleView: relabel (en) + frame", rv_relabel))
    print(summary("naive grid: build + frame", naive_build))
    print(summary("naive grid: relabel (en) + frame", naive_relabel))
    print(summary("full path: filter tap -> frame", full))
    app.stop()
    kiosk.runtime.stop()


if __name__ == "__main__":
    main()
