"""Read an uploaded member file (CSV or XLSX) into header-keyed rows with their row numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import load_workbook

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
# Headers in either language map to one field name.
HEADERS = {
    "member_no": "member_no",
    "会员号": "member_no",
    "name": "name",
    "姓名": "name",
    "phone": "phone",
    "手机": "phone",
    "手机号": "phone",
    "employer": "employer",
    "单位": "employer",
    "organisation": "organisation",
    "所属组织": "organisation",
    "department": "department",
    "部门": "department",
    "school_class": "school_class",
    "班级": "school_class",
    "birthday": "birthday",
    "生日": "birthday",
    "card_no": "card_no",
    "卡号": "card_no",
    "consent_data": "consent_data",
    "同意数据处理": "consent_data",
}
REQUIRED = ("member_no", "name")


class FileRefused(ValueError):
    """The file as a whole cannot be read (wrong type, no header, too big); bilingual."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns 13800138000 into a float
    return str(value).strip()


def _raw_rows(filename: str, content: bytes) -> Iterator[list[str]]:
    lower = filename.lower()
    if lower.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise FileRefused("CSV 文件不是 UTF-8 编码", "the CSV file is not UTF-8") from err
        yield from ([c.strip() for c in row] for row in csv.reader(io.StringIO(text)))
    elif lower.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises many types for a broken file
            raise FileRefused("无法读取 XLSX 文件", "the XLSX file cannot be read") from err
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
        book.close()
    else:
        raise FileRefused("只支持 .csv 和 .xlsx 文件", "only .csv and .xlsx files are accepted")


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number as the user sees it, field -> text) for every non-empty data row."""
    if len(content) > MAX_BYTES:
        raise FileRefused("文件太大（上限 20 MB）", "the file is too large (20 MB at most)")
    rows = _raw_rows(filename, content)
    header = next(rows, None)
    if not header:
        raise FileRefused("文件是空的", "the file is empty")
    fields = [HEADERS.get(h.strip().lower(), HEADERS.get(h.strip(), "")) for h in header]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise FileRefused(f"缺少列：{', '.join(missing)}", f"missing columns: {', '.join(missing)}")
    out: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        if len(out) >= MAX_ROWS:
            raise FileRefused("行数超过 100000", "more than 100,000 rows")
        out.append((number, {f: v for f, v in zip(fields, raw, strict=False) if f}))
    return out
