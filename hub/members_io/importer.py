"""Validate every row first, then write all members in one transaction, or nothing at all."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from hub.accounts.audit import record_audit
from hub.crypto import FieldCipher
from hub.db_types import utcnow
from hub.identity.cards import new_card
from hub.members_io.reading import FileRefused, read_rows
from hub.models.identity import ImportStatus, MemberCard, MemberImportJob
from hub.models.members import Member, MemberCreate
from hub.models.sites import Organisation
from protocol.tokens import normalise_card_number

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
_TRUE = {"1", "yes", "y", "true", "是", "同意"}
_FALSE = {"", "0", "no", "n", "false", "否", "不同意"}


@dataclass
class RowError:
    """One refused cell: row number as in the file, column, message in both languages."""

    row: int
    column: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape stored in the job and returned by the API."""
        return {"row": self.row, "column": self.column, "zh": self.zh, "en": self.en}


@dataclass
class Checked:
    """Rows that passed validation, ready to write, and every error found."""

    members: list[tuple[MemberCreate, str | None]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _validate_row(
    number: int, raw: dict[str, str], out: Checked, organisations: dict[str, int]
) -> None:
    data: dict[str, Any] = {k: v for k, v in raw.items()
                            if v != "" and k not in ("card_no", "organisation")}
    organisation = raw.get("organisation", "").strip()
    if organisation:
        if organisation not in organisations:
            out.errors.append(RowError(number, "organisation", "没有这个组织编码",
                                       "no organisation has this code"))
            return
        data["organisation_id"] = organisations[organisation]
    consent = raw.get("consent_data", "").strip().lower()
    if consent not in _TRUE | _FALSE:
        out.errors.append(RowError(number, "consent_data", "应为 是/否", "must be yes or no"))
        return
    data["consent_data"] = consent in _TRUE
    card = raw.get("card_no") or None
    if card:
        try:
            card = normalise_card_number(card)
        except ValueError:
            out.errors.append(
                RowError(
                    number,
                    "card_no",
                    "卡号须为 4-32 位字母或数字",
                    "card number must be 4-32 letters or digits",
                )
            )
            return
    try:
        member = MemberCreate.model_validate(data)
    except ValidationError as err:
        for problem in err.errors():
            column = str(problem["loc"][0]) if problem["loc"] else ""
            out.errors.append(
                RowError(
                    number,
                    column,
                    f"取值无效：{problem['msg']}",
                    f"invalid value: {problem['msg']}",
                )
            )
        return
    out.members.append((member, card))


def validate(
    session: Session,
    cipher: FieldCipher,
    rows: list[tuple[int, dict[str, str]]],
    progress: Progress,
) -> Checked:
    """Check every row, duplicates in the file, and clashes with existing members and cards."""
    out = Checked()
    numbers: list[int] = []
    organisations = {o.code: o.id for o in session.exec(select(Organisation)) if o.id}
    for i, (number, raw) in enumerate(rows):
        before = len(out.members)
        _validate_row(number, raw, out, organisations)
        if len(out.members) > before:
            numbers.append(number)
        if i % 500 == 0:
            progress(i, len(rows))
    seen: dict[str, dict[str, int]] = {"member_no": {}, "phone": {}, "card_no": {}}
    keys: dict[str, list[str]] = {"member_no": [], "phone": [], "card_no": []}
    for number, (member, card) in zip(numbers, out.members, strict=True):
        values = {
            "member_no": member.member_no,
            "phone": cipher.lookup_hash(member.phone) if member.phone else None,
            "card_no": cipher.lookup_hash(f"card:{card}") if card else None,
        }
        for column, value in values.items():
            if value is None:
                continue
            if value in seen[column]:
                out.errors.append(
                    RowError(
                        number,
                        column,
                        f"与第 {seen[column][value]} 行重复",
                        f"duplicates row {seen[column][value]}",
                    )
                )
            else:
                seen[column][value] = number
                keys[column].append(value)
    checks = (
        ("member_no", Member.member_no),
        ("phone", Member.phone_hash),
        ("card_no", MemberCard.card_hash),
    )
    for column, db_column in checks:
        taken: set[str] = set()
        wanted = keys[column]
        for start in range(0, len(wanted), 500):
            taken.update(
                str(v)
                for v in session.exec(
                    select(db_column).where(col(db_column).in_(wanted[start : start + 500]))
                ).all()
            )
        for value in taken:
            out.errors.append(RowError(seen[column][value], column, "已存在", "already exists"))
    out.errors.sort(key=lambda e: (e.row, e.column))
    return out


def write(
    session: Session,
    cipher: FieldCipher,
    checked: Checked,
    progress: Progress,
    actor: str,
    job_id: int,
) -> int:
    """Insert every member (and card) in the session; the caller commits once."""
    now = utcnow()
    total = len(checked.members)
    for i, (data, card) in enumerate(checked.members):
        member = Member.model_validate(
            data.model_dump(exclude={"phone", "consent_data", "consent_marketing", "consent_face"})
        )
        member.consent_data_at = now if data.consent_data else None
        if data.phone:
            member.phone_encrypted = cipher.encrypt(data.phone)
            member.phone_hash = cipher.lookup_hash(data.phone)
        session.add(member)
        if card:
            session.flush()
            assert member.id is not None
            session.add(new_card(cipher=cipher, member_id=member.id, card_no=card))
        if i % 500 == 0:
            progress(i, total)
    record_audit(
        session,
        actor=actor,
        action="member.import",
        entity="member_import_job",
        entity_id=job_id,
        after={"imported": total},
    )
    return total


class ProgressBoard:
    """Live progress of running imports in this process (the job row has the final state)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[int, tuple[str, int, int]] = {}

    def set(self, job_id: int, phase: str, done: int, total: int) -> None:
        """Record where a job is."""
        with self._lock:
            self._live[job_id] = (phase, done, total)

    def get(self, job_id: int) -> tuple[str, int, int] | None:
        """(phase, done, total) of a running job here, or None."""
        with self._lock:
            return self._live.get(job_id)

    def clear(self, job_id: int) -> None:
        """Forget a finished job."""
        with self._lock:
            self._live.pop(job_id, None)


BOARD = ProgressBoard()


def start_job(session: Session, *, filename: str, actor: str) -> MemberImportJob:
    """Record a new import job (status running)."""
    job = MemberImportJob(filename=filename[:200], created_by=actor)
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def run_import(
    engine: Engine,
    cipher: FieldCipher,
    *,
    job_id: int,
    filename: str,
    content: bytes,
    actor: str,
    progress: Progress | None = None,
) -> MemberImportJob:
    """Read, validate, and write all or nothing; the job row ends done, refused or failed."""

    def report(phase: str) -> Progress:
        def inner(done: int, total: int) -> None:
            BOARD.set(job_id, phase, done, total)
            if progress:
                progress(done, total)

        return inner

    errors: list[dict[str, Any]] = []
    imported, total, status = 0, 0, ImportStatus.FAILED
    try:
        with Session(engine) as session:
            rows = read_rows(filename, content)
            total = len(rows)
            checked = validate(session, cipher, rows, report("validate"))
            if checked.errors:
                errors = [e.as_dict() for e in checked.errors]
                status = ImportStatus.REFUSED
            else:
                imported = write(session, cipher, checked, report("write"), actor, job_id)
                session.commit()
                status = ImportStatus.DONE
    except FileRefused as err:
        errors = [{"row": 0, "column": "", "zh": err.zh, "en": err.en}]
        status = ImportStatus.REFUSED
    except Exception:  # the job must end in a final state whatever broke
        log.exception("member import %s failed", job_id)
        errors = [
            {
                "row": 0,
                "column": "",
                "zh": "导入失败，未写入任何数据",
                "en": "import failed, nothing was written",
            }
        ]
    finally:
        BOARD.clear(job_id)
    with Session(engine) as session:
        job = session.get(MemberImportJob, job_id)
        assert job is not None
        job.status, job.total_rows, job.imported = status.value, total, imported
        job.errors, job.finished_at = errors, utcnow()
        session.add(job)
        session.commit()
        session.refresh(job)
        return job
