"""`canteen-hub crm score` offline: every member scored from a CSV with any ids, rows after
--as-of ignored, one-visit members scored sensibly, bad files refused with the line and
reason and nothing written; the hub scores its members with the same code."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub.crm import cli, scores

AS_OF = date(2025, 6, 30)


def _history(tmp_path: Path) -> Path:
    """120 regulars with weekday habits (some stopped), plus the members under test."""
    lines = ["member_id,date,amount"]
    for i in range(120):
        stop = 200 if i % 3 else 60 + i  # a third stopped coming at some point
        for day in range(0, 180):
            when = AS_OF - timedelta(days=180 - day)
            if day < stop and (day * (i % 7 + 1)) % 5 == 0 and when.weekday() < 5:
                lines.append(f"emp-{i:03d},{when.isoformat()},{12 + i % 9}.50")
    lines += [
        "张三,2025-06-29,18.00",  # one visit, yesterday
        "old-timer,2025-01-10,18.00",  # one visit, long ago
        "  spaced id ,2025-06-01T12:30:00+08:00,9",  # ISO time: the date part counts
        "future-only,2025-07-05,30.00",  # after --as-of: not scored at all
        "emp-000,2025-07-02,99.00",  # after --as-of: ignored
        "",
    ]
    path = tmp_path / "tx.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", "crm", "score", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("score")
    out = tmp / "scores.csv"
    done = _run("--transactions", str(_history(tmp)), "--as-of", AS_OF.isoformat(),
                "--horizon-days", "30", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "mbgnbd" in done.stderr  # enough history: the model, not the fallback
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == list(cli.OUT_COLUMNS)
    return {r["member_id"]: r for r in rows}


def test_every_member_scored_with_any_ids(scored: dict[str, dict[str, str]]) -> None:
    assert len(scored) == 123 and "future-only" not in scored
    assert {"张三", "old-timer", "spaced id"} <= set(scored)
    for row in scored.values():
        assert 1 <= int(row["r"]) <= 5 and 1 <= int(row["f"]) <= 5 and 1 <= int(row["m"]) <= 5
        assert 0.0 <= float(row["churn_probability"]) <= 1.0
    assert scored["spaced id"]["recency_days"] == "29"
    emp = scored["emp-000"]  # the 2025-07-02 row is after --as-of: not in monetary
    assert float(emp["monetary"]) < 99 * int(emp["frequency"])


def test_one_visit_members_are_scored_sensibly(scored: dict[str, dict[str, str]]) -> None:
    # "probability alive" alone would call both surely alive; the churn score must not.
    recent, old = scored["张三"], scored["old-timer"]
    assert recent["frequency"] == old["frequency"] == "1"
    assert float(old["churn_probability"]) > 0.9
    assert float(recent["churn_probability"]) < float(old["churn_probability"])
    regulars = [float(r["churn_probability"]) for k, r in scored.items()
                if k.startswith("emp-") and int(r["recency_days"]) <= 3]
    assert max(regulars) < float(old["churn_probability"])


def test_stdout_when_no_out(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("member_id,amount,date,extra\na,5,2025-06-01,x\nb,7.5,2025-06-20,y\n"
                    "a,6,2025-06-10,z\n", encoding="utf-8")
    done = _run("--transactions", str(path), "--as-of", "2025-06-30")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["member_id"], r["recency_days"], r["frequency"], r["monetary"]) for r in rows] == [
        ("a", "20", "2", "11.00"), ("b", "10", "1", "7.50")]
    assert "rfm" in done.stderr  # two members: too short a history for the model


@pytest.mark.parametrize(("content", "where", "reason"), [
    ("member_id,date\na,2025-01-01\n", ":1:", "header lacks amount"),
    ("member_id,date,amount\na,2025-01-01,5\nb,2025-02-30,5\n", ":3:", "is not YYYY-MM-DD"),
    ("member_id,date,amount\na,2025-01-01,five\n", ":2:", "is not a number"),
    ("member_id,date,amount\na,2025-01-01,nan\n", ":2:", "not a finite number"),
    ("member_id,date,amount\n,2025-01-01,5\n", ":2:", "empty member_id"),
    ("member_id,date,amount\na,2025-01-01\n", ":2:", "fields"),
    ("", ":1:", "empty file"),
])
def test_bad_file_refused_with_line_and_nothing_written(tmp_path: Path, content: str,
                                                        where: str, reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    code = cli.main(["score", "--transactions", str(path), "--as-of", "2025-06-30",
                     "--out", str(out)])
    assert code == 2
    assert out.read_text(encoding="utf-8") == "previous\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]
    with pytest.raises(cli.BadFile, match=reason) as info:
        cli.score_file(path, date(2025, 6, 30), 30)
    assert where in str(info.value)


def test_bad_arguments_and_unreadable_files(tmp_path: Path) -> None:
    binary = tmp_path / "latin1.csv"
    binary.write_bytes(b"member_id,date,amount\n\xff\xfe,2025-01-01,1\n")
    assert cli.main(["score", "--transactions", str(binary), "--as-of", "2025-06-30"]) == 2
    assert cli.main(["score", "--transactions", str(tmp_path / "missing.csv"),
                     "--as-of", "2025-06-30"]) == 2
    for args in (["--as-of", "2025-13-01"], ["--as-of", "2025-06-30", "--horizon-days", "0"]):
        with pytest.raises(SystemExit) as info:
            cli.main(["score", "--transactions", str(binary), *args])
        assert info.value.code == 2


def test_quintiles_share_ties_and_spread() -> None:
    import numpy as np

    assert list(scores.quintiles(np.array([1, 1, 1, 1]))) == [3, 3, 3, 3]
    assert list(scores.quintiles(np.arange(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
