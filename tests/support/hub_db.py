"""A hub database made the way the hub makes its own: migrated with its own helper."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from hub.db import make_engine
from hub.migrate import upgrade_to_head
from hub.settings import Settings


def migrated_engine(directory: Path) -> Engine:
    """A fresh hub database in `directory`, migrated with the hub's own helper."""
    engine = make_engine(Settings(demo_mode=True, data_dir=directory))
    upgrade_to_head(engine)
    return engine
