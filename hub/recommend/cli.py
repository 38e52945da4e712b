"""``canteen-hub recommend``: ``evaluate`` (offline, on CSVs) and ``train`` (from the hub's orders).

``evaluate --orders FILE.csv [--menus FILE.csv] [--k 10]`` needs no settings or database and
prints exactly one JSON object on stdout; refusals go to stderr with the line and reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from models.recommend.data import BadInput, read_menus, read_orders
from models.recommend.evaluate import evaluate

log = logging.getLogger(__name__)

EXIT_REFUSED = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="canteen-hub recommend", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="the model against three baselines on a time split")
    ev.add_argument("--orders", type=Path, required=True, help="CSV member_id,ordered_at,dish_id")
    ev.add_argument("--menus", type=Path, default=None, help="CSV date,dish_id (served that day)")
    ev.add_argument("--k", type=int, default=10, help="cut-off of Recall@k and NDCG@k")
    tr = sub.add_parser("train", help="train a model version per site from the hub's orders")
    tr.add_argument("--site", action="append", default=None,
                    help="site code (repeatable; default every active site)")
    tr.add_argument("--days", type=int, default=120, help="days of orders to learn from")
    tr.add_argument("--no-tune", action="store_true", help="default blend weights (faster)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument("--seed-history", action="store_true",
                    help="demo: first write a plausible order history for a site with none")
    tr.add_argument("--publish", action="store_true",
                    help="then send the new version to every active kiosk of the site")
    return p


class ProgressBar:
    """A one-line text progress bar on stderr (only when stderr is a terminal, unless forced)."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.last = ""

    def __call__(self, stage: str, fraction: float) -> None:
        """Redraw for ``stage`` at ``fraction`` (0..1)."""
        if not self.enabled:
            return
        filled = int(max(0.0, min(1.0, fraction)) * 30)
        line = f"\r{self.label} {stage:<5} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}"
        if line != self.last:
            sys.stderr.write(line)
            sys.stderr.flush()
            self.last = line

    def done(self) -> None:
        """End the bar's line."""
        if self.enabled and self.last:
            sys.stderr.write("\n")


def _evaluate(args: argparse.Namespace) -> int:
    if args.k < 1 or args.k > 1000:
        print(f"--k must be between 1 and 1000, got {args.k}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        menus = read_menus(args.menus) if args.menus is not None else None
        dish_ids = sorted({d for ids in menus.values() for d in ids}) if menus else None
        log_ = read_orders(args.orders, dish_ids)
    except BadInput as err:
        print(f"refused: {err}", file=sys.stderr)
        return EXIT_REFUSED
    bar = ProgressBar("evaluate")
    result = evaluate(log_, menus, k=args.k, progress=bar)
    bar.done()
    print(json.dumps(result, sort_keys=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``canteen-hub recommend ...``; the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "evaluate":
        return _evaluate(args)
    from hub.recommend.service import train_command  # the database only for `train`

    return train_command(site_codes=args.site, days=args.days, tune=not args.no_tune,
                         progress=None if args.quiet else ProgressBar("train", enabled=True),
                         seed_history=args.seed_history, publish=args.publish)
