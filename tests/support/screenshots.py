"""Screenshots taken by tests: kept in a temporary folder; copied into docs/screenshots/ only
when `scripts/screenshots` asks for it, so a test run never dirties the work tree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REFRESH_ENV = "CANTEEN_REFRESH_SCREENSHOTS"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def refreshing() -> bool:
    """Whether this run refreshes the committed screenshots (scripts/screenshots)."""
    return os.environ.get(REFRESH_ENV) == "1"


def publish_screenshot(shot: Path, name: str | None = None) -> None:
    """Copy `shot` into docs/screenshots/ (as `name`) when refreshing; otherwise nothing."""
    if refreshing():
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS / (name or shot.name))
