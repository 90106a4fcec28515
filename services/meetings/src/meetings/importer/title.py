"""The title line, and the group's name read from it."""

from __future__ import annotations

import re

from meetings.importer.lines import Row
from meetings.importer.notes import Notes
from meetings.importer.people import PRESENT_LABEL

DOC_KIND = re.compile(
    r"^(?:minnesanteckningar|minnesanteckning|mötesanteckningar|anteckningar|protokoll|mötesprotokoll)"
    r"(?:\s+(?:från|för|vid))?\s*:?$",
    re.IGNORECASE,
)


def take_title(rows: list[Row], used: set[int], notes: Notes) -> str | None:
    first = rows[0]
    if first.is_bullet or len(first.text) > 120 or PRESENT_LABEL.match(first.text):
        notes.add("Found no title line at the top; set the title by hand.")
        return None
    used.add(0)
    if DOC_KIND.match(first.text) and len(rows) > 1:
        second = rows[1]
        if not second.is_bullet and len(second.text) <= 120 and not PRESENT_LABEL.match(second.text):
            used.add(1)
            return second.text
    return first.text


_DOC_KIND_PREFIX = re.compile(
    r"^(?:(?:minnesanteckningar|mötesanteckningar|anteckningar|protokoll|mötesprotokoll)"
    r"(?:\s+(?:från|för|vid))?\s*[:\-–]?\s*)?(?:(?:möte|mötet|sammanträde)\s+(?:i|med|för)\s+)?",
    re.IGNORECASE,
)


def group_from_title(title: str | None, date_phrase: str | None) -> str | None:
    if not title:
        return None
    group = title.replace(date_phrase, " ") if date_phrase else title
    group = _DOC_KIND_PREFIX.sub("", group.strip())
    group = re.sub(r"\s+", " ", group).strip(" ,;:–-")
    return group or None
