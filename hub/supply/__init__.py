"""Supply: inventory, recipes, portions, purchasing, pre-booking and demand forecast (issue 17)."""
