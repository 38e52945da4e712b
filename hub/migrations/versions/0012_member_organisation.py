"""members: the organisation a member belongs to (member cache per site)

Revision ID: 0012_member_organisation
Revises: 0011_wire_integer_widths
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

revision: str = "0012_member_organisation"
down_revision: str | None = "0011_wire_integer_widths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
