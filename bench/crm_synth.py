"""A synthetic canteen's visit history with churn, for the CRM benchmarks (issue 13).

Canteen-like on purpose: members eat on most working days or on a few, rarely at
weekends; some join late (new staff), some leave for good (a job change, a move) and
some drift away slowly (eating out more); public-holiday weeks are quiet for everyone.
Same seed, same history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

START = date(2025, 1, 6)  # a Monday


@dataclass(frozen=True)
class Txn:
    """One visit: member key, day, amount in yuan, meal period (0 breakfast .. 2 dinner)."""

    member: str
    day: date
    amount: float
    period: int


def canteen(members: int = 2000, days: int = 365, seed: int = 13) -> list[Txn]:
    """Visits of ``members`` over ``days`` days from START, in day order."""
    rng = np.random.default_rng(seed)
    rate = rng.beta(1.3, 1.6, members) * 0.95  # chance to eat on a working day
    join = np.where(rng.random(members) < 0.7, 0, rng.integers(0, days, members))
    leave = np.where(rng.random(members) < 0.35, rng.integers(0, days * 2, members), days * 9)
    drift = np.where(rng.random(members) < 0.2, rng.uniform(0.002, 0.01, members), 0.0)
    spend = rng.lognormal(np.log(16), 0.3, members)
    holidays = {d for d in range(days) if (d // 7) in (5, 17, 39)}
    out: list[Txn] = []
    for day in range(days):
        weekday = (START + timedelta(days=day)).weekday()
        base = rate * (0.15 if weekday >= 5 else 1.0) * (0.2 if day in holidays else 1.0)
        active = (day >= join) & (day < join + leave)
        p = base * np.exp(-drift * np.maximum(day - join, 0))
        who = np.nonzero(active & (rng.random(members) < p))[0]
        when = START + timedelta(days=day)
        amounts = spend[who] * rng.lognormal(0, 0.25, len(who))
        periods = rng.choice(3, len(who), p=(0.2, 0.6, 0.2))
        out.extend(Txn(f"m{i:06d}", when, round(float(a), 2), int(pr))
                   for i, a, pr in zip(who, amounts, periods, strict=True))
    return out
