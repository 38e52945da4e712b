"""The catalog's offers as pricing-engine inputs: promotions, member tiers, the points rate."""

from __future__ import annotations

from datetime import datetime

from kiosk.i18n import Text, _
from protocol.payloads.catalog import CatalogSnapshot
from protocol.payloads.offers import Offers, TierBenefit
from protocol.payloads.offers import Window as WireWindow
from rules import order as r
from rules.money import format_cents, format_percent

NO_OFFERS = Offers()


def window(wire: WireWindow) -> r.Window:
    """A wire validity window as the engine's."""
    return r.Window(wire.valid_from, wire.valid_until)


def promotions(snapshot: CatalogSnapshot | None, set_meals: tuple[r.SetMealOffer, ...] = ()
               ) -> r.Promotions:
    """Member day, spend-save offers and set meals; the engine checks the windows."""
    offers = snapshot.offers if snapshot is not None else NO_OFFERS
    day = offers.member_day
    return r.Promotions(
        member_day=r.MemberDay(day.percent_bp, window(day.window)) if day and day.percent_bp
        else None,
        spend_save=tuple(
            r.SpendSave(s.code, s.threshold_cents, s.save_cents, s.members_only, window(s.window))
            for s in offers.spend_save
        ),
        set_meals=set_meals,
    )


def tier_benefit(snapshot: CatalogSnapshot | None, code: str) -> TierBenefit | None:
    """The catalog's benefits for a tier code (None: unknown tier)."""
    offers = snapshot.offers if snapshot is not None else NO_OFFERS
    return next((t for t in offers.tiers if t.code == code), None)


def tier(snapshot: CatalogSnapshot | None, code: str) -> r.Tier:
    """The engine's tier; an unknown tier gets member prices and 100 % points (the default)."""
    benefit = tier_benefit(snapshot, code)
    if benefit is None:
        return r.Tier(code)
    return r.Tier(code, benefit.member_price, benefit.points_multiplier_pct)


def tier_name(snapshot: CatalogSnapshot | None, code: str) -> Text:
    """The tier's bilingual name (its code when the catalog does not name it)."""
    benefit = tier_benefit(snapshot, code)
    return Text(benefit.name_zh, benefit.name_en) if benefit else Text(code, code)


def points_rate(snapshot: CatalogSnapshot | None) -> r.PointsRate:
    """What points are worth when paying."""
    rate = (snapshot.offers if snapshot is not None else NO_OFFERS).points_rate
    return r.PointsRate(rate.points, rate.cents)


def promotion_texts(snapshot: CatalogSnapshot | None, now: datetime) -> tuple[Text, ...]:
    """Member day and spend-save offers open at ``now``, for the attract screen."""
    offers = snapshot.offers if snapshot is not None else NO_OFFERS
    out: list[Text] = []
    day = offers.member_day
    if day is not None and day.percent_bp and window(day.window).contains(now):
        out.append(_("Member day: members save {percent} on every dish.",
                     percent=format_percent(day.percent_bp)))
    for s in sorted(offers.spend_save, key=lambda s: s.threshold_cents):
        if not window(s.window).contains(now):
            continue
        params = {"threshold": format_cents(s.threshold_cents), "save": format_cents(s.save_cents)}
        if s.members_only:
            out.append(_("Members: spend {threshold}, save {save}.", **params))
        else:
            out.append(_("Spend {threshold}, save {save}.", **params))
    return tuple(out)
