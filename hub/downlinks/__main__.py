"""Run the downlink publisher: ``python -m hub.downlinks``."""

from hub.downlinks.loop import main

raise SystemExit(main())
