"""/supply/forecasts: run the demand forecast of a site (managers) and read it (staff)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from hub.api.deps import EDITORS, STAFF, SessionDep, require_role
from hub.models.bounds import MAX_ID
from hub.supply import forecast as svc

router = APIRouter(prefix="/supply", tags=["supply"])


class ForecastRunIn(BaseModel):
    site_id: int = Field(ge=1, le=MAX_ID)
    start: date
    days: int = Field(default=7, ge=1, le=svc.MAX_DAYS)


class ForecastRunOut(BaseModel):
    id: int
    site_id: int
    start: date
    days: int
    origin: date
    series: int
    chosen: str
    validation_wape: float | None
    validation_wape_naive: float | None


class ForecastLine(BaseModel):
    dish_id: int
    meal_period_id: int
    day: date
    portions: float


@router.post("/forecasts", response_model=ForecastRunOut, status_code=status.HTTP_201_CREATED,
             dependencies=[require_role(*EDITORS)])
def run_forecast(session: SessionDep, data: ForecastRunIn) -> ForecastRunOut:
    """Forecast a site's dishes per meal period from its orders, and store it."""
    run = svc.run_forecast(session, site_id=data.site_id, start=data.start, days=data.days)
    session.commit()
    return ForecastRunOut.model_validate(run, from_attributes=True)


@router.get("/forecasts", response_model=list[ForecastLine],
            dependencies=[require_role(*STAFF)])
def get_forecast(session: SessionDep, site_id: Annotated[int, Query(ge=1, le=MAX_ID)],
                 start: date,
                 days: Annotated[int, Query(ge=1, le=svc.MAX_DAYS)] = 7) -> list[ForecastLine]:
    """Forecast portions per dish, meal period and day (stored, else computed now)."""
    portions = svc.forecast_portions(session, site_id, start, days)
    return [ForecastLine(dish_id=d, day=day, meal_period_id=p, portions=v)
            for (d, day, p), v in sorted(portions.items())]
