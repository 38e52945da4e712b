"""Training time for about 1,000,000 orders (target: under 60 s on this machine).

One command: ``python bench/recommend_train.py [--orders 1000000]``. Generates a synthetic
canteen of that size, then times the hub's training (tuned blend) against a popularity
count over the same orders, measured in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from models.recommend.data import menu_matrix
from models.recommend.synth import generate
from models.recommend.train import train


def main() -> None:
    """Generate, train, print the times."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=1_000_000)
    p.add_argument("--dishes", type=int, default=400)
    args = p.parse_args()
    days = 140
    members = max(100, int(args.orders / (days * 1.15)))  # ~1.15 orders a member-day
    t = time.perf_counter()
    canteen = generate(21, members=members, days=days, dishes=args.dishes)
    gen_s = time.perf_counter() - t
    log = canteen.log
    menus = menu_matrix(canteen.menus(), log.dish_ids)
    t = time.perf_counter()
    np.bincount(log.dish, minlength=len(log.dish_ids))
    base_s = time.perf_counter() - t
    t = time.perf_counter()
    model = train(log, menus=menus)
    train_s = time.perf_counter() - t
    print(f"orders {log.n_orders:,}  order lines {log.dish.size:,}  members {members:,}"
          f"  dishes {len(log.dish_ids)}  (generated in {gen_s:.1f} s)")
    print(f"baseline popularity count: {base_s * 1e3:.1f} ms")
    print(f"model training (tuned):    {train_s:.1f} s   target < 60 s:"
          f" {'met' if train_s < 60 else 'NOT met'}")
    print(f"chosen weights: { {k: v for k, v in model.params.items()} }")


if __name__ == "__main__":
    main()
