"""Extract the hub's messages and update its catalogs: ``python hub/locale/catalogs.py``.

Sources: the files ``babel.cfg`` names, plus SQLAdmin's templates and Python messages
(SQLAdmin ships no Chinese, so its strings are translated in the hub's own catalog).
Writes ``hub.pot`` and merges it into each ``<lang>/LC_MESSAGES/hub.po`` with Babel, the
same way ``pybabel extract`` + ``pybabel update`` would.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import sqladmin
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).resolve().parent
ROOT = LOCALE_DIR.parent.parent
SQLADMIN_DIR = Path(sqladmin.__file__).resolve().parent
DOMAIN = "hub"
LANGUAGES = ("zh_Hans", "en")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
}
# Shown by SQLAdmin but passed to the template as a plain literal, so no extractor sees it.
EXTRA_MESSAGES = ("Invalid credentials.",)
SQLADMIN_MAPPING = [("templates/**.html", "jinja2"), ("application.py", "python")]


def _extract(
    directory: Path, mapping: list[tuple[str, str]]
) -> Iterable[tuple[str | tuple[str, ...], str]]:
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(directory), method_map=mapping, keywords=KEYWORDS
    ):
        yield message, str(directory)


def extract_template() -> Catalog:
    """Every message the hub shows, as a POT catalog."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, _options = parse_mapping_cfg(cfg)
    template = Catalog(project="canteen-edge hub", domain=DOMAIN, fuzzy=False)
    for message, _where in _extract(ROOT, method_map):
        template.add(message)
    for message, _where in _extract(SQLADMIN_DIR, SQLADMIN_MAPPING):
        template.add(message)
    for message in EXTRA_MESSAGES:
        template.add(message)
    return template


def update_catalogs() -> list[Path]:
    """Write hub.pot and merge it into every language's hub.po; return the files written."""
    template = extract_template()
    written = [LOCALE_DIR / f"{DOMAIN}.pot"]
    with written[0].open("wb") as pot:
        write_po(pot, template, omit_header=False, sort_output=True, no_location=True)
    for lang in LANGUAGES:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            with path.open("rb") as po:
                catalog = read_po(po, locale=lang, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as po:
            write_po(po, catalog, sort_output=True, no_location=True, ignore_obsolete=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in update_catalogs():
        sys.stdout.write(f"wrote {written_path.relative_to(ROOT)}\n")
