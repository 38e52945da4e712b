"""Every error the rules package raises: one typed hierarchy, bilingual messages.

All derive from ``ValueError`` (they are refusals of bad input) and carry a
:class:`~rules.labels.Label` so a kiosk can show the diner the reason in both
languages without a catalog.
"""

from __future__ import annotations

from rules.labels import Label


class RulesError(ValueError):
    """Base of every refusal raised by ``rules``; ``label`` holds zh/en text."""

    def __init__(self, zh: str, en: str) -> None:
        self.label = Label(zh=zh, en=en)
        super().__init__(f"{en} ({zh})")


# --- money -----------------------------------------------------------------


class MoneyError(RulesError):
    """An amount could not be parsed or an arithmetic input is out of range."""


# --- dietary ---------------------------------------------------------------


class DietaryError(RulesError):
    """Base of dietary refusals."""


class UnknownTag(DietaryError):
    """A dish tag code that is not in ``rules.dietary.DISH_TAGS``."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"未知的菜品标签：{code!r}", f"unknown dish tag: {code!r}")


class UnknownAllergen(DietaryError):
    """An allergen code that is not in ``rules.dietary.ALLERGENS`` (nor a group)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"未知的过敏原：{code!r}", f"unknown allergen: {code!r}")


class UnknownPreference(DietaryError):
    """A dietary preference code that is not in ``rules.dietary.PREFERENCES``."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"未知的饮食偏好：{code!r}", f"unknown dietary preference: {code!r}")


# --- pricing ---------------------------------------------------------------


class PricingError(RulesError):
    """Base of every refusal of the pricing engine."""


class InvalidInput(PricingError):
    """Inputs are inconsistent or out of range (e.g. a naive ``now``, a negative balance)."""


class InvalidLine(PricingError):
    """An order line is malformed (negative quantity, negative price, ...)."""

    def __init__(self, line_id: str, zh: str, en: str) -> None:
        self.line_id = line_id
        super().__init__(f"订单行 {line_id}：{zh}", f"order line {line_id}: {en}")


class SetMealError(PricingError):
    """Base of set-meal refusals."""


class UnknownSetMeal(SetMealError):
    """The order names a set meal that is not an active offer."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"套餐 {code!r} 不存在或未上架", f"set meal {code!r} is not on offer")


class UnknownSetMealSlot(SetMealError):
    """A pick names a slot the set meal does not have."""

    def __init__(self, code: str, slot: str) -> None:
        self.code, self.slot = code, slot
        super().__init__(
            f"套餐 {code!r} 没有 {slot!r} 这一项", f"set meal {code!r} has no slot {slot!r}"
        )


class SetMealDishNotAllowed(SetMealError):
    """A picked dish does not belong in the slot it was put in."""

    def __init__(self, code: str, slot: str, line_id: str) -> None:
        self.code, self.slot, self.line_id = code, slot, line_id
        super().__init__(
            f"订单行 {line_id} 不能放入套餐 {code!r} 的 {slot!r}",
            f"order line {line_id} does not fit slot {slot!r} of set meal {code!r}",
        )


class SetMealSlotsNotFilled(SetMealError):
    """The chosen dishes do not fill the slots exactly (too few or too many)."""

    def __init__(self, code: str, slot: str, wanted: int, got: int) -> None:
        self.code, self.slot, self.wanted, self.got = code, slot, wanted, got
        super().__init__(
            f"套餐 {code!r} 的 {slot!r} 需要 {wanted} 份，已选 {got} 份",
            f"set meal {code!r} slot {slot!r} needs {wanted}, got {got}",
        )


class CouponError(PricingError):
    """Base of coupon refusals."""


class CouponNotValidNow(CouponError):
    """The coupon is expired or not yet valid at the ``now`` passed in."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"优惠券 {code} 不在有效期内", f"coupon {code} is not valid at this time")


class CouponBelowMinimumSpend(CouponError):
    """The eligible spend is below the coupon's minimum spend."""

    def __init__(self, code: str, minimum_cents: int, eligible_cents: int) -> None:
        from rules.money import format_cents  # why: money imports errors; avoid a cycle

        self.code = code
        self.minimum_cents, self.eligible_cents = minimum_cents, eligible_cents
        m, e = format_cents(minimum_cents), format_cents(eligible_cents)
        super().__init__(
            f"优惠券 {code} 需满 {m} 可用，当前可用金额 {e}",
            f"coupon {code} needs a minimum spend of {m}; eligible spend is {e}",
        )


class CouponNotApplicable(CouponError):
    """No line of the order is in the coupon's scope (dish or category)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"优惠券 {code} 不适用于所选菜品", f"coupon {code} does not apply to this order"
        )


class InsufficientFunds(PricingError):
    """The wallet cannot cover the total; ``shortfall_cents`` is what is missing."""

    def __init__(self, shortfall_cents: int) -> None:
        from rules.money import format_cents  # why: money imports errors; avoid a cycle

        self.shortfall_cents = shortfall_cents
        s = format_cents(shortfall_cents)
        super().__init__(f"余额不足，还差 {s}", f"insufficient funds: {s} short")
