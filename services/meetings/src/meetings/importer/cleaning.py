"""Cleaning the text: characters, page furniture, tables of contents, broken URLs and words."""

from __future__ import annotations

import itertools
import re
from collections import Counter

from meetings.importer.dates import date_hits
from meetings.importer.lines import ENDS_CLAUSE, contents_key, is_bullet_line, line_key
from meetings.importer.notes import Notes
from meetings.importer.people import PRESENT_LABEL
from meetings.importer.title import DOC_KIND

_SPACE_LIKE = str.maketrans(dict.fromkeys("\t\u00a0\u2002\u2003\u2007\u2009\u200a\u202f\u205f\u3000", " "))
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_SPACE_RUN = re.compile(r"(?<=[^ \n]) {2,}")


_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:sida|sid\.?|s\.|page)\s*)?\d{1,3}"
    r"(?:\s*(?:\(\s*\d{1,3}\s*\)|(?:av|/|of)\s*\d{1,3}))?(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_CONTENTS_LABEL = re.compile(r"^\s*innehåll(?:sförteckning)?\s*:?\s*$", re.IGNORECASE)
# Every expression here runs on text from outside, up to half a million characters: none may let
# two quantifiers compete for the same characters, or a long run of dots or spaces takes minutes.
# Runs of spaces inside a line are already single (see `clean_lines`). A dot leader is matched from
# its end, so a line is scanned once: leader, page number, end of line.
_LEADER_AND_PAGE = re.compile(r"(?:\.{3}|…|(?:\. ?){2}\.|_{3}) ?\d{1,3}$")


def clean_lines(text: str, notes: Notes) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Word's manual line break and the Unicode separators are line breaks for our purposes.
    text = re.sub("[\x0b\x85\u2028\u2029]", "\n", text)
    text = text.translate(_SPACE_LIKE).translate(_INVISIBLE)
    # A soft hyphen at a line end marks where a word was split; anywhere else it is invisible.
    text = re.sub(r"\u00ad *\n *", "", text).replace("\u00ad", "")
    text = _CONTROL.sub("", text)
    # Only indentation says anything (bullet levels); a run of spaces inside a line is one space.
    text = _SPACE_RUN.sub(" ", text)
    pages = [[line.rstrip() for line in page.split("\n")] for page in text.split("\f")]
    lines = _drop_page_furniture(pages, notes)
    lines = _drop_contents_listings(lines)
    lines = _join_broken_urls(lines)
    return _join_hyphenated_words(lines)


_DIGIT_RUN = re.compile(r"\d+")


def _shape(text: str) -> str:
    """A line's key with numbers blurred, so "Sida 2 av 5" and "Sida 3 av 5" count as the same."""
    return _DIGIT_RUN.sub("#", line_key(text))


def _drop_page_furniture(pages: list[list[str]], notes: Notes) -> list[str]:
    running: set[str] = set()
    if len(pages) > 1:
        # With form feeds we know where pages start and end: a line that opens or closes two
        # pages is a running header or footer.
        seen: Counter[str] = Counter()
        for page in pages:
            printed = [
                line
                for line in page
                if line.strip() and not _PAGE_NUMBER.match(line) and not is_bullet_line(line)
            ]
            seen.update({_shape(line) for line in printed[:2] + printed[-2:]})
        running = {shape for shape, count in seen.items() if count >= 2}

    lines: list[str] = []
    for number, page in enumerate(pages):
        if number:
            lines.append("")
        lines.extend(page)

    content = [i for i, line in enumerate(lines) if line.strip() and not _PAGE_NUMBER.match(line)]
    if not content:
        return []
    title_at = _title_line(lines, content, running)
    title_key = line_key(lines[title_at])
    positions: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.strip():
            positions.setdefault(_shape(line), []).append(i)

    # Three or more times, spread out as pages are; a phrase repeated a few lines apart
    # ("Inget nytt att rapportera") is content. Worked out once per shape, not once per line.
    spread_out = {
        shape
        for shape, found in positions.items()
        if len(found) >= 3 and min(b - a for a, b in itertools.pairwise(found)) >= 15
    }

    def repeats_like_a_page_header(shape: str) -> bool:
        return shape in spread_out

    kept: list[str] = []
    removed: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or i == title_at:
            kept.append(line if stripped else "")
            continue
        if i < title_at:
            if DOC_KIND.match(stripped):
                kept.append(line)
            continue  # a running header or page number above the title
        if _PAGE_NUMBER.match(line) or line_key(line) == title_key or _shape(line) in running:
            continue
        if (
            repeats_like_a_page_header(_shape(line))
            and not is_bullet_line(line)
            and not ENDS_CLAUSE.search(stripped)
            and len(stripped.split()) >= 2
            and len(stripped) <= 80
        ):
            removed.append(stripped)
            continue
        kept.append(line)
    if removed:
        notes.add(
            f'Removed {len(removed)} lines that repeat like a page header or footer ("{removed[0]}"); '
            "check that no text was lost."
        )
    return kept


def _title_line(lines: list[str], content: list[int], running: set[str]) -> int:
    """Index of the title: the first line, unless it is a running header printed above the title.

    The title itself may also repeat at the top of every page, so among the repeated lines at the
    top the one naming a date wins, else the first line that does not repeat.
    """
    leading = list(itertools.takewhile(lambda i: _shape(lines[i]) in running, content))
    rest = content[len(leading) :]
    candidates = leading + rest[:1]
    dated = [i for i in candidates if any(hit.days for hit in date_hits(lines[i]))]
    if dated:
        title_at = dated[0]
    elif rest and not PRESENT_LABEL.match(lines[rest[0]].strip()):
        title_at = rest[0]
    else:
        title_at = leading[-1] if leading else content[0]
    # Under a bare "Minnesanteckningar" the informative title is the next line.
    following = [i for i in content if i > title_at]
    if DOC_KIND.match(lines[title_at].strip()) and following:
        return following[0]
    return title_at


def _is_dot_leader(line: str) -> bool:
    """ "Övriga frågor ........ 3": an entry of a table of contents with its page number."""
    end = _LEADER_AND_PAGE.search(line.rstrip())
    return end is not None and bool(line[: end.start()].strip())


def _drop_contents_listings(lines: list[str]) -> list[str]:
    """Drop dot-leader lines and a table of contents that follows an "Innehåll" label.

    A contents list without a label, repeated at the end of a PDF export, is recognised later,
    once the signature is known (see `drop_trailing_contents`).
    """
    keys = Counter(line_key(line) for line in lines if line.strip())

    def listed_elsewhere(line: str) -> bool:
        entry = contents_key(line)
        return bool(entry) and keys[entry] - (1 if entry == line_key(line) else 0) >= 1

    drop: set[int] = set()
    for i, line in enumerate(lines):
        if _is_dot_leader(line):
            drop.add(i)
        elif _CONTENTS_LABEL.match(line):
            block = [i]
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip()
                or _is_dot_leader(lines[j])
                or (not is_bullet_line(lines[j]) and listed_elsewhere(lines[j]))
            ):
                block.append(j)
                j += 1
            while len(block) > 1 and not lines[block[-1]].strip():
                block.pop()  # keep the blank lines after the list: they separate what follows
            drop.update(block)
    return [line for i, line in enumerate(lines) if i not in drop]


_URL_AT_END = re.compile(r"(?:https?://|www\.)\S*$", re.IGNORECASE)


def _url_continues(url: str, next_line: str) -> bool:
    nxt = next_line.strip()
    if not nxt or is_bullet_line(nxt):
        return False
    token = nxt.split()[0]
    if not re.fullmatch(r"[\w\-./?=&#%~+:@!,;]+", token):
        return False
    if re.search(r"[/=?&#%_]|\w\.\w", token):
        return True
    return (
        url.endswith(("-", "_", "=", "?", "&", "%", "#", "://"))
        and re.fullmatch(r"[\w\-]+", token) is not None
    )


# Only the end of a joined line is looked at: searching the whole line again after every join
# would read a URL or a word broken over thousands of lines thousands of times.
_LONGEST_URL = 2000
_LONGEST_WORD = 40


def _join_broken_urls(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        parts = [lines[i]]
        tail = lines[i]
        while i + 1 < len(lines):
            match = _URL_AT_END.search(tail, max(0, len(tail) - _LONGEST_URL))
            if match is None or not _url_continues(match.group(), lines[i + 1]):
                break
            parts.append(lines[i + 1].strip())
            tail = (tail + parts[-1])[-2 * _LONGEST_URL :]
            i += 1
        out.append("".join(parts))
        i += 1
    return out


_HYPHEN_AT_END = re.compile(rf"(?<![\w\-])(?P<word>[^\W\d_]{{1,{_LONGEST_WORD}}})-$")
_KEEPS_SUSPENDED_HYPHEN = {"och", "eller", "samt", "som", "till", "resp", "respektive"}


def _join_hyphenated_words(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        parts = [lines[i]]
        tail = lines[i][-4 * _LONGEST_WORD :]
        while i + 1 < len(lines):
            # The search starts near the end, but the look-behind still sees the letter before.
            match = _HYPHEN_AT_END.search(tail, max(0, len(tail) - _LONGEST_WORD - 1))
            nxt = lines[i + 1].strip()
            if match is None or not nxt or not nxt[0].islower() or is_bullet_line(nxt):
                break
            if nxt.split()[0].rstrip(",.;:") in _KEEPS_SUSPENDED_HYPHEN:
                break  # "in- och utflyttning": the hyphen belongs there
            word = match["word"]
            # "IT-gruppen", "e-tjänst": after capitals or a single letter the hyphen is part of the word.
            if not (len(word) == 1 or word[-1].isupper()):
                parts[-1] = parts[-1][:-1]
                tail = tail[:-1]
            parts.append(nxt)
            tail = (tail + nxt)[-4 * _LONGEST_WORD :]
            i += 1
        out.append("".join(parts))
        i += 1
    return out
