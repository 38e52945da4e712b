"""The ONE place where an error becomes a friendly bilingual message for the diner."""

from __future__ import annotations

import logging

from edge_agent.errors import EdgeError
from hardware.printer.status import PrinterFault
from kiosk.i18n import Text, _, text_of
from kiosk.services import errors as k
from rules.errors import InsufficientFunds, RulesError, SetMealError

log = logging.getLogger(__name__)


def message_for(err: BaseException) -> Text:
    """What the diner reads for ``err``; anything unexpected gets a calm generic message."""
    match err:
        case k.UnknownCode():
            return _("This code is not a member code of this canteen.")
        case k.ExpiredCode():
            return _("This member code has expired. Please refresh the code in your app.")
        case k.MemberNotFound():
            return _("We could not find your membership. Please ask at the counter.")
        case k.CardBlocked():
            return _("This card has been reported lost. Please ask at the counter.")
        case k.NotConfigured():
            return _("This kiosk cannot do that yet. Please ask at the counter.")
        case k.NoMenu():
            return _("No meal is being served right now.")
        case k.DishUnavailable():
            return _("Sorry, this dish is sold out.")
        case k.OptionRequired():
            return _("Please choose an option first.")
        case k.WeightNotReady():
            return _("Please place your plate on the scale and wait until the weight settles.")
        case k.CartEmpty():
            return _("Your cart is empty.")
        case k.SoldOutInCart():
            return _("Sold out while in your cart: {names}. Please remove it to continue.",
                     names=", ".join(err.names))
        case k.SetMealIncomplete():
            return _("Please fill every choice of the set meal.")
        case k.CouponInvalid():
            return _("This is not a coupon of this canteen.")
        case k.CouponExpired():
            return _("This coupon has expired.")
        case k.CouponAlreadyUsed():
            return _("This coupon was already used for order {order_no}.",
                     order_no=err.order_no)
        case k.CouponNotForYou() if err.guest:
            return _("Coupons are for members. Please identify first.")
        case k.CouponNotForYou():
            return _("This coupon belongs to another member.")
        case k.CouponUnknown():
            return _("This kiosk does not know this coupon yet. Please ask at the counter.")
        case k.BookingNotFound():
            return Text("没有找到今天的这笔预订，请到柜台咨询。",
                        "We could not find this booking for today. Please ask at the counter.")
        case k.BookingNotNow():
            return Text("这笔预订不是本餐次的，请在预订的餐次来取。",
                        "This booking is for another meal. Please come back at that meal.")
        case k.BookingTaken() if err.order_no:
            return Text(f"这笔预订已经取过了（订单 {err.order_no}）。",
                        f"This booking was already picked up (order {err.order_no}).")
        case k.BookingTaken():
            return Text("这笔预订已经取过了。", "This booking was already picked up.")
        case k.OrderNotRecorded():
            return _("Your order could not be saved, nothing was charged. Please try again.")
        case k.FeedbackNotRecorded():
            return _("Your feedback could not be saved. Thank you anyway!")
        case InsufficientFunds():
            # the engine's own label names the shortfall in both languages
            return text_of(err.label.zh, err.label.en)
        case SetMealError() | RulesError():
            return text_of(err.label.zh, err.label.en)
        case EdgeError():
            log.error("device store error shown to the diner: %s", err)
            return _("Something went wrong on this kiosk. Please ask at the counter.")
    log.error("unexpected error shown to the diner: %r", err)
    return _("Something went wrong on this kiosk. Please ask at the counter.")


def printer_message(faults: tuple[PrinterFault, ...]) -> Text:
    """The receipt could not print: the printer's own zh/en fault, and the order stands."""
    if not faults:
        faults = (PrinterFault.NO_RESPONSE,)
    zh = "；".join(f.message_zh for f in faults)
    en = "; ".join(f.message_en for f in faults)
    tail = _("Your order is placed; show the order number at the counter.")
    return Text(f"{zh}。{tail.zh}", f"{en}. {tail.en}")
