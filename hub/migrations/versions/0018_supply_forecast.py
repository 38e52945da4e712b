"""Supply: demand forecasts (runs and rows) and meal pre-booking (rules and bookings)

Revision ID: 0018_supply_forecast
Revises: 0017_fleet_health
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db_types

revision: str = "0018_supply_forecast"
down_revision: str | None = "0017_fleet_health"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _utc() -> hub.db_types.UTCDateTime:
    return hub.db_types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "supply_forecast_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("origin", sa.Date(), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("chosen", _str(32), nullable=False),
        sa.Column("validation_wape", sa.Float(), nullable=True),
        sa.Column("validation_wape_naive", sa.Float(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_supply_forecast_run_site_id_site"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_forecast_run")),
    )
    op.create_index(op.f("ix_supply_forecast_run_site_id"), "supply_forecast_run", ["site_id"])
    op.create_table(
        "supply_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("dish_id", sa.Integer(), nullable=False),
        sa.Column("meal_period_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("portions", sa.Float(), nullable=False),
        sa.Column("seasonal_naive", sa.Float(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["supply_forecast_run.id"],
                                name=op.f("fk_supply_forecast_run_id_supply_forecast_run"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_supply_forecast_site_id_site"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dish_id"], ["dish.id"],
                                name=op.f("fk_supply_forecast_dish_id_dish"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meal_period_id"], ["meal_period.id"],
                                name=op.f("fk_supply_forecast_meal_period_id_meal_period"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_forecast")),
        sa.UniqueConstraint("run_id", "dish_id", "meal_period_id", "day",
                            name="uq_supply_forecast_run_dish_period_day"),
    )
    op.create_index(op.f("ix_supply_forecast_run_id"), "supply_forecast", ["run_id"])
    op.create_index("ix_supply_forecast_site_day", "supply_forecast", ["site_id", "day"])
    op.create_table(
        "supply_booking_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("meal_period_id", sa.Integer(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.Time(), nullable=False),
        sa.Column("max_days_ahead", sa.Integer(), nullable=False),
        sa.Column("meal_price_cents", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_supply_booking_rule_site_id_site"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meal_period_id"], ["meal_period.id"],
                                name=op.f("fk_supply_booking_rule_meal_period_id_meal_period"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_booking_rule")),
        sa.UniqueConstraint("meal_period_id", name="uq_supply_booking_rule_period"),
    )
    op.create_index(op.f("ix_supply_booking_rule_site_id"), "supply_booking_rule", ["site_id"])
    op.create_table(
        "supply_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", _str(36), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("meal_period_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", _str(16), nullable=False),
        sa.Column("dish_id", sa.Integer(), nullable=True),
        sa.Column("set_meal_id", sa.Integer(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("status", _str(16), nullable=False),
        sa.Column("request_id", _str(64), nullable=True),
        sa.Column("charged_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("cancelled_at", _utc(), nullable=True),
        sa.Column("picked_up_at", _utc(), nullable=True),
        sa.Column("no_show_at", _utc(), nullable=True),
        sa.Column("actor", _str(64), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"],
                                name=op.f("fk_supply_booking_member_id_member"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"],
                                name=op.f("fk_supply_booking_site_id_site"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meal_period_id"], ["meal_period.id"],
                                name=op.f("fk_supply_booking_meal_period_id_meal_period"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dish_id"], ["dish.id"],
                                name=op.f("fk_supply_booking_dish_id_dish"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["set_meal_id"], ["set_meal.id"],
                                name=op.f("fk_supply_booking_set_meal_id_set_meal"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_booking")),
        sa.UniqueConstraint("uid", name=op.f("uq_supply_booking_uid")),
        sa.UniqueConstraint("member_id", "request_id", name="uq_supply_booking_member_request"),
    )
    op.create_index(op.f("ix_supply_booking_member_id"), "supply_booking", ["member_id"])
    op.create_index(op.f("ix_supply_booking_status"), "supply_booking", ["status"])
    op.create_index("ix_supply_booking_site_day", "supply_booking",
                    ["site_id", "day", "meal_period_id"])


def downgrade() -> None:
    op.drop_index("ix_supply_booking_site_day", table_name="supply_booking")
    op.drop_index(op.f("ix_supply_booking_status"), table_name="supply_booking")
    op.drop_index(op.f("ix_supply_booking_member_id"), table_name="supply_booking")
    op.drop_table("supply_booking")
    op.drop_index(op.f("ix_supply_booking_rule_site_id"), table_name="supply_booking_rule")
    op.drop_table("supply_booking_rule")
    op.drop_index("ix_supply_forecast_site_day", table_name="supply_forecast")
    op.drop_index(op.f("ix_supply_forecast_run_id"), table_name="supply_forecast")
    op.drop_table("supply_forecast")
    op.drop_index(op.f("ix_supply_forecast_run_site_id"), table_name="supply_forecast_run")
    op.drop_table("supply_forecast_run")
