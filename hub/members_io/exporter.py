"""Export members to CSV/XLSX in the import format, so an export can be imported again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import Session, col, select

from hub.crypto import FieldCipher
from hub.models.identity import CardStatus, MemberCard
from hub.models.members import Member
from hub.models.sites import Organisation

COLUMNS = (
    "member_no",
    "name",
    "phone",
    "employer",
    "department",
    "school_class",
    "birthday",
    "card_no",
    "consent_data",
    "organisation",  # the organisation's code (its canteens' kiosks cache the member)
)


def _rows(session: Session, cipher: FieldCipher) -> Iterator[list[str]]:
    cards: dict[int, str] = {}
    for card in session.exec(
        select(MemberCard)
        .where(MemberCard.status == CardStatus.ACTIVE.value)
        .order_by(col(MemberCard.id))
    ):
        # The import format has one card column: export the first active card.
        cards.setdefault(card.member_id, cipher.decrypt(card.card_encrypted))
    orgs = {o.id: o.code for o in session.exec(select(Organisation))}
    for m in session.exec(
        select(Member).where(col(Member.active).is_(True)).order_by(Member.member_no)
    ):
        yield [
            m.member_no,
            m.name,
            cipher.decrypt(m.phone_encrypted) if m.phone_encrypted else "",
            m.employer or "",
            m.department or "",
            m.school_class or "",
            m.birthday.isoformat() if m.birthday else "",
            cards.get(m.id or 0, ""),
            "yes" if m.consent_data_at else "no",
            orgs.get(m.organisation_id, "") if m.organisation_id else "",
        ]


def export_csv(session: Session, cipher: FieldCipher) -> bytes:
    """Active members as UTF-8 CSV with a BOM (Excel opens Chinese names correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(_rows(session, cipher))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(session: Session, cipher: FieldCipher) -> bytes:
    """Active members as an XLSX workbook (all cells text, so phone numbers keep their digits)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("members")
    sheet.append(list(COLUMNS))
    for row in _rows(session, cipher):
        # A control character (from an old import) is not allowed in a worksheet: U+FFFD.
        sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in row]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
