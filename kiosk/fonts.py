"""CJK fonts for the kiosk: extract the Simplified Chinese face of Noto Sans CJK and register it.

Kivy cannot pick a face inside a font collection (.ttc) and the first face of
NotoSansCJK is the Japanese one (骨 直 底 get Japanese shapes), so the SC face is
extracted once with fontTools into a cache directory (never into the repository)
and registered under :data:`FONT_NAME`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FONT_NAME = "CanteenSans"
"""The name every widget uses as ``font_name``."""

NOTO_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
)
SC_FAMILY = "Noto Sans CJK SC"


class FontError(RuntimeError):
    """No usable Simplified Chinese face could be found or extracted."""


@dataclass(frozen=True, slots=True)
class FontFiles:
    """The extracted regular and bold SC faces."""

    regular: Path
    bold: Path


def cache_dir() -> Path:
    """Where extracted faces live: ``$KIVY_HOME/fonts`` or ``~/.cache/canteen-edge/fonts``."""
    kivy_home = os.environ.get("KIVY_HOME")
    if kivy_home:
        return Path(kivy_home) / "fonts"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "canteen-edge" / "fonts"


def find_collection(weight: str) -> Path | None:
    """The system NotoSansCJK collection of ``weight`` ("Regular" or "Bold"), if installed."""
    for folder in NOTO_DIRS:
        candidate = folder / f"NotoSansCJK-{weight}.ttc"
        if candidate.exists():
            return candidate
    return None


def extract_sc_face(collection: Path, target: Path) -> Path:
    """Write the face whose family is Noto Sans CJK SC from ``collection`` to ``target``."""
    if target.exists() and target.stat().st_size > 0:
        return target
    from fontTools.ttLib import TTCollection

    try:
        fonts = TTCollection(str(collection)).fonts
    except Exception as err:  # fontTools raises many types on a damaged file
        raise FontError(f"cannot read font collection {collection}: {err}") from err
    for face in fonts:
        if face["name"].getDebugName(1) == SC_FAMILY:
            target.parent.mkdir(parents=True, exist_ok=True)
            # write to a temp file and rename, so a killed process leaves no half font
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            os.close(fd)
            face.save(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            log.info("extracted %s from %s to %s", SC_FAMILY, collection, target)
            return target
    raise FontError(f"{collection} has no {SC_FAMILY} face")


def ensure_fonts(folder: Path | None = None) -> FontFiles:
    """Extract (once) the regular and bold SC faces and return their paths."""
    folder = folder or cache_dir()
    regular_ttc = find_collection("Regular")
    if regular_ttc is None:
        raise FontError("NotoSansCJK-Regular.ttc not found: apt install fonts-noto-cjk")
    regular = extract_sc_face(regular_ttc, folder / "NotoSansCJKsc-Regular.otf")
    bold_ttc = find_collection("Bold")
    bold = extract_sc_face(bold_ttc, folder / "NotoSansCJKsc-Bold.otf") if bold_ttc else regular
    return FontFiles(regular=regular, bold=bold)


def register_fonts(folder: Path | None = None) -> str:
    """Register the SC faces with Kivy under :data:`FONT_NAME`; fall back to Roboto with a log."""
    from kivy.core.text import LabelBase

    try:
        files = ensure_fonts(folder)
    except FontError as err:
        log.error("Chinese font unavailable, Chinese text will not render: %s", err)
        return "Roboto"
    LabelBase.register(
        name=FONT_NAME,
        fn_regular=str(files.regular),
        fn_bold=str(files.bold),
    )
    return FONT_NAME
