"""Browser tests' shared parts: Debian Chromium, pages in a language, the admin login,
full-page screenshots, a hub that listens on a real port."""

from __future__ import annotations

import re
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine

from hub.app import create_app
from hub.settings import Settings
from tests.support.screenshots import publish_screenshot
from tests.support.waiting import wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

@dataclass
class RunningHub:
    """Where a test hub listens and its database engine."""

    url: str
    engine: Engine


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_page(browser: Browser, locale: str) -> Page:
    """A fresh browser context (no cookies) whose Accept-Language is ``locale``."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 860})
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page: Page, hub: RunningHub, user: tuple[str, str]) -> None:
    """Open /admin/, get sent to the login page, and sign in."""
    page.goto(f"{hub.url}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("button[type=submit]")


def shoot(page: Page, artifacts: Path, name: str, publish: bool = True,
          full_page: bool = True) -> Path:
    """A screenshot `name`.png (the whole page, or what the window shows) in the run's
    artifacts (published to docs/screenshots/ when refreshing them and `publish` is true)."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if publish:
        publish_screenshot(path)
    return path


# Every browser test module: `pytestmark = BROWSER_TEST`.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"
    ),
]


@contextmanager
def served_hub(data_dir: Path) -> Iterator[tuple[FastAPI, str]]:
    """The hub (migrated SQLite in data_dir) under uvicorn in a thread: (app, base URL)."""
    app = create_app(Settings(demo_mode=True, data_dir=data_dir, auto_migrate=True))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="hub-uvicorn", daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), 20, "the hub to start")
    if not server.started:
        raise RuntimeError("the hub did not start")
    url = f"http://127.0.0.1:{port}"
    # The first request builds the apps' route state (seconds on a busy machine): made here,
    # with time to spare, not by the browser, whose page loads have a 15 s limit.
    for path in ("/admin/", "/member/sign-in"):
        with urllib.request.urlopen(f"{url}{path}", timeout=120) as first:
            first.read()
    try:
        yield app, url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
