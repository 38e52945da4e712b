"""Run the fleet CLI: ``python -m hub.fleet --help``."""

import sys

from hub.fleet.cli import main

sys.exit(main())
