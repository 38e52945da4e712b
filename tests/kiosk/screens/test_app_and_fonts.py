"""The mode registry and the Simplified Chinese font extraction (no window needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import app as kiosk_app
from kiosk.fonts import SC_FAMILY, cache_dir, ensure_fonts, find_collection

pytestmark = pytest.mark.screen


def test_modes_register_and_unknown_mode_is_refused() -> None:
    assert "diner" in kiosk_app.MODES

    @kiosk_app.register_mode("test-mode")
    def build(services: object, controllers: object) -> object:
        return "root"

    try:
        assert kiosk_app.mode_factory("test-mode") is build
        assert kiosk_app.MODE_MODULES == {"kds": "kiosk.kds", "pickup": "kiosk.pickup"}
        with pytest.raises(KeyError, match="unknown kiosk mode"):
            kiosk_app.mode_factory("nope")
    finally:
        del kiosk_app.MODES["test-mode"]


@pytest.mark.skipif(find_collection("Regular") is None, reason="fonts-noto-cjk not installed")
def test_the_simplified_chinese_face_is_extracted_once_outside_the_repo(tmp_path: Path,
                                                                         monkeypatch) -> None:
    from fontTools.ttLib import TTFont

    monkeypatch.setenv("KIVY_HOME", str(tmp_path / "kivy"))
    assert cache_dir() == tmp_path / "kivy" / "fonts"
    files = ensure_fonts()
    assert files.regular.parent == tmp_path / "kivy" / "fonts"
    for path in (files.regular, files.bold):
        assert TTFont(str(path))["name"].getDebugName(1) == SC_FAMILY
    before = files.regular.stat().st_mtime_ns
    assert ensure_fonts().regular.stat().st_mtime_ns == before  # cached, not rewritten
    assert not list(Path(kiosk_app.__file__).parent.rglob("*.otf"))  # nothing in the repo
