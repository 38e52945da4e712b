"""`canteen-hub members import/export` through the real console script, CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from openpyxl import Workbook, load_workbook

HUB = str(Path(sys.executable).parent / "canteen-hub")
GOOD = (
    "会员号,姓名,手机号,单位,生日,卡号,同意数据处理\n"
    "C0001,张小明,13800138000,Acme,1990-03-05,1234-5678,是\n"
    "C0002,李雷,13900139000,Acme,,,否\n"
)
BAD = (
    "member_no,name,birthday,consent_data\n"
    "C0003,王五,1990-13-01,yes\n"
    "C0004,赵六,,maybe\n"
    "C0005,钱七,,yes\n"
    "C0005,孙八,,yes\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A hub configured on an SQLite file in tmp_path, migrated by the CLI itself."""
    values = {
        **os.environ,
        "CANTEEN_DATA_DIR": str(tmp_path / "var"),
        "CANTEEN_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "CANTEEN_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "CANTEEN_LOOKUP_HASH_KEY": "test-lookup-hash-key-0123456789abcdef012345",
    }
    done = subprocess.run([HUB, "migrate"], env=values, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return values


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run canteen-hub with these arguments."""
    return subprocess.run([HUB, *args], env=env, capture_output=True, text=True, timeout=120)


def members(env: dict[str, str]) -> list[tuple[str, str]]:
    """Member numbers and names as stored, read straight from the SQLite file."""
    with sqlite3.connect(Path(env["CANTEEN_DATA_DIR"]) / "hub.db") as db:
        return db.execute("SELECT member_no, name FROM member ORDER BY member_no").fetchall()


def test_csv_import_dry_run_refusal_and_export_round_trip(tmp_path: Path,
                                                          env: dict[str, str]) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    dry = hub(env, "members", "import", str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: all 2 rows valid, nothing written" in dry.stdout
    assert members(env) == []
    refused = hub(env, "members", "import", str(bad))
    assert refused.returncode == 1
    report = refused.stderr
    assert "导入被拒绝，未写入任何数据 / import refused, nothing was written" in report
    assert "第 3 行 row 3, consent_data: 应为 是/否 / must be yes or no" in report
    assert "第 5 行 row 5, member_no: 与第 4 行重复 / duplicates row 4" in report
    assert "第 2 行 row 2, birthday: 取值无效" in report
    assert members(env) == []  # nothing half-written
    ok = hub(env, "members", "import", str(good))
    assert ok.returncode == 0, ok.stderr
    assert "imported 2 members" in ok.stdout
    assert "校验 validate: 0/2 (0%)" in ok.stderr and "写入 write: 2/2 (100%)" in ok.stderr
    assert members(env) == [("C0001", "张小明"), ("C0002", "李雷")]
    # The same file again clashes with what is stored: refused, still two members.
    again = hub(env, "members", "import", str(good))
    assert again.returncode == 1 and "已存在 / already exists" in again.stderr
    assert len(members(env)) == 2
    out = tmp_path / "out.csv"
    exported = hub(env, "members", "export", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1] == ["C0001", "张小明", "13800138000", "Acme", "", "", "1990-03-05",
                       "12345678", "yes", ""]
    assert hub(env, "members", "export", str(tmp_path / "out.txt")).returncode == 1


def test_xlsx_import_and_export(tmp_path: Path, env: dict[str, str]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["member_no", "name", "phone", "employer", "consent_data"])
    for i in range(1, 1201):  # enough rows for several progress reports
        sheet.append([f"X{i:04d}", f"Diner {i}", 13000000000 + i, "Beta", "yes"])
    path = tmp_path / "members.xlsx"
    book.save(path)
    ok = hub(env, "members", "import", str(path))
    assert ok.returncode == 0, ok.stderr
    assert "imported 1200 members" in ok.stdout
    assert len(members(env)) == 1200
    out = tmp_path / "out.xlsx"
    assert hub(env, "members", "export", str(out)).returncode == 0
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1201 and rows[1][:3] == ("X0001", "Diner 1", "13000000001")


def test_broken_file_exits_non_zero_and_bar_updates_one_line_on_a_tty(
    tmp_path: Path, env: dict[str, str]
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    done = hub(env, "members", "import", str(broken))
    assert done.returncode == 1
    assert "文件 file: 无法读取 XLSX 文件 / the XLSX file cannot be read" in done.stderr
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    leader, follower = pty.openpty()
    proc = subprocess.run([HUB, "members", "import", str(good)], env=env, stderr=follower,
                          stdout=subprocess.PIPE, timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    text = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "\r写入 write [##############################] 100% 2/2" in text
    assert "校验 validate: 0/2" not in text  # no periodic lines on a terminal
