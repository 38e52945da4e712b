"""Every PostgreSQL test follows CANTEEN_TEST_PG: the schema fixture and the hub's URL agree."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nobody listens once the socket is closed


def test_the_schema_fixture_uses_the_configured_server(tmp_path: Path) -> None:
    port = _closed_port()
    env = {**os.environ, "CANTEEN_TEST_PG": f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "pt"),
         "tests/ingest/test_batch_refold.py::test_batches_fold_like_single_events_postgres"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    # Skipped for the server it was told to use, not run against 127.0.0.1:5432 regardless.
    assert "1 skipped" in run.stdout, run.stdout[-2000:]
    assert f"127.0.0.1:{port}/test unreachable" in run.stdout, run.stdout[-2000:]
