"""Line discounts (member price or member day, never both) and spend-X-save-Y.

These apply only to lines outside set meals ("loose" lines). Percentages are
taken once on the sum of the lines they apply to and then allocated back to
the lines (largest remainder), so the order-level discount is exactly the
percent of the total rounded half up once: no fen lost to per-line rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rules.labels import Label
from rules.money import BASIS_POINTS, allocate, format_cents, format_percent, percent_of
from rules.order import Member, MemberDay, OrderLine, SpendSave
from rules.results import Discount, PriceBasis

MEMBER_PRICE_REASON = Label("会员价", "Member price")


def price_loose_lines(
    lines: Sequence[OrderLine], member: Member | None, member_day: MemberDay | None
) -> tuple[list[int], list[PriceBasis], tuple[Discount, ...]]:
    """Net amount and price basis per line, and the line discounts, for non-set lines.

    Per line the member gets the better of member price and member-day percent
    (compared exactly, before rounding); a guest pays list price.
    """
    nets = [line.list_cents for line in lines]
    bases = [PriceBasis.LIST] * len(lines)
    if member is None:
        return nets, bases, ()
    day_bp = member_day.percent_bp if member_day is not None else 0
    member_idx: list[int] = []
    day_idx: list[int] = []
    for i, line in enumerate(lines):
        member_amount = None
        if member.tier.member_price and line.member_unit_price_cents is not None:
            member_amount = line.amount_cents(line.member_unit_price_cents)
        day_exact_x_bp = line.list_cents * (BASIS_POINTS - day_bp)
        if day_bp and (member_amount is None or day_exact_x_bp < member_amount * BASIS_POINTS):
            day_idx.append(i)
        elif member_amount is not None and member_amount < line.list_cents:
            member_idx.append(i)
            nets[i], bases[i] = member_amount, PriceBasis.MEMBER_PRICE
    discounts: list[Discount] = []
    if member_idx:
        saved = sum(lines[i].list_cents - nets[i] for i in member_idx)
        ids = tuple(lines[i].line_id for i in member_idx)
        discounts.append(Discount("member_price", "", MEMBER_PRICE_REASON, saved, ids))
    if day_idx:
        base = sum(lines[i].list_cents for i in day_idx)
        off = percent_of(base, day_bp)
        shares = allocate(off, [lines[i].list_cents for i in day_idx])
        for i, share in zip(day_idx, shares, strict=True):
            nets[i], bases[i] = lines[i].list_cents - share, PriceBasis.MEMBER_DAY
        if off:
            pct = format_percent(day_bp)
            reason = Label(f"会员日优惠 {pct}", f"Member day {pct} off")
            ids = tuple(lines[i].line_id for i in day_idx)
            discounts.append(Discount("member_day", "", reason, off, ids))
    return nets, bases, tuple(discounts)


def best_spend_save(
    spend_cents: int, offers: Sequence[SpendSave], member: Member | None, now: datetime
) -> SpendSave | None:
    """The one spend-save offer that applies: the biggest saving reached (ties: lowest code)."""
    reached = [
        o
        for o in offers
        if o.window.contains(now)
        and (member is not None or not o.members_only)
        and o.threshold_cents <= spend_cents
        and o.save_cents > 0
    ]
    if not reached:
        return None
    return min(reached, key=lambda o: (-o.save_cents, o.code))


def apply_spend_save(line_ids: Sequence[str], nets: list[int], offer: SpendSave) -> Discount:
    """Take the saving off the lines in proportion to their net amounts (in place)."""
    shares = allocate(offer.save_cents, nets)
    for i, share in enumerate(shares):
        nets[i] -= share
    t, s = format_cents(offer.threshold_cents), format_cents(offer.save_cents)
    reason = Label(f"满{t}减{s}", f"Spend {t}, save {s}")
    return Discount("spend_save", offer.code, reason, offer.save_cents, tuple(line_ids))
