"""`canteen-hub forecast evaluate` on small CSVs: scores, bad rows, unseen ids, the goal."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from hub.supply import forecast_cli
from hub.supply.forecast_model import ForecastParams, Panel, forecast
from hub.supply.holidays import HolidayCalendar, load_calendar
from hub.supply.synthetic import canteen_demand


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | None, str]:
    code = forecast_cli.main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("series_id,date,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_goal_model_beats_seasonal_naive_by_15_percent(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    canteen = canteen_demand(dishes=10, sites=2, periods=2, days=140, end=date(2026, 10, 20))
    csv = tmp_path / "canteen.csv"
    canteen.write_csv(csv)
    code, result, _ = _run(capsys, "evaluate", "--series", str(csv), "--horizon", "14")
    assert code == 0 and result is not None
    assert set(result) == {"model", "seasonal_naive"}
    assert result["model"]["wape"] <= 0.85 * result["seasonal_naive"]["wape"]
    assert result["model"]["mase"] < result["seasonal_naive"]["mase"]


def test_bad_rows_refused_with_line_and_reason_rest_evaluated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = date(2026, 3, 2)
    rows = [f"unseen-a,{start + timedelta(days=i)},{10 + i % 7}" for i in range(30)]
    rows += [f"其他 series,{start + timedelta(days=i)},{0 if i % 7 > 4 else 5}" for i in range(30)]
    rows += ["unseen-a,2026-13-01,3", "unseen-a,2026-03-05,abc", ",2026-03-05,1",
             "unseen-a,2026-03-02,4", "unseen-a,2026-03-09", "unseen-a,2026-03-09,nan"]
    csv = _write(tmp_path / "bad.csv", rows)
    code, result, err = _run(capsys, "evaluate", "--series", str(csv), "--horizon", "7")
    assert code == 0 and result is not None
    assert "line 62: date" in err and "line 63: value" in err and "line 64: series_id" in err
    assert "line 65: date: a second value" in err and "line 66: expected 3 fields" in err
    assert "line 67: value" in err
    assert result["model"]["wape"] is not None


def test_short_series_zeros_and_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = date(2026, 4, 6)
    rows = [f"gappy,{start + timedelta(days=i)},{8 + i % 7}" for i in range(40) if i % 5 != 3]
    rows += [f"zeros,{start + timedelta(days=i)},0" for i in range(20)]
    rows += [f"short,{start + timedelta(days=i)},3" for i in range(4)]
    rows += [f"tiny,{start},1"]
    csv = _write(tmp_path / "odd.csv", rows)
    code, result, err = _run(capsys, "evaluate", "--series", str(csv), "--horizon", "3")
    assert code == 0 and result is not None
    assert "skipped series 'tiny'" in err
    assert result["model"]["wape"] >= 0 and result["seasonal_naive"]["wape"] >= 0


def test_arguments_and_empty_file_refused(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    csv = _write(tmp_path / "one.csv", ["a,2026-01-01,1"])
    assert _run(capsys, "evaluate", "--series", str(csv), "--horizon", "0")[0] == 2
    code, result, err = _run(capsys, "evaluate", "--series", str(csv), "--horizon", "3")
    assert code == 2 and result is None and "no series" in err
    assert _run(capsys, "evaluate", "--series", str(tmp_path / "missing.csv"),
                "--horizon", "3")[0] == 2


def test_holiday_data_shifts_the_forecast(tmp_path: Path) -> None:
    """The same history forecast with and without a made-up holiday on a target day: the
    calendar file alone moves that day's forecast down."""
    canteen = canteen_demand(dishes=6, sites=1, periods=1, days=140, end=date(2026, 10, 20))
    n, width = canteen.values.shape
    last = np.full(n, width - 8)
    rows = np.repeat(np.arange(n), 7)
    cols = np.tile(np.arange(width - 7, width), n)
    panel = Panel(canteen.values, last, canteen.days)
    params = ForecastParams(select=False, n_estimators=80)
    real = load_calendar()
    target = canteen.days[width - 5]  # a Friday in the target week
    extra = tmp_path / "holidays.csv"
    lines = ["date,kind,name"] + [f"{d},holiday,x" for d in sorted(real.holidays)]
    lines += [f"{d},workday,x" for d in sorted(real.workdays)] + [f"{target},holiday,made up"]
    extra.write_text("\n".join(lines) + "\n", encoding="utf-8")
    moved: HolidayCalendar = load_calendar(extra)
    base = forecast(panel, rows, cols, params=params, calendar=real).model
    shifted = forecast(panel, rows, cols, params=params, calendar=moved).model
    day_sel = cols == width - 5
    assert shifted[day_sel].sum() < 0.5 * base[day_sel].sum()
    assert np.allclose(shifted[cols == width - 1], base[cols == width - 1], rtol=0.5)


def test_bad_holiday_file_refused_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "h.csv"
    bad.write_text("date,kind\n2026-01-01,holiday\n2026-01-02,vacation\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: kind"):
        load_calendar(bad)


def test_nightly_job_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlmodel import Session

    from tests.support.hub_db import migrated_engine
    from tests.support.supply_demand import load_demand

    engine = migrated_engine(tmp_path)
    with Session(engine) as session:
        load_demand(session, dishes=2, periods=1, days=42, end=date(2026, 10, 20))
    engine.dispose()
    monkeypatch.setenv("CANTEEN_DEMO_MODE", "true")
    monkeypatch.setenv("CANTEEN_DATA_DIR", str(tmp_path))
    assert forecast_cli.main(["run", "--days", "15"]) == 2
    assert "--days" in capsys.readouterr().err
    assert forecast_cli.main(["run", "--start", "2026-10-21", "--days", "2"]) == 0
    assert "site 1: 2 series, 2026-10-21 + 2 days" in capsys.readouterr().out
