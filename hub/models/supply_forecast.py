"""Demand forecasts stored by the forecast job: one run per site, its rows per dish, meal
period and day, with the seasonal-naive baseline beside each (the admin chart draws both)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.models.base import created_at_field


class ForecastRun(SQLModel, table=True):
    """One forecast of a site: `days` days from `start`, learnt from history up to `origin`."""

    __tablename__ = "supply_forecast_run"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE", index=True)
    start: date
    days: int = Field(ge=1, le=14)
    origin: date  # the last day of history the forecast saw
    series: int = Field(default=0, ge=0)
    chosen: str = Field(default="model", max_length=32)  # the candidate the tail check kept
    validation_wape: float | None = None
    validation_wape_naive: float | None = None
    created_at: datetime = created_at_field()


class ForecastRow(SQLModel, table=True):
    """Forecast portions of one dish in one meal period on one day, and the baseline."""

    __tablename__ = "supply_forecast"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "dish_id", "meal_period_id", "day",
                            name="uq_supply_forecast_run_dish_period_day"),
        sa.Index("ix_supply_forecast_site_day", "site_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="supply_forecast_run.id", ondelete="CASCADE", index=True)
    site_id: int = Field(foreign_key="site.id", ondelete="CASCADE")
    dish_id: int = Field(foreign_key="dish.id", ondelete="CASCADE")
    meal_period_id: int = Field(foreign_key="meal_period.id", ondelete="CASCADE")
    day: date
    portions: float = Field(ge=0)
    seasonal_naive: float = Field(ge=0)
    booked: int = Field(default=0, ge=0)
