"""``python -m edge_agent``: same as ``canteen-agent``."""

from edge_agent.cli import main

raise SystemExit(main())
