"""Demo data: a bilingual company canteen and a school canteen, written by `seed_demo`."""

from hub.seed.load import SeedError, SeedSummary, seed_demo

__all__ = ["SeedError", "SeedSummary", "seed_demo"]
