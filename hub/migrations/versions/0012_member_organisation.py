"""members: the organisation a member belongs to; downlinks: what each site's build left out

A site's member cache holds only the members of the site's organisation (issue 11: every
active member went to every site). Existing members get their organisation where it can be
told, so an upgrade does not empty the caches of sites that have one: the organisation whose
code or name is the member's employer (ignoring case and surrounding spaces, and only when
exactly one organisation matches), else the only organisation when the hub has just one.
Everyone else keeps none (the open canteens only) until staff assign one.

A catalog row the wire refuses is left out of its site's catalog and recorded in
sync_downlink_status for staff, with a downlink that could not be built at all (issue 11:
one bad meal period stopped every site's downlinks).

Revision ID: 0012_member_organisation
Revises: 0011_wire_integer_widths
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0012_member_organisation"
down_revision: str | None = "0011_wire_integer_widths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add a foreign key to an existing table; it copies it.
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_member_organisation_id_organisation"), "organisation",
            ["organisation_id"], ["id"],
        )
        batch.create_index(batch.f("ix_member_organisation_id"), ["organisation_id"],
                           unique=False)
    _backfill_member_organisations()
    op.create_table(
        "sync_downlink_status",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("since", hub.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"],
            name=op.f("fk_sync_downlink_status_site_id_site"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "kind", name=op.f("pk_sync_downlink_status")),
    )


def _backfill_member_organisations() -> None:
    conn = op.get_bind()
    orgs = conn.execute(sa.text("SELECT id, code, name_zh, name_en FROM organisation")).all()
    if not orgs:
        return
    by_name: dict[str, set[int]] = {}
    for org_id, *names in orgs:
        for name in names:
            by_name.setdefault(str(name).strip().lower(), set()).add(org_id)
    only = orgs[0][0] if len(orgs) == 1 else None
    updates = []
    for member_id, employer in conn.execute(sa.text("SELECT id, employer FROM member")):
        matches = by_name.get((employer or "").strip().lower(), set())
        org_id = next(iter(matches)) if len(matches) == 1 else only
        if org_id is not None:
            updates.append({"org": org_id, "member": member_id})
    if updates:
        conn.execute(sa.text("UPDATE member SET organisation_id = :org WHERE id = :member"),
                     updates)


def downgrade() -> None:
    op.drop_table("sync_downlink_status")
    with op.batch_alter_table("member") as batch:
        batch.drop_index(batch.f("ix_member_organisation_id"))
        batch.drop_constraint(batch.f("fk_member_organisation_id_organisation"),
                              type_="foreignkey")
        batch.drop_column("organisation_id")
