"""ingest: column types wide enough for every numeric wire field

Revision ID: 0011_wire_integer_widths
Revises: 0010_catalog_names
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

revision: str = "0011_wire_integer_widths"
down_revision: str | None = "0010_catalog_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
