"""Face-ID on the hub: consented templates, sealed per site (issue 18)."""
