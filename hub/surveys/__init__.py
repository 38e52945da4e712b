"""Dish votes and short surveys (the member page answers them; managers set them up)."""
