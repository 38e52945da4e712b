"""Pure business rules shared by kiosk and hub: money, dietary filtering, pricing.

Stdlib only, no I/O, no clock reads: callers pass ``now`` in, so the kiosk
(offline) and the hub (authoritative) compute identical results.
"""

RULES_VERSION = "1"
"""The stacking policy's version; the kiosk sends it with each order (``pricing.rules_version``)."""
