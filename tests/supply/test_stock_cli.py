"""``canteen-hub supply``: alerts, traceability CSV and suggestions from the hub database."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub.ingest.writer import BatchWriter
from hub.settings import Settings
from hub.supply import cli
from tests.support.supply import make_canteen, order_message


def test_alerts_trace_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path))
    c = make_canteen(Settings(demo_mode=True, data_dir=tmp_path))
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    BatchWriter(c.engine).write([order_message("k1", at, [("d-rice", 2, None)])])
    assert cli.main(["alerts", "--site", "site1"]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"kind": "low_stock", "code": "rice"}.items() <= next(
        a for a in alerts if a["code"] == "rice").items()
    assert cli.main(["trace", "--site", "site1", "--start", "2026-03-02",
                     "--end", "2026-03-02"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["dish_code"], r["ingredient_code"], r["lot_code"], r["qty"]) for r in rows] == [
        ("d-rice", "rice", "", "200.0")]
    day = date(2026, 3, 2)
    assert cli.main(["trace", "--site", "site1", "--start", str(day),
                     "--end", str(day - timedelta(days=1))]) == 2
    assert cli.main(["alerts", "--site", "nowhere"]) == 2
    assert "no site 'nowhere'" in capsys.readouterr().err
