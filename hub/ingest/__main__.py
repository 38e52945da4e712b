"""``python -m hub.ingest``: run one ingest worker."""

from hub.ingest.cli import main

raise SystemExit(main())
