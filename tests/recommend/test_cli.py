"""``canteen-hub recommend evaluate``: the exact output, any ids, and bad input refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.recommend.cli import main
from models.recommend.synth import generate

KEYS = ["model", "popularity", "personal", "item_knn"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate(5, members=150, days=28, dishes=60).write_csv(
        tmp_path_factory.mktemp("canteen"))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["evaluate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_one_json_object_with_the_four_methods(
        files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    orders, menus = files
    code, out, _ = _run(capsys, "--orders", str(orders), "--menus", str(menus))
    assert code == 0
    result = json.loads(out)
    assert list(result) == KEYS
    for scores in result.values():
        assert set(scores) == {"recall@10", "ndcg@10"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert result["model"]["ndcg@10"] > max(result[b]["ndcg@10"] for b in KEYS[1:])


def test_the_command_line_entry_point_and_k(files: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "recommend", "evaluate", "--orders", str(files[0]),
         "--k", "5"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert set(json.loads(done.stdout)["personal"]) == {"recall@5", "ndcg@5"}


def test_any_id_strings_and_the_split_by_hand(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Two members, five orders each: the last order of each is held out (20 %)."""
    rows = ["member_id,ordered_at,dish_id"]
    for member in ("张三", "x,y"):
        for day in range(1, 6):
            at = f"2026-03-0{day}T12:00:00"
            dish = "宫保鸡丁" if day < 5 else "麻婆豆腐"
            q = f'"{member}"' if "," in member else member
            rows += [f"{q},{at},{dish}", f"{q},{at},米饭"]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "--orders", str(path), "--k", "1")
    assert code == 0
    result = json.loads(out)
    # held out: {麻婆豆腐, 米饭}; the member's own favourite at k=1 is 宫保鸡丁 or 米饭
    assert 0.0 <= result["personal"]["recall@1"] <= 1.0


@pytest.mark.parametrize(("body", "line", "reason"), [
    ("", 1, "empty"),
    ("member,ordered_at,dish_id\nm1,2026-03-01T12:00:00,d1\n", 1, "header"),
    ("member_id,ordered_at,dish_id\nm1,2026-03-01T12:00:00,d1\nm1,yesterday,d2\n", 3,
     "ISO 8601"),
    ("member_id,ordered_at,dish_id\nm1,2026-03-01T12:00:00\n", 2, "3 columns"),
    ("member_id,ordered_at,dish_id\nm1,2026-03-01T12:00:00,\n", 2, "empty value"),
    ("member_id,ordered_at,dish_id\n", 2, "no orders"),
])
def test_bad_orders_are_refused_with_line_and_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, line: int,
        reason: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(body, encoding="utf-8")
    code, out, err = _run(capsys, "--orders", str(path))
    assert code == 3 and out == ""
    assert f"line {line}" in err and reason in err


def test_bad_menus_missing_files_and_k_are_refused(
        files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    menus = tmp_path / "menus.csv"
    menus.write_text("date,dish_id\n2026-03-01,d1\n03/02/2026,d2\n", encoding="utf-8")
    code, out, err = _run(capsys, "--orders", str(files[0]), "--menus", str(menus))
    assert code == 3 and out == "" and "line 3" in err and "YYYY-MM-DD" in err
    code, out, err = _run(capsys, "--orders", str(tmp_path / "missing.csv"))
    assert code == 3 and "cannot read" in err
    code, out, err = _run(capsys, "--orders", str(files[0]), "--k", "0")
    assert code == 3 and "--k" in err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("member_id,ordered_at,dish_id\nm,2026-03-01T12:00:00,caf\xe9\n"
                      .encode("latin-1"))
    code, out, err = _run(capsys, "--orders", str(latin))
    assert code == 3 and "cannot read" in err
