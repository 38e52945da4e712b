"""Segments: saved member queries (tags AND/OR/NOT metric conditions), counted live.

A segment is evaluated as one set-based statement (hub.crm.query), the same on SQLite
and PostgreSQL. Campaigns call ``segment_member_ids``; exports leave out members without
marketing consent and say how many were left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from hub.crm import definitions as d
from hub.crm import query as q
from hub.db_types import utcnow
from hub.models.accounts import MemberAccount
from hub.models.crm import Segment

ACC = MemberAccount.__table__  # type: ignore[attr-defined]
EXPORT_COLUMNS = ("member_no", "name", "employer", "department", "school_class", "tier")
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class SegmentError(ValueError):
    """A segment refused: ``problems`` lists (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))


class SegmentNotFound(LookupError):
    """No segment with that id."""


def check_definition(definition: Any) -> Any:
    """Parse a segment definition, or raise SegmentError naming the field (``definition.*``)."""
    try:
        return d.parse(definition, for_rule=False)
    except d.DefinitionError as err:
        raise SegmentError([(f"definition.{loc}" if loc else "definition", why)
                            for loc, why in err.problems]) from err


def get_segment(session: Session, segment_id: int) -> Segment:
    """The segment, or SegmentNotFound."""
    seg = session.get(Segment, segment_id)
    if seg is None:
        raise SegmentNotFound(segment_id)
    return seg


def list_segments(session: Session) -> Sequence[Segment]:
    """Every saved segment, by name."""
    return session.exec(select(Segment).order_by(Segment.name)).all()


def save_segment(session: Session, *, name: str, definition: Any, actor: str,
                 segment_id: int | None = None) -> Segment:
    """Create (or replace the definition of) a segment after validating it; no commit."""
    problems: list[tuple[str, str]] = []
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        problems.append(("name", "1-120 characters"))
    node = None
    try:
        node = check_definition(definition)
    except SegmentError as err:
        problems.extend(err.problems)
    if name and not problems:
        clash = session.exec(select(Segment.id).where(Segment.name == name)).first()
        if clash is not None and clash != segment_id:
            problems.append(("name", "a segment with this name exists"))
    if problems:
        raise SegmentError(problems)
    canonical = d.dump(node)
    if segment_id is None:
        seg = Segment(name=name, definition=canonical, created_by=actor[:64])
    else:
        seg = get_segment(session, segment_id)
        seg.name, seg.definition, seg.updated_at = name, canonical, utcnow()
    session.add(seg)
    session.flush()
    return seg


def _ids_query(session: Session, definition: Any, at: datetime | None) -> Any:
    node = check_definition(definition)
    ctx = q.make_context(session.connection(), at or utcnow())
    return q.matching(ctx, node)


def definition_member_ids(session: Session, definition: Any, *,
                          at: datetime | None = None) -> list[int]:
    """Ids of the active members a (validated) definition matches at ``at``."""
    return list(session.connection().execute(
        _ids_query(session, definition, at).order_by(q.M.c.id)).scalars())


def count_definition(session: Session, definition: Any, *, at: datetime | None = None) -> int:
    """How many active members a definition matches (the builder's live count)."""
    ids = _ids_query(session, definition, at).subquery()
    return int(session.connection().execute(
        sa.select(sa.func.count()).select_from(ids)).scalar_one())


def segment_member_ids(session: Session, segment_id: int, *,
                       at: datetime | None = None) -> list[int]:
    """Ids of the active members in a saved segment now (or at ``at``), ascending."""
    seg = get_segment(session, segment_id)
    return definition_member_ids(session, seg.definition, at=at)


@dataclass(frozen=True)
class Export:
    """Rows for an export and how many members were left out for lack of consent."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    without_consent: int


def export_rows(session: Session, segment_id: int, *, at: datetime | None = None) -> Export:
    """The segment's members who gave marketing consent, for a CSV/XLSX file."""
    ids = _ids_query(session, get_segment(session, segment_id).definition, at).subquery()
    conn = session.connection()
    consent = q.M.c.consent_marketing_at.is_not(None)
    rows = conn.execute(
        sa.select(q.M.c.member_no, q.M.c.name, q.M.c.employer, q.M.c.department,
                  q.M.c.school_class, ACC.c.tier_code)
        .select_from(q.M.outerjoin(ACC, ACC.c.member_id == q.M.c.id))
        .where(q.M.c.id.in_(sa.select(ids.c.id)), consent).order_by(q.M.c.member_no)
    ).all()
    left_out = conn.execute(sa.select(sa.func.count()).select_from(q.M).where(
        q.M.c.id.in_(sa.select(ids.c.id)), sa.not_(consent))).scalar_one()
    return Export(EXPORT_COLUMNS, [tuple(r) for r in rows], int(left_out))


def audited_export(session: Session, segment_id: int, *, actor: str,
                   file_format: str) -> tuple[Export, bytes]:
    """The segment's export as ``csv`` or ``xlsx`` bytes, with its ``crm.segment.export``
    audit record (how many went out, how many were left out) committed."""
    from hub.accounts.audit import record_audit

    export = export_rows(session, segment_id)
    record_audit(session, actor=actor, action="crm.segment.export", entity="crm_segment",
                 entity_id=segment_id,
                 note=f"{len(export.rows)} members exported, {export.without_consent} "
                      "left out without marketing consent")
    session.commit()
    return export, export_xlsx(export) if file_format == "xlsx" else export_csv(export)


def export_headers(segment_id: int, file_format: str, export: Export) -> dict[str, str]:
    """The download's headers: its file name and how many were left out for consent."""
    return {"Content-Disposition": f'attachment; filename="segment-{segment_id}.{file_format}"',
            "X-Left-Out-Without-Consent": str(export.without_consent)}


def export_csv(export: Export) -> bytes:
    """The export as UTF-8 CSV with a BOM (spreadsheets then read the Chinese names)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(export.columns)
    for row in export.rows:
        writer.writerow(["" if v is None else _safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(export: Export) -> bytes:
    """The export as an XLSX workbook (openpyxl)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("members")
    ws.append(list(export.columns))
    for row in export.rows:
        ws.append(["" if v is None else _safe_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
