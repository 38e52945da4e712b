"""The diner's screens: one ``.py`` + ``.kv`` pair per screen, plus shared widgets."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
KV_FILES = (
    "widgets.kv",
    "idle.kv",
    "identify.kv",
    "menu.kv",
    "detail.kv",
    "setmeal.kv",
    "cart.kv",
    "done.kv",
    "feedback.kv",
    "face.kv",
    "diagnostics.kv",
    "root.kv",
)
"""Loaded in this order: shared widget rules first, the root last."""

_loaded = False


def load_kv() -> None:
    """Load every screen's kv rules once (importing the screen classes first)."""
    global _loaded
    if _loaded:
        return
    from kivy.lang import Builder

    from kiosk.screens import (  # noqa: F401  (classes must exist before their rules)
        cart,
        detail,
        diagnostics,
        done,
        face,
        feedback,
        identify,
        idle,
        menu,
        root,
        setmeal,
        widgets,
    )

    for name in KV_FILES:
        Builder.load_file(str(HERE / name))
    _loaded = True
