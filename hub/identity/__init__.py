"""Member identifiers: signing keys and QR codes, cards, member search, member-cache deltas."""
