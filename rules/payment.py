"""The payment split, in ONE fixed order, and the points it earns.

Order: meal subsidy -> coupon -> points -> stored value (paid balance, then
bonus balance) -> counter. Each source pays as much as it can of what is
left. Offline, stored value (paid + bonus together) is capped by the member's
offline limit. What remains is refused with ``InsufficientFunds`` unless the
operator's policy sends it to the counter. A guest pays everything at the
counter. Points are earned only on money the diner really paid: the paid
stored-value balance and the counter (subsidy, coupon, points and bonus
balance earn nothing), floored to whole points.
"""

from __future__ import annotations

from rules.errors import InsufficientFunds
from rules.order import Member, Policy, Wallet
from rules.results import PAYMENT_LABELS, Payment, PaymentSource

S = PaymentSource


def split_payment(
    total_cents: int,
    member: Member | None,
    wallet: Wallet,
    coupon_value_cents: int,
    policy: Policy,
) -> tuple[tuple[Payment, ...], int, int]:
    """Return (payments in the fixed order, points used, points earned)."""
    if member is None:
        return _payments({S.COUNTER: total_cents}, 0), 0, 0
    left = total_cents
    paid: dict[PaymentSource, int] = {}
    points_used = 0

    def take(source: PaymentSource, available: int) -> int:
        nonlocal left
        amount = min(left, available)
        paid[source] = amount
        left -= amount
        return amount

    take(S.SUBSIDY, wallet.subsidy_cents)
    take(S.COUPON, coupon_value_cents)
    if wallet.use_points:
        rate = policy.points_rate
        covered = take(S.POINTS, wallet.points_balance * rate.cents // rate.points)
        # ceil: the diner never gets a fen of points cover for free
        points_used = -(-covered * rate.points // rate.cents)
    cap = wallet.paid_balance_cents + wallet.bonus_balance_cents
    if not wallet.online:
        cap = min(cap, wallet.offline_limit_cents)
    from_paid = take(S.STORED_VALUE_PAID, min(wallet.paid_balance_cents, cap))
    take(S.STORED_VALUE_BONUS, min(wallet.bonus_balance_cents, cap - from_paid))
    if left and not policy.remainder_to_counter:
        raise InsufficientFunds(left)
    paid[S.COUNTER] = left
    earning_base = paid[S.STORED_VALUE_PAID] + paid[S.COUNTER]
    earned = (
        earning_base
        * policy.points_earned_per_yuan
        * member.tier.points_multiplier_pct
        // (100 * 100)
    )
    return _payments(paid, points_used), points_used, earned


def _payments(paid: dict[PaymentSource, int], points_used: int) -> tuple[Payment, ...]:
    return tuple(
        Payment(
            source, paid[source], PAYMENT_LABELS[source], points_used if source is S.POINTS else 0
        )
        for source in S
        if paid.get(source, 0) > 0
    )
