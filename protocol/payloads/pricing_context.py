"""What an order was priced with on the kiosk, so the hub re-prices it with the same engine.

An optional block of ``order.placed`` (``OrderPlaced.pricing``): the set-meal choices by
line, the coupon, ``use_points``, the member's tier, the catalog version and the offers
that applied. Prices, promotions and coupon terms are NOT copied here: the hub reads its
own and compares (docs/pricing.md, "Kiosk and hub agree").
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from protocol.fields import Code, Flag, Identifier, Positive, ShortText, WireModel

MAX_LINE_INDEX = 99


class SlotPick(WireModel):
    """Line number ``line`` (0-based, in ``OrderPlaced.lines``) fills slot ``slot``.

    Slot codes: a fixed combo's slot is its dish id; a build-your-own slot is
    ``<1-based slot number>-<category>`` (``1-meat``).
    """

    slot: Identifier
    line: Annotated[int, Field(strict=True, ge=0, le=MAX_LINE_INDEX)]


class SetMealChoice(WireModel):
    """One set meal of the order: the catalog's set-meal id and the lines in its slots."""

    offer_code: Identifier
    picks: tuple[SlotPick, ...] = Field(min_length=1, max_length=20)


class PricingContext(WireModel):
    """The kiosk's pricing inputs that are not in the lines: see the module docstring."""

    rules_version: ShortText = ""
    catalog_version: Positive | None = None
    # The engine's line ids in the order of ``lines`` (its tie-break order); empty: 001, 002...
    line_ids: tuple[Identifier, ...] = Field(default=(), max_length=100)
    set_meals: tuple[SetMealChoice, ...] = Field(default=(), max_length=50)
    coupon_id: Identifier | None = None
    coupon_template: Identifier | None = None
    use_points: Flag = False
    tier: Code | None = None
    member_prices: Flag = False
    offers_applied: tuple[Identifier, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.line_ids)) != len(self.line_ids):
            raise ValueError("pricing.line_ids repeats an id")
        lines = [p.line for s in self.set_meals for p in s.picks]
        if len(set(lines)) != len(lines):
            raise ValueError("a line is picked into more than one set-meal slot")
        if self.coupon_template is not None and self.coupon_id is None:
            raise ValueError("pricing.coupon_template without coupon_id")
        return self

    def check_lines(self, n_lines: int) -> None:
        """Raise ValueError unless the picks and line ids fit an order of ``n_lines`` lines."""
        if self.line_ids and len(self.line_ids) != n_lines:
            raise ValueError(
                f"pricing.line_ids has {len(self.line_ids)} ids for {n_lines} lines"
            )
        for choice in self.set_meals:
            for pick in choice.picks:
                if pick.line >= n_lines:
                    raise ValueError(
                        f"set meal {choice.offer_code!r} picks line {pick.line}, "
                        f"the order has {n_lines}"
                    )
