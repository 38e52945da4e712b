"""`canteen-hub members import FILE [--dry-run]` and `members export FILE`, with a progress bar."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.crypto import FieldCipher
from hub.members_io import exporter
from hub.members_io.importer import BOARD, run_import, start_job, validate
from hub.members_io.reading import FileRefused, read_rows
from hub.models.identity import ImportStatus

EXIT_REFUSED = 1
PHASES = {"validate": "校验 validate", "write": "写入 write"}


class ProgressBar:
    """One updating line on a terminal; a line every few seconds (or phase) otherwise."""

    def __init__(self, stream: TextIO, *, width: int = 30, every_s: float = 2.0) -> None:
        self.stream, self.width, self.every_s = stream, width, every_s
        self.tty = stream.isatty()
        self._last: tuple[str, float] = ("", 0.0)

    def update(self, phase: str, done: int, total: int) -> None:
        """Show where the job is (done of total rows in a phase)."""
        pct = 100 * done // total if total else 100
        label = PHASES.get(phase, phase)
        if self.tty:
            filled = self.width * pct // 100
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{label} [{bar}] {pct:3d}% {done}/{total}")
            self.stream.flush()
            return
        now = time.monotonic()
        if phase != self._last[0] or now - self._last[1] >= self.every_s or done == total:
            self.stream.write(f"{label}: {done}/{total} ({pct}%)\n")
            self.stream.flush()
            self._last = (phase, now)

    def finish(self) -> None:
        """End the updating line."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def print_report(errors: list[dict[str, object]], stream: TextIO) -> None:
    """The row-level report, each problem in Chinese and English."""
    stream.write(f"导入被拒绝，未写入任何数据 / import refused, nothing was written "
                 f"({len(errors)} 个问题 problems)\n")
    for e in errors:
        where = f"第 {e['row']} 行 row {e['row']}" if e["row"] else "文件 file"
        column = f", {e['column']}" if e["column"] else ""
        stream.write(f"  {where}{column}: {e['zh']} / {e['en']}\n")


def import_members(
    engine: Engine, cipher: FieldCipher, path: Path, *, dry_run: bool, actor: str,
    out: TextIO = sys.stdout, err: TextIO = sys.stderr,
) -> int:
    """Import (or with dry_run only check) a member file; 0 when every row is good."""
    try:
        content = path.read_bytes()
    except OSError as error:
        err.write(f"无法读取文件 / cannot read the file: {error}\n")
        return EXIT_REFUSED
    bar = ProgressBar(err)
    if dry_run:
        try:
            rows = read_rows(path.name, content)
        except FileRefused as refused:
            print_report([{"row": 0, "column": "", "zh": refused.zh, "en": refused.en}], err)
            return EXIT_REFUSED
        with Session(engine) as session:
            checked = validate(session, cipher, rows,
                               lambda d, t: bar.update("validate", d, t))
        bar.update("validate", len(rows), len(rows))
        bar.finish()
        if checked.errors:
            print_report([e.as_dict() for e in checked.errors], err)
            return EXIT_REFUSED
        out.write(f"试运行：{len(rows)} 行全部有效，未写入 / dry run: all {len(rows)} rows valid, "
                  "nothing written\n")
        return 0
    with Session(engine) as session:
        job = start_job(session, filename=path.name, actor=actor)
    assert job.id is not None
    job_id = job.id

    def progress(done: int, total: int) -> None:
        phase = (BOARD.get(job_id) or ("validate", done, total))[0]
        bar.update(phase, done, total)

    job = run_import(engine, cipher, job_id=job_id, filename=path.name, content=content,
                     actor=actor, progress=progress)
    if job.status == ImportStatus.DONE.value:
        bar.update("write", job.imported, job.imported)
    bar.finish()
    if job.status != ImportStatus.DONE.value:
        print_report(list(job.errors or []), err)
        return EXIT_REFUSED
    out.write(f"已导入 {job.imported} 名会员 / imported {job.imported} members (job {job_id})\n")
    return 0


def export_members(engine: Engine, cipher: FieldCipher, path: Path, *,
                   out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Write active members to FILE (.csv or .xlsx, the import format)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        err.write("只支持 .csv 和 .xlsx 文件 / only .csv and .xlsx files are accepted\n")
        return EXIT_REFUSED
    with Session(engine) as session:
        data = (exporter.export_csv if suffix == ".csv" else exporter.export_xlsx)(session, cipher)
    path.write_bytes(data)
    out.write(f"已导出到 exported to {path}\n")
    return 0
