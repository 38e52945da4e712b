"""Alembic migrations of the hub schema (driven by hub.migrate, no alembic.ini needed)."""
