"""``python -m kiosk.pickup --config pickup.toml``."""

from kiosk.kds.wiring import main

raise SystemExit(main())
