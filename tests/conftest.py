"""Fixtures shared by every part's tests: a private Mosquitto, PostgreSQL access."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# python-escpos keeps its parsed printer profiles in a pickle; without this setting it
# parses them again in a fresh temp dir per process. Writing that pickle is not atomic, so
# it is made here, once, in the process that loads this file first (under pytest-xdist the
# controller, before any worker starts) instead of by two workers at the same moment.
os.environ.setdefault(
    "ESCPOS_CAPABILITIES_PICKLE_DIR", os.path.join(tempfile.gettempdir(), "canteen-escpos")
)
os.makedirs(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], exist_ok=True)

import escpos.capabilities  # noqa: E402,F401  (writes the pickle before workers start)

# Kivy makes its home's folders with exists() then mkdir() when first imported: two xdist
# workers importing it at the same moment collide (FileExistsError at collection). Each
# worker gets a home of its own under the one scripts/test made.
if os.environ.get("KIVY_HOME") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["KIVY_HOME"] = os.path.join(os.environ["KIVY_HOME"],
                                           os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(os.environ["KIVY_HOME"], exist_ok=True)
import pytest  # noqa: E402

from demo.broker import PrivateBroker  # noqa: E402

# One setting for every PostgreSQL test: the hub's SQLAlchemy URL and psycopg's DSN are the
# same server, database and user.
PG_URL = os.environ.get(
    "CANTEEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_DSN = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A private Mosquitto on a free port, killed at the end of the test."""
    b = PrivateBroker(tmp_path / "broker")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's folder for screenshots and other files a person may want to look at
    (under pytest's temporary base; scripts/screenshots copies the documented ones to docs/)."""
    return tmp_path_factory.mktemp("artifacts", numbered=False)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError as err:
        return f"psycopg not installed: {err}"
    try:
        with psycopg.connect(PG_DSN, connect_timeout=2):
            return None
    except Exception as err:  # any failure means: skip with the reason
        return f"PostgreSQL at {PG_DSN} unreachable (set CANTEEN_TEST_PG): {err}"


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema in database `test`, dropped afterwards."""
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = PG_DSN
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (browser tests only import Playwright)."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
