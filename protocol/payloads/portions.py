"""Portion counts on the site broker (schema 1.1): sold-out travels kiosk to kiosk.

Two retained message types on the site's kitchen topics, so every device of the site
knows, without the hub, how many portions of each dish are left:

* ``portions.prepared`` on ``.../kitchen/portions/prepared/{meal_period}/{dish}``: the
  kitchen (KDS or hub) says how many portions of a dish it has prepared for a meal period
  of a day, as a running total (adding 20 publishes the old total + 20). The newest
  ``at`` wins, so two setters converge.
* ``portions.sold`` on ``.../kitchen/portions/sold/{device}``: what one device has sold
  that day, per meal period and dish. Each device only ever publishes its own counts (a
  grow-only counter per device), so nothing is counted twice or lost to a race.

Left = prepared - the sum of every device's sold. A dish with no prepared count is not
counted (unlimited); at zero or below it is sold out on every kiosk of the site.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from protocol.fields import Code, Identifier, UtcDatetime, WireModel

ServiceDate = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
"""The site's local business date, ``YYYY-MM-DD``."""

MAX_PORTIONS = 100_000
MAX_SOLD_ROWS = 4000


class PortionsPrepared(WireModel):
    """Portions of a dish prepared for a meal period of a day (a running total)."""

    service_date: ServiceDate
    meal_period: Code
    dish_id: Identifier
    prepared: Annotated[int, Field(strict=True, ge=0, le=MAX_PORTIONS)]
    at: UtcDatetime

    def kitchen_segments(self, device: str) -> tuple[str, ...]:
        """Where it is published under the site's kitchen topic (one per period and dish)."""
        return ("portions", "prepared", self.meal_period, self.dish_id)


class SoldCount(WireModel):
    """Portions of a dish one device sold in a meal period."""

    meal_period: Code
    dish_id: Identifier
    sold: Annotated[int, Field(strict=True, ge=0, le=10_000_000)]


class PortionsSold(WireModel):
    """Everything one device sold on a day, per meal period and dish (grows, never shrinks)."""

    service_date: ServiceDate
    counts: tuple[SoldCount, ...] = Field(default=(), max_length=MAX_SOLD_ROWS)

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        keys = [(c.meal_period, c.dish_id) for c in self.counts]
        if len(set(keys)) != len(keys):
            raise ValueError("a meal period and dish appear twice in the counts")
        return self

    def kitchen_segments(self, device: str) -> tuple[str, ...]:
        """Where it is published under the site's kitchen topic (one per device)."""
        return ("portions", "sold", device)
