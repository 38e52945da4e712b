"""Member accounts and money: ledgers, subsidies, points, tiers, offline reconciliation, audit.

What other parts call:
- ingest worker: ``reconcile.post_order_payments(session, order_id=..., member_id=...,
  payments=..., offline=..., placed_at=..., total_cents=..., meal_period=...)`` inside its
  own transaction (flushes, never commits; idempotent on the order id);
- member-cache builder: ``wallet.member_wallet(session, member_id=..., meal_period=..., at=...)``;
- scheduler / CLI (``python -m hub.accounts``): ``subsidies.grant_subsidies``,
  ``subsidies.expire_subsidies``, ``points.expire_points``, ``tiers.recalculate_tiers``.
"""
