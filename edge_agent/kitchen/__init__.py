"""Kitchen side of a site: tickets from the site broker, local KDS and pickup state, bumps."""
