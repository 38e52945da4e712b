"""Pure business rules shared by kiosk and hub: money, dietary filtering, pricing.

Stdlib only, no I/O, no clock reads: callers pass ``now`` in, so the kiosk
(offline) and the hub (authoritative) compute identical results.
"""
