"""Inputs of the pricing engine: frozen dataclasses that refuse bad values on creation.

Every amount is int fen; every percentage int basis points (1000 = 10 %).
Field-level checks live here; checks that need the whole order (unknown
set meal, coupon scope, ...) live in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rules.errors import InvalidInput, InvalidLine
from rules.labels import Label
from rules.money import div_round_half_up


def check_cents(value: object, what: str) -> None:
    """Refuse anything but a non-negative int amount (bool is not an amount)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{what} 必须是非负整数分：{value!r}", f"{what} must be int fen >= 0")


def check_aware(value: datetime, what: str) -> None:
    """Refuse naive datetimes: all instants are timezone-aware (UTC on the wire)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} 必须带时区", f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class Window:
    """A validity window ``valid_from <= now < valid_until``; ``None`` is open-ended."""

    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until"):
            value = getattr(self, name)
            if value is not None:
                check_aware(value, name)
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise InvalidInput("有效期起止颠倒", "validity window ends before it starts")

    def contains(self, now: datetime) -> bool:
        """True when ``now`` is inside the window."""
        if self.valid_from is not None and now < self.valid_from:
            return False
        return self.valid_until is None or now < self.valid_until


ALWAYS = Window()


@dataclass(frozen=True, slots=True)
class Modifier:
    """An option on a dish ("extra egg", "less rice") with its price change per item."""

    code: str
    delta_cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.delta_cents, int) or isinstance(self.delta_cents, bool):
            raise InvalidInput("加价必须是整数分", f"modifier {self.code!r} delta must be int fen")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One cart line. For a weighed dish ``grams`` is set and prices are per 100 g."""

    line_id: str
    dish_id: str
    category: str
    unit_price_cents: int
    qty: int = 1
    member_unit_price_cents: int | None = None
    grams: int | None = None
    modifiers: tuple[Modifier, ...] = ()
    # derived once here, read many times by the engine
    list_cents: int = field(init=False, repr=False, compare=False)
    """Amount at list price, modifiers included (the gross the receipt starts from)."""
    modifier_cents: int = field(init=False, repr=False, compare=False)
    """What the modifiers add (or take off) for the whole line."""

    def __post_init__(self) -> None:
        lid = self.line_id
        if not lid or not self.dish_id:
            raise InvalidLine(lid or "?", "缺少编号", "line_id and dish_id are required")
        if not isinstance(self.qty, int) or isinstance(self.qty, bool) or self.qty < 1:
            raise InvalidLine(
                lid, f"数量无效：{self.qty!r}", f"quantity must be >= 1, got {self.qty!r}"
            )
        _line_cents(lid, self.unit_price_cents, "单价", "unit price")
        if self.member_unit_price_cents is not None:
            _line_cents(lid, self.member_unit_price_cents, "会员价", "member price")
            if self.member_unit_price_cents > self.unit_price_cents:
                raise InvalidLine(lid, "会员价高于原价", "member price above list price")
        if self.grams is not None:
            if not isinstance(self.grams, int) or isinstance(self.grams, bool) or self.grams <= 0:
                raise InvalidLine(
                    lid, f"重量无效：{self.grams!r}", f"grams must be > 0, got {self.grams!r}"
                )
            if self.qty != 1:
                raise InvalidLine(lid, "称重菜品数量必须为 1", "a weighed dish has quantity 1")
        deltas = sum(m.delta_cents for m in self.modifiers)
        object.__setattr__(self, "modifier_cents", deltas * (1 if self.grams else self.qty))
        object.__setattr__(self, "list_cents", self.amount_cents(self.unit_price_cents))
        member = self.member_unit_price_cents
        if self.amount_cents(self.unit_price_cents if member is None else member) < 0:
            raise InvalidLine(lid, "加减价后金额为负", "modifiers make the price negative")

    def amount_cents(self, unit_price_cents: int) -> int:
        """The line's amount at this unit price, modifiers included.

        Weighed dish: ``price per 100 g * grams / 100`` rounded half up once per
        line (never per gram), plus the modifiers of the plate.
        """
        if self.grams is None:
            return unit_price_cents * self.qty + self.modifier_cents
        return div_round_half_up(unit_price_cents * self.grams, 100) + self.modifier_cents


def _line_cents(line_id: str, value: object, zh: str, en: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidLine(
            line_id, f"{zh}无效：{value!r}", f"{en} must be int fen >= 0, got {value!r}"
        )


@dataclass(frozen=True, slots=True)
class SetMealSlot:
    """A slot of a set meal: ``count`` items from these categories or dishes."""

    code: str
    name: Label
    count: int
    categories: frozenset[str] = frozenset()
    dish_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.count, int) or self.count < 1:
            raise InvalidInput("套餐项数量无效", f"slot {self.code!r} count must be >= 1")
        if not self.categories and not self.dish_ids:
            raise InvalidInput("套餐项没有可选菜品", f"slot {self.code!r} accepts nothing")

    def accepts(self, line: OrderLine) -> bool:
        """True when the line's dish may fill this slot."""
        return line.dish_id in self.dish_ids or line.category in self.categories


@dataclass(frozen=True, slots=True)
class SetMealOffer:
    """A set meal on offer: a fixed combo (slots by dish) or build-your-own (by category)."""

    code: str
    name: Label
    price_cents: int
    slots: tuple[SetMealSlot, ...]
    window: Window = ALWAYS

    def __post_init__(self) -> None:
        check_cents(self.price_cents, f"set meal {self.code} price")
        if not self.slots or len({s.code for s in self.slots}) != len(self.slots):
            raise InvalidInput(
                "套餐项为空或重复", f"set meal {self.code!r} slots empty or repeated"
            )


@dataclass(frozen=True, slots=True)
class SlotPick:
    """The diner put this cart line into this slot of a set meal."""

    slot: str
    line_id: str


@dataclass(frozen=True, slots=True)
class SetMealChoice:
    """One set meal in the order: which offer, and which lines fill its slots."""

    offer_code: str
    picks: tuple[SlotPick, ...]


@dataclass(frozen=True, slots=True)
class MemberDay:
    """Member day: a percent off every non-set line, for members only."""

    percent_bp: int
    window: Window = ALWAYS

    def __post_init__(self) -> None:
        if not isinstance(self.percent_bp, int) or not 0 < self.percent_bp <= 10_000:
            raise InvalidInput("会员日折扣无效", "member day percent must be 1..10000 bp")


@dataclass(frozen=True, slots=True)
class SpendSave:
    """Spend at least ``threshold_cents`` (after line discounts), save ``save_cents``."""

    code: str
    threshold_cents: int
    save_cents: int
    members_only: bool = False
    window: Window = ALWAYS

    def __post_init__(self) -> None:
        check_cents(self.threshold_cents, f"spend-save {self.code} threshold")
        check_cents(self.save_cents, f"spend-save {self.code} saving")
        if self.save_cents > self.threshold_cents:
            raise InvalidInput(
                "满减金额大于门槛", f"spend-save {self.code!r} saves more than it needs"
            )


@dataclass(frozen=True, slots=True)
class Promotions:
    """The promotions active at this site (the catalog decides; windows are checked here)."""

    member_day: MemberDay | None = None
    spend_save: tuple[SpendSave, ...] = ()
    set_meals: tuple[SetMealOffer, ...] = ()


class CouponKind(StrEnum):
    """What a coupon gives."""

    AMOUNT_OFF = "amount_off"
    PERCENT_OFF = "percent_off"
    FREE_DISH = "free_dish"


@dataclass(frozen=True, slots=True)
class Coupon:
    """A coupon from the diner's wallet; scope empty means every non-set line."""

    code: str
    kind: CouponKind
    amount_cents: int = 0
    percent_bp: int = 0
    max_off_cents: int | None = None
    dish_id: str | None = None
    min_spend_cents: int = 0
    dish_ids: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    window: Window = ALWAYS

    def __post_init__(self) -> None:
        check_cents(self.min_spend_cents, f"coupon {self.code} minimum spend")
        if self.kind is CouponKind.AMOUNT_OFF:
            check_cents(self.amount_cents, f"coupon {self.code} amount")
            if self.amount_cents == 0:
                raise InvalidInput("优惠券面额为零", f"coupon {self.code!r} is worth nothing")
        elif self.kind is CouponKind.PERCENT_OFF:
            if not isinstance(self.percent_bp, int) or not 0 < self.percent_bp <= 10_000:
                raise InvalidInput(
                    "优惠券折扣无效", f"coupon {self.code!r} percent must be 1..10000 bp"
                )
            if self.max_off_cents is not None:
                check_cents(self.max_off_cents, f"coupon {self.code} cap")
        elif self.kind is CouponKind.FREE_DISH:
            if not self.dish_id:
                raise InvalidInput("免费菜品券未指定菜品", f"coupon {self.code!r} names no dish")
        else:
            raise InvalidInput("未知的优惠券类型", f"coupon {self.code!r} has an unknown kind")

    def in_scope(self, line: OrderLine) -> bool:
        """True when the coupon may count this (non-set) line."""
        if self.kind is CouponKind.FREE_DISH:
            return line.dish_id == self.dish_id
        if not self.dish_ids and not self.categories:
            return True
        return line.dish_id in self.dish_ids or line.category in self.categories


@dataclass(frozen=True, slots=True)
class Tier:
    """A membership tier's benefits."""

    code: str
    member_price: bool = True
    points_multiplier_pct: int = 100

    def __post_init__(self) -> None:
        check_cents(self.points_multiplier_pct, f"tier {self.code} multiplier")


@dataclass(frozen=True, slots=True)
class Member:
    """An identified diner; the engine treats ``None`` as a guest."""

    member_id: str
    tier: Tier = field(default_factory=lambda: Tier("standard"))


@dataclass(frozen=True, slots=True)
class Wallet:
    """What the member can pay with for this meal (balances from the member cache)."""

    subsidy_cents: int = 0
    points_balance: int = 0
    use_points: bool = False
    paid_balance_cents: int = 0
    bonus_balance_cents: int = 0
    online: bool = True
    offline_limit_cents: int = 0

    def __post_init__(self) -> None:
        for name in (
            "subsidy_cents",
            "points_balance",
            "paid_balance_cents",
            "bonus_balance_cents",
            "offline_limit_cents",
        ):
            check_cents(getattr(self, name), name)


@dataclass(frozen=True, slots=True)
class PointsRate:
    """``points`` points are worth ``cents`` fen when paying (100 points = ￥1 by default)."""

    points: int = 100
    cents: int = 100

    def __post_init__(self) -> None:
        if (
            not isinstance(self.points, int)
            or not isinstance(self.cents, int)
            or min(self.points, self.cents) < 1
        ):
            raise InvalidInput("积分兑换比例无效", "points rate must be two positive ints")


@dataclass(frozen=True, slots=True)
class Policy:
    """The operator's settlement policy for this site."""

    remainder_to_counter: bool = False
    points_rate: PointsRate = PointsRate()
    points_earned_per_yuan: int = 1

    def __post_init__(self) -> None:
        check_cents(self.points_earned_per_yuan, "points_earned_per_yuan")


@dataclass(frozen=True, slots=True)
class PricingInputs:
    """Everything the engine needs; the kiosk and the hub build it from the same data."""

    lines: tuple[OrderLine, ...]
    now: datetime
    member: Member | None = None
    set_meals: tuple[SetMealChoice, ...] = ()
    promotions: Promotions = Promotions()
    coupon: Coupon | None = None
    wallet: Wallet = Wallet()
    policy: Policy = Policy()

    def __post_init__(self) -> None:
        check_aware(self.now, "now")
        if not self.lines:
            raise InvalidInput("订单为空", "the order has no lines")
        ids = [line.line_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise InvalidInput("订单行编号重复", "line ids must be unique")
        if self.member is None and (self.coupon is not None or self.wallet != Wallet()):
            raise InvalidInput(
                "访客不能使用优惠券、补贴、积分或储值",
                "a guest cannot use a coupon, subsidy, points or stored value",
            )
