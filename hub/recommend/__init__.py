"""Recommendations on the hub: train model versions from orders, store them, ship them."""
