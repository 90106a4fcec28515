"""Splitting a paragraph into sentences without breaking at abbreviations ("t.ex.", "kl.")."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    {
        "alt", "ang", "bl.a", "ca", "d.v.s", "dvs", "dr", "el", "enl", "etc", "ev", "ex", "exkl", "f.d",
        "fd", "forts", "fr.o.m", "inkl", "jfr", "kl", "m.fl", "m.m", "max", "mfl", "min", "mm", "nr", "o.d",
        "o.s.v", "obs", "osv", "p.g.a", "pga", "prel", "prof", "resp", "s", "sek", "st", "t.ex", "t.o.m",
        "tel", "tex", "tfn",
    }
)  # fmt: skip
# Starts only where a run of stops starts and takes the run whole, so "......" is read once.
_SENTENCE_BREAK = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s+[\"“”'(]?[\dA-ZÅÄÖÉ])")
_WORD_BEFORE_STOP = re.compile(r"[\w.]+$")
_LONGEST_ABBREVIATION = 12


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if text[match.start()] == ".":
            # Only the last few characters can make an abbreviation; looking further back would
            # read the whole text again at every full stop.
            window = text[max(start, match.start() - _LONGEST_ABBREVIATION) : match.start()]
            word = _WORD_BEFORE_STOP.search(window)
            before = word.group().casefold() if word else ""
            if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
                continue  # "alt. 8:30", "Bent S. Nilsen"
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
