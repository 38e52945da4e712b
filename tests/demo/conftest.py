"""Fixtures of the demo tests: start demo runs that are always stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo_site import DemoRun


@pytest.fixture
def start_demo() -> Iterator[type[DemoRun]]:
    """Start demo runs (``start_demo(data_dir, *args)``); any left running is stopped."""
    runs: list[DemoRun] = []

    class _Tracked(DemoRun):
        def __init__(self, data_dir: Path, *args: str) -> None:
            super().__init__(data_dir, *args)
            runs.append(self)

    yield _Tracked
    for run in runs:
        run.kill()
