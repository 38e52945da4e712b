"""Coupons: templates in rules' shape, issuing (manual, bulk, automatic), redemption, promotions."""
