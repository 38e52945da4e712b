"""Simulated devices on pseudo-terminals that speak the real devices' bytes (tests and demo)."""
