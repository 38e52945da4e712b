"""The monthly reports job: every file of a month written to a folder, through the CLI."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session

from hub.cli import main
from hub.models.analytics import MonthClosure
from hub.settings import Settings
from tests.analytics.conftest import EXPECTED_SUBSIDY, Seeded

FILES = ["close-2025-03.xlsx", "income-2025-03.xlsx", "liability-2025-03-31.xlsx",
         "refunds-2025-03.csv", "subsidy-2025-03.pdf", "subsidy-2025-03.xlsx"]


def _run(hub_settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("CANTEEN_DATABASE_URL", hub_settings.effective_database_url)
    if hub_settings.db_schema:
        monkeypatch.setenv("CANTEEN_DB_SCHEMA", hub_settings.db_schema)
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    return main(["jobs", "monthly-reports", *args])


def test_the_job_files_last_months_reports(seeded: Seeded, hub_settings: Settings,
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    # Run on 1 April (Shanghai): the month before is March.
    assert _run(hub_settings, monkeypatch, "--at", "2025-04-01T02:00:00+08:00",
                "--out", str(out)) == 0
    assert "monthly-reports 2025-03: 6 files" in capsys.readouterr().out
    with Session(seeded.engine) as session:  # balanced, so the job closed it to bill it
        closure = session.get(MonthClosure, "2025-03")
        assert closure is not None and closure.closed_by == "job:monthly-reports"
    assert sorted(p.name for p in (out / "2025-03").iterdir()) == FILES
    book = openpyxl.load_workbook(out / "2025-03" / "subsidy-2025-03.xlsx")
    sheet = list(book.active.iter_rows(values_only=True))
    assert {(r[0], r[1]): round(float(r[6]) * 100) for r in sheet[2:-1]} == EXPECTED_SUBSIDY
    income = list(openpyxl.load_workbook(out / "2025-03" / "income-2025-03.xlsx")
                  .active.iter_rows(values_only=True))
    assert income[-1][-3:] == (100.0, 0.0, 100.0)  # total, refunded, net
    text = subprocess.run(["pdftotext", str(out / "2025-03" / "subsidy-2025-03.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "55.00" in text
    rows = list(csv.reader(io.StringIO(
        (out / "2025-03" / "refunds-2025-03.csv").read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 2  # header and the (zero) totals row: nothing was refunded
    # A second run (a retry, a missed timer made up) rewrites the same month, nothing else.
    assert _run(hub_settings, monkeypatch, "--month", "2025-03", "--out", str(out)) == 0
    assert sorted(p.name for p in (out / "2025-03").iterdir()) == FILES


def test_a_month_not_ended_is_refused_and_nothing_written(
    seeded: Seeded, hub_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert _run(hub_settings, monkeypatch, "--at", "2025-03-20T12:00:00+08:00", "--month",
                "2025-03", "--out", str(out)) == 3
    assert "has not ended" in capsys.readouterr().err
    assert not out.exists()
    assert _run(hub_settings, monkeypatch, "--month", "2025-13", "--out", str(out)) == 3
    assert not out.exists()
