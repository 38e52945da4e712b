"""Downlinks the hub publishes to sites and devices (catalog snapshots; see the issue 4 report)."""
