"""``python -m kiosk.kds --config kds.toml``."""

from kiosk.kds.wiring import main

raise SystemExit(main())
