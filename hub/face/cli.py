"""``canteen-hub face ...``: offline face-ID checks (no settings or database needed).

``canteen-hub face check-models`` loads the packaged models the kiosks use, verifies
their sha256 and prints what was loaded and how long it took; exit 1 when they are
missing or corrupt (what a kiosk would then do: keep serving by QR and card).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence


def _check_models(_args: argparse.Namespace) -> int:
    from models.face.dlib_models import MODEL_NAME, SHA256, build_pipeline
    from models.face.types import FaceModelError

    started = time.perf_counter()
    try:
        build_pipeline()
    except FaceModelError as err:
        print(f"face models unusable: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"model": MODEL_NAME, "files": SHA256,
                      "load_ms": round((time.perf_counter() - started) * 1000)}, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``canteen-hub face``."""
    parser = argparse.ArgumentParser(prog="canteen-hub face", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check-models", help="load and verify the packaged face models")
    check.set_defaults(func=_check_models)
    args = parser.parse_args(argv)
    return int(args.func(args))
