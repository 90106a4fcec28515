"""Keeps the English catalogue in step with the code: `python catalogue.py [TRANSLATIONS.tsv]`.

Extracts every message id from the gateway's Python files and templates, keeps the English
translations already in locales/en, adds the ones given in the tab-separated file, and writes the
catalogue. A unit test fails when a message has no English translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "src" / "gateway"
PO = SOURCE / "locales" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted_ids() -> list[str]:
    seen: dict[str, None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        seen[message if isinstance(message, str) else message[0]] = None
    return list(seen)


def main(argv: list[str]) -> None:
    known: dict[str, str] = {}
    if PO.exists():
        with PO.open("rb") as f:
            known = {m.id: m.string for m in read_po(f) if m.id and m.string}  # type: ignore[misc]
    if argv:
        for line in Path(argv[0]).read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                sv, en = line.split("\t", 1)
                known[sv] = en
    catalog = Catalog(locale="en", project="Delaktig", domain="messages", fuzzy=False)
    missing = []
    for message_id in extracted_ids():
        catalog.add(message_id, known.get(message_id, ""))
        if not known.get(message_id):
            missing.append(message_id)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, sort_output=True, width=100)
    for message_id in missing:
        print(f"untranslated: {message_id}")


if __name__ == "__main__":
    main(sys.argv[1:])
