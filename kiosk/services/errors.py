"""Typed refusals of the kiosk; texts for them live in ONE place: controllers/messages.py."""

from __future__ import annotations


class KioskError(Exception):
    """Base of every refusal the kiosk shows the diner."""


class NotConfigured(KioskError):
    """A feature the diner tried needs configuration this kiosk lacks (keys, a device)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not configured: {what}")
        self.what = what


class UnknownCode(KioskError):
    """A scanned code is not a member code of ours (forged, altered, foreign, unknown key)."""


class ExpiredCode(KioskError):
    """A member code outside its time window (a screenshot, or the phone's clock is off)."""


class MemberNotFound(KioskError):
    """A valid code or card whose member is not in this device's member cache."""


class CardBlocked(KioskError):
    """The member's card or account is blocked."""

    def __init__(self, member_id: str) -> None:
        super().__init__(f"member {member_id} is blocked")
        self.member_id = member_id


class NoMenu(KioskError):
    """No catalog yet, or no meal period being served now."""


class DishUnavailable(KioskError):
    """The dish is sold out or not on the current menu."""

    def __init__(self, dish_id: str) -> None:
        super().__init__(f"dish {dish_id} is not available")
        self.dish_id = dish_id


class OptionRequired(KioskError):
    """A required option (portion, staple) was not chosen."""

    def __init__(self, group: str) -> None:
        super().__init__(f"option {group} is required")
        self.group = group


class WeightNotReady(KioskError):
    """No stable weight on the scale (or no scale) for a weighed dish."""


class CartEmpty(KioskError):
    """Checkout with nothing in the cart."""


class SoldOutInCart(KioskError):
    """Lines of the cart sold out since they were added; ``line_ids`` are marked."""

    def __init__(self, line_ids: tuple[str, ...], names: tuple[str, ...]) -> None:
        super().__init__(f"sold out: {', '.join(names)}")
        self.line_ids = line_ids
        self.names = names


class SetMealIncomplete(KioskError):
    """A set meal's slots are not all filled yet."""


class OrderNotRecorded(KioskError):
    """The device store refused or failed to write the order: nothing was charged."""


class FeedbackNotRecorded(KioskError):
    """The feedback could not be saved."""


class CouponInvalid(KioskError):
    """A scanned code is not a coupon of ours (forged, altered, foreign key, not a coupon)."""


class CouponExpired(KioskError):
    """The coupon's expiry (in its signed code) has passed."""


class CouponAlreadyUsed(KioskError):
    """This device already recorded an order paid with this coupon."""

    def __init__(self, coupon_id: str, order_no: str) -> None:
        super().__init__(f"coupon {coupon_id} already paid order {order_no}")
        self.coupon_id = coupon_id
        self.order_no = order_no


class CouponNotForYou(KioskError):
    """The coupon belongs to another member, or the diner is a guest."""

    def __init__(self, guest: bool) -> None:
        super().__init__("guest" if guest else "another member's coupon")
        self.guest = guest


class CouponUnknown(KioskError):
    """The coupon's template is not known to this kiosk (terms missing)."""

    def __init__(self, template_code: str) -> None:
        super().__init__(f"unknown coupon template {template_code}")
        self.template_code = template_code


class BookingNotFound(KioskError):
    """No booking of today with this id in the device's copy of the site's bookings."""


class BookingNotNow(KioskError):
    """The booking is for another meal period than the one being served."""

    def __init__(self, meal_period: str) -> None:
        super().__init__(f"booked for {meal_period}")
        self.meal_period = meal_period


class BookingTaken(KioskError):
    """The booking was already picked up (``order_no``: the order, when it was on this kiosk)."""

    def __init__(self, booking_id: str, order_no: str | None) -> None:
        super().__init__(f"booking {booking_id} already picked up")
        self.booking_id = booking_id
        self.order_no = order_no
