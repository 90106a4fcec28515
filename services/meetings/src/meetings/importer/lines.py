"""What a line looks like (a bullet, the end of a clause, prose), and rows: the non-blank lines with
their bullet marker and the number of blank lines before them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_GLYPHS = "•●◦○▪■□▫►▸‣⁃∙·➢➤✓✔\uf0b7\uf0a7\uf0a8\uf076\uf0d8\uf0e0\uf0fc"
_BULLET = re.compile(
    rf"^(?:(?P<glyph>[{_GLYPHS}]) *|(?P<spaced>[-–—*o]) +|(?P<number>\d{{1,2}}[.)]|[a-zA-Z]\)) +)"
    r"(?P<text>\S.*)$"
)
_GLYPH_CLASSES = {
    **dict.fromkeys("•●∙·*\uf0b7", "dot"),
    **dict.fromkeys("o◦○", "circle"),
    **dict.fromkeys("▪■□▫\uf0a7\uf0a8", "square"),
    **dict.fromkeys("-–—", "dash"),
    **dict.fromkeys("►▸‣⁃➢➤\uf0d8\uf0e0", "arrow"),
    **dict.fromkeys("✓✔\uf0fc\uf076", "check"),
}


_CONTENTS_ENTRY = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?\s+)?(?P<entry>.*?\S)(?:\s+\d{1,3})?\s*$")
ENDS_CLAUSE = re.compile(r"[.!?:;…,][\"'”’)\]]*$")
ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


def line_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_bullet_line(line: str) -> bool:
    return _BULLET.match(line.strip()) is not None


def contents_key(line: str) -> str:
    match = _CONTENTS_ENTRY.match(line)
    return line_key(match["entry"]) if match else ""


@dataclass(slots=True)
class Row:
    line: str  # the cleaned line without indentation, marker included
    text: str  # the content without a bullet marker
    indent: int
    label: str | None  # normalised bullet label ("-", "1.", "a)"); None for ordinary text
    marker_class: str | None
    blank_before: int
    continued: bool = False  # rejoined to the line before after a page break

    @property
    def is_bullet(self) -> bool:
        return self.label is not None


def read_rows(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    blanks = 0
    for line in lines:
        if not line.strip():
            blanks += 1
            continue
        stripped = re.sub(r" {2,}", " ", line.strip())
        indent = len(line) - len(line.lstrip(" "))
        match = _BULLET.match(stripped)
        if match is None:
            rows.append(Row(stripped, stripped, indent, None, None, blanks))
        elif match["number"]:
            number = match["number"]
            marker_class = "alpha" if number[0].isalpha() else f"number{number[-1]}"
            rows.append(Row(stripped, match["text"], indent, number, marker_class, blanks))
        else:
            glyph = match["glyph"] or match["spaced"] or ""
            rows.append(Row(stripped, match["text"], indent, "-", _GLYPH_CLASSES.get(glyph, "dot"), blanks))
        blanks = 0

    for previous, row in itertools.pairwise(rows):
        open_end = not ENDS_CLAUSE.search(previous.text)
        if row.marker_class == "dash" and row.blank_before == 0 and row.text[:1].islower() and open_end:
            # "– det är svårt ..." wrapped onto a new line is a dash inside a sentence, not a bullet.
            row.text, row.label, row.marker_class, row.continued = row.line, None, None, True
        elif not row.is_bullet and row.blank_before and row.text[:1].islower() and open_end:
            # A sentence that goes on in lower case after blank lines was split by a page break.
            row.blank_before, row.continued = 0, True
    return rows


def looks_like_prose(row: Row) -> bool:
    words = row.text.split()
    return len(words) >= 8 or len(row.text) > 70 or (bool(ENDS_SENTENCE.search(row.text)) and len(words) >= 4)
