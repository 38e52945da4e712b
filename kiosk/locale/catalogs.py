"""Extract the kiosk's messages and update its catalogs: ``python kiosk/locale/catalogs.py``.

Sources: ``_()``/``gettext()``/``translate(lang, msg)`` in kiosk/**.py and ``tr("...")`` in
kiosk/**.kv. Writes ``kiosk.pot`` and merges it into each ``<lang>/LC_MESSAGES/kiosk.po``
with Babel, the same way ``pybabel extract`` + ``pybabel update`` would. Msgids are English.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).resolve().parent
KIOSK_DIR = LOCALE_DIR.parent
DOMAIN = "kiosk"
LANGUAGES = ("zh_Hans", "en")
KEYWORDS = {"_": None, "gettext": None, "translate": (2,), "tr": None}
_KV_TR = re.compile(r"""\btr\(\s*(["'])(.+?)\1""")


def extract_template() -> Catalog:
    """Every message the kiosk shows, as a POT catalog."""
    pot = Catalog(project="canteen-edge kiosk", domain=DOMAIN)
    for path in sorted(KIOSK_DIR.rglob("*.py")):
        if "locale" in path.parts:
            continue
        for _line, message, _comments, _ctx in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                pot.add(message, locations=[(str(path.relative_to(KIOSK_DIR)), _line)])
    for path in sorted(KIOSK_DIR.rglob("*.kv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in _KV_TR.finditer(line):
                pot.add(match.group(2), locations=[(str(path.relative_to(KIOSK_DIR)), n)])
    return pot


def update() -> None:
    """Write kiosk.pot and merge it into both catalogs (new entries have empty msgstr)."""
    pot = extract_template()
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as out:
        write_po(out, pot, omit_header=False, sort_output=True)
    for lang in LANGUAGES:
        po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as f:
                catalog = read_po(f, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="canteen-edge kiosk")
        catalog.update(pot, no_fuzzy_matching=True)
        if lang == "en":  # English msgids are the English text
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with po_path.open("wb") as out:
            write_po(out, catalog, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and not m.string]
        if missing:
            print(f"{lang}: {len(missing)} untranslated", file=sys.stderr)


if __name__ == "__main__":
    update()
