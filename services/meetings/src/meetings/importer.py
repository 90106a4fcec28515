"""Read old minutes of the joint development group from plain text into structured, reviewable data.

Pure parsing: text in, `ParsedMinutes` out, no database and no network. The minutes were written by
different people in Word and exported to text or PDF, so the format drifts from meeting to meeting.
The parser follows the shape of the format (title, attendance, short headings over body text, a
signature) rather than any one file, and whatever it cannot decide is reported in `warnings`, which
also makes `needs_review` true: a person checks it instead of the parser guessing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "ActionItem",
    "Attendee",
    "Decision",
    "MentionedDate",
    "ParsedMinutes",
    "Section",
    "parse_minutes",
]


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Attendee:
    name: str
    organisation: str | None = None
    role: str | None = None  # "ordförande", "sekreterare" ... when the list says so

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "organisation": self.organisation, "role": self.role}


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None  # None for text before the first heading
    text: str  # paragraphs separated by a blank line; bullets as "- ", sub-bullets as "  - "

    def to_dict(self) -> dict[str, Any]:
        return {"heading": self.heading, "text": self.text}


@dataclass(frozen=True, slots=True)
class Decision:
    text: str
    section: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "section": self.section}


@dataclass(frozen=True, slots=True)
class ActionItem:
    text: str
    owner: str | None  # as written ("Martina", "Leif och Catrin"); None when no owner can be read
    section: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "owner": self.owner, "section": self.section}


@dataclass(frozen=True, slots=True)
class MentionedDate:
    phrase: str  # as written, e.g. "den 3 och 4 maj"; a phrase naming two days gives two entries
    sentence: str
    date: dt.date | None  # None when the phrase names no single day or the year is unknown
    section: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "sentence": self.sentence,
            "date": _iso(self.date),
            "section": self.section,
        }


@dataclass(slots=True)
class ParsedMinutes:
    title: str | None
    group: str | None
    date: dt.date | None
    attendees: list[Attendee] = field(default_factory=list)
    absent: list[Attendee] = field(default_factory=list)
    minute_taker: str | None = None
    sections: list[Section] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    mentioned_dates: list[MentionedDate] = field(default_factory=list)
    next_meeting: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
    source_name: str | None = None

    @property
    def needs_review(self) -> bool:
        return bool(self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "date": _iso(self.date),
            "needs_review": self.needs_review,
            "group": self.group,
            "source_name": self.source_name,
            "attendees": [person.to_dict() for person in self.attendees],
            "absent": [person.to_dict() for person in self.absent],
            "minute_taker": self.minute_taker,
            "sections": [section.to_dict() for section in self.sections],
            "decisions": [decision.to_dict() for decision in self.decisions],
            "action_items": [item.to_dict() for item in self.action_items],
            "mentioned_dates": [mention.to_dict() for mention in self.mentioned_dates],
            "next_meeting": _iso(self.next_meeting),
            "warnings": list(self.warnings),
        }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------------------------------
# Entry point


def parse_minutes(text: str, *, year: int | None = None, source_name: str | None = None) -> ParsedMinutes:
    """Parse one set of minutes.

    `year` is used only when the text names the meeting day without a year ("7 mars"); a year in
    the text wins, with a warning if the two differ. `source_name` (usually the file name) is only
    echoed back and used to make warnings more helpful; it is never taken as evidence.
    """
    notes = _Notes()
    rows = _rows(_clean_lines(text, notes))
    if not rows:
        notes.add("The text is empty; there is nothing to import.")
        return ParsedMinutes(title=None, group=None, date=None, warnings=notes.items, source_name=source_name)

    used: set[int] = set()
    title = _take_title(rows, used, notes)
    attendees, absent = _take_attendance(rows, used, notes)
    minute_taker = _take_signatures(rows, used, attendees, notes)

    body = _drop_trailing_contents(rows, [i for i in range(len(rows)) if i not in used])
    drafts = _sections(rows, body, notes)

    preamble = [row.text for row in drafts[0].rows] if drafts and drafts[0].heading is None else []
    meeting_date, date_phrase = _meeting_date(title, preamble, year, source_name, notes)
    base_year = meeting_date.year if meeting_date else year
    context = _Context(meeting_date, base_year)
    findings = _analyse(drafts, context, notes)
    if findings.unresolved_dates:
        count = findings.unresolved_dates
        notes.add(
            f"{count} date{'s' if count > 1 else ''} in the text {'have' if count > 1 else 'has'} no year "
            "and none was given, so they are left empty; give the year (--year) to resolve them."
        )

    return ParsedMinutes(
        title=title,
        group=_group_from_title(title, date_phrase),
        date=meeting_date,
        attendees=attendees,
        absent=absent,
        minute_taker=minute_taker,
        sections=[Section(draft.heading, _render(draft.items)) for draft in drafts],
        decisions=findings.decisions,
        action_items=findings.actions,
        mentioned_dates=findings.dates,
        next_meeting=findings.next_meeting,
        warnings=notes.items,
        source_name=source_name,
    )


class _Notes:
    """Warnings in the order found, each once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)


# --------------------------------------------------------------------------------------------------
# Cleaning: characters, page furniture, tables of contents, broken URLs and words

_SPACE_LIKE = str.maketrans(dict.fromkeys("\t\u00a0\u2002\u2003\u2007\u2009\u200a\u202f\u205f\u3000", " "))
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

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

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:sida|sid\.?|s\.|page)\s*)?\d{1,3}"
    r"(?:\s*(?:\(\s*\d{1,3}\s*\)|(?:av|/|of)\s*\d{1,3}))?(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_CONTENTS_LABEL = re.compile(r"^\s*innehåll(?:sförteckning)?\s*:?\s*$", re.IGNORECASE)
_DOT_LEADER = re.compile(r"^\s*\S.*?\s*(?:\.{3,}|…+|(?:\.\s){3,}|_{3,})\s*\d{1,3}\s*$")
_CONTENTS_ENTRY = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]?\s+)?(?P<entry>.*?\S)(?:\s+\d{1,3})?\s*$")
_ENDS_CLAUSE = re.compile(r"[.!?:;…,][\"'”’)\]]*$")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


def _clean_lines(text: str, notes: _Notes) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Word's manual line break and the Unicode separators are line breaks for our purposes.
    text = re.sub("[\x0b\x85\u2028\u2029]", "\n", text)
    text = text.translate(_SPACE_LIKE).translate(_INVISIBLE)
    # A soft hyphen at a line end marks where a word was split; anywhere else it is invisible.
    text = re.sub(r"\u00ad *\n *", "", text).replace("\u00ad", "")
    text = _CONTROL.sub("", text)
    pages = [[line.rstrip() for line in page.split("\n")] for page in text.split("\f")]
    lines = _drop_page_furniture(pages, notes)
    lines = _drop_contents_listings(lines)
    lines = _join_broken_urls(lines)
    return _join_hyphenated_words(lines)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _shape(text: str) -> str:
    """A line's key with numbers blurred, so "Sida 2 av 5" and "Sida 3 av 5" count as the same."""
    return re.sub(r"\d+", "#", _key(text))


def _is_bullet_line(line: str) -> bool:
    return _BULLET.match(line.strip()) is not None


def _drop_page_furniture(pages: list[list[str]], notes: _Notes) -> list[str]:
    running: set[str] = set()
    if len(pages) > 1:
        # With form feeds we know where pages start and end: a line that opens or closes two
        # pages is a running header or footer.
        seen: Counter[str] = Counter()
        for page in pages:
            printed = [
                line
                for line in page
                if line.strip() and not _PAGE_NUMBER.match(line) and not _is_bullet_line(line)
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
    title_key = _key(lines[title_at])
    positions: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.strip():
            positions.setdefault(_shape(line), []).append(i)

    def repeats_like_a_page_header(shape: str) -> bool:
        # Three or more times, spread out as pages are; a phrase repeated a few lines apart
        # ("Inget nytt att rapportera") is content.
        found = positions.get(shape, [])
        return len(found) >= 3 and min(b - a for a, b in itertools.pairwise(found)) >= 15

    kept: list[str] = []
    removed: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or i == title_at:
            kept.append(line if stripped else "")
            continue
        if i < title_at:
            if _DOC_KIND.match(stripped):
                kept.append(line)
            continue  # a running header or page number above the title
        if _PAGE_NUMBER.match(line) or _key(line) == title_key or _shape(line) in running:
            continue
        if (
            repeats_like_a_page_header(_shape(line))
            and not _is_bullet_line(line)
            and not _ENDS_CLAUSE.search(stripped)
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
    dated = [i for i in candidates if any(hit.days for hit in _date_hits(lines[i]))]
    if dated:
        title_at = dated[0]
    elif rest and not _PRESENT_LABEL.match(lines[rest[0]].strip()):
        title_at = rest[0]
    else:
        title_at = leading[-1] if leading else content[0]
    # Under a bare "Minnesanteckningar" the informative title is the next line.
    following = [i for i in content if i > title_at]
    if _DOC_KIND.match(lines[title_at].strip()) and following:
        return following[0]
    return title_at


def _contents_key(line: str) -> str:
    match = _CONTENTS_ENTRY.match(line)
    return _key(match["entry"]) if match else ""


def _drop_contents_listings(lines: list[str]) -> list[str]:
    """Drop dot-leader lines and a table of contents that follows an "Innehåll" label.

    A contents list without a label, repeated at the end of a PDF export, is recognised later,
    once the signature is known (see `_drop_trailing_contents`).
    """
    keys = Counter(_key(line) for line in lines if line.strip())

    def listed_elsewhere(line: str) -> bool:
        entry = _contents_key(line)
        return bool(entry) and keys[entry] - (1 if entry == _key(line) else 0) >= 1

    drop: set[int] = set()
    for i, line in enumerate(lines):
        if _DOT_LEADER.match(line):
            drop.add(i)
        elif _CONTENTS_LABEL.match(line):
            block = [i]
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip()
                or _DOT_LEADER.match(lines[j])
                or (not _is_bullet_line(lines[j]) and listed_elsewhere(lines[j]))
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
    if not nxt or _is_bullet_line(nxt):
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


def _join_broken_urls(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while i + 1 < len(lines):
            match = _URL_AT_END.search(line)
            if match is None or not _url_continues(match.group(), lines[i + 1]):
                break
            line = line + lines[i + 1].strip()
            i += 1
        out.append(line)
        i += 1
    return out


_HYPHEN_AT_END = re.compile(r"(?<![\w\-])(?P<word>[^\W\d_]+)-$")
_KEEPS_SUSPENDED_HYPHEN = {"och", "eller", "samt", "som", "till", "resp", "respektive"}


def _join_hyphenated_words(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while i + 1 < len(lines):
            match = _HYPHEN_AT_END.search(line)
            nxt = lines[i + 1].strip()
            if match is None or not nxt or not nxt[0].islower() or _is_bullet_line(nxt):
                break
            if nxt.split()[0].rstrip(",.;:") in _KEEPS_SUSPENDED_HYPHEN:
                break  # "in- och utflyttning": the hyphen belongs there
            word = match["word"]
            # "IT-gruppen", "e-tjänst": after capitals or a single letter the hyphen is part of the word.
            keep_hyphen = len(word) == 1 or word[-1].isupper()
            line = (line if keep_hyphen else line[:-1]) + nxt
            i += 1
        out.append(line)
        i += 1
    return out


# --------------------------------------------------------------------------------------------------
# Rows: non-blank lines with their bullet marker and the number of blank lines before them


@dataclass(slots=True)
class _Row:
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


def _rows(lines: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    blanks = 0
    for line in lines:
        if not line.strip():
            blanks += 1
            continue
        stripped = re.sub(r" {2,}", " ", line.strip())
        indent = len(line) - len(line.lstrip(" "))
        match = _BULLET.match(stripped)
        if match is None:
            rows.append(_Row(stripped, stripped, indent, None, None, blanks))
        elif match["number"]:
            number = match["number"]
            marker_class = "alpha" if number[0].isalpha() else f"number{number[-1]}"
            rows.append(_Row(stripped, match["text"], indent, number, marker_class, blanks))
        else:
            glyph = match["glyph"] or match["spaced"] or ""
            rows.append(_Row(stripped, match["text"], indent, "-", _GLYPH_CLASSES.get(glyph, "dot"), blanks))
        blanks = 0

    for previous, row in itertools.pairwise(rows):
        open_end = not _ENDS_CLAUSE.search(previous.text)
        if row.marker_class == "dash" and row.blank_before == 0 and row.text[:1].islower() and open_end:
            # "– det är svårt ..." wrapped onto a new line is a dash inside a sentence, not a bullet.
            row.text, row.label, row.marker_class, row.continued = row.line, None, None, True
        elif not row.is_bullet and row.blank_before and row.text[:1].islower() and open_end:
            # A sentence that goes on in lower case after blank lines was split by a page break.
            row.blank_before, row.continued = 0, True
    return rows


# --------------------------------------------------------------------------------------------------
# Title

_DOC_KIND = re.compile(
    r"^(?:minnesanteckningar|minnesanteckning|mötesanteckningar|anteckningar|protokoll|mötesprotokoll)"
    r"(?:\s+(?:från|för|vid))?\s*:?$",
    re.IGNORECASE,
)


def _take_title(rows: list[_Row], used: set[int], notes: _Notes) -> str | None:
    first = rows[0]
    if first.is_bullet or len(first.text) > 120 or _PRESENT_LABEL.match(first.text):
        notes.add("Found no title line at the top; set the title by hand.")
        return None
    used.add(0)
    if _DOC_KIND.match(first.text) and len(rows) > 1:
        second = rows[1]
        if not second.is_bullet and len(second.text) <= 120 and not _PRESENT_LABEL.match(second.text):
            used.add(1)
            return second.text
    return first.text


_DOC_KIND_PREFIX = re.compile(
    r"^(?:(?:minnesanteckningar|mötesanteckningar|anteckningar|protokoll|mötesprotokoll)"
    r"(?:\s+(?:från|för|vid))?\s*[:\-–]?\s*)?(?:(?:möte|mötet|sammanträde)\s+(?:i|med|för)\s+)?",
    re.IGNORECASE,
)


def _group_from_title(title: str | None, date_phrase: str | None) -> str | None:
    if not title:
        return None
    group = title.replace(date_phrase, " ") if date_phrase else title
    group = _DOC_KIND_PREFIX.sub("", group.strip())
    group = re.sub(r"\s+", " ", group).strip(" ,;:–-")
    return group or None


# --------------------------------------------------------------------------------------------------
# People: attendance, absence, minute-taker

_PRESENT_LABEL = re.compile(
    r"^(?:närvarande(?:\s+(?:ledamöter|deltagare))?|deltagare|deltagande|närvarolista|närvaro|deltog)"
    r"\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_ABSENT_LABEL = re.compile(
    r"^(?:frånvarande(?:\s+med\s+förhinder)?|frånvaro|anmäld\s+frånvaro|anmält\s+frånvaro|"
    r"anmält\s+förhinder|anmälda\s+förhinder|förhinder|förhindrade|ej\s+närvarande|inte\s+närvarande)"
    r"\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)
_MINUTE_TAKER_LABEL = re.compile(
    r"^(?:vid\s+pennan|vid\s+protokollet|vid\s+tangentbordet|sekreterare|sekr\.|protokollförare|"
    r"antecknat\s+av|antecknare|anteckningar\s+av|antecknades\s+av|anteckningar\s+förda\s+av|"
    r"minnesanteckningar\s+av|protokollet\s+fört\s+av|protokoll\s+fört\s+av)"
    r"(?!\w)\s*[:\-–]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_OTHER_SIGNATURE_LABEL = re.compile(
    r"^(?:justeras|justerare|justerat|ordförande|mötesordförande|underskrift|signatur)(?!\w)\s*[:\-–]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ROLES = {
    "ordförande": "ordförande",
    "ordf": "ordförande",
    "mötesordförande": "ordförande",
    "sekreterare": "sekreterare",
    "sekr": "sekreterare",
    "protokollförare": "sekreterare",
    "vid pennan": "sekreterare",
    "justerare": "justerare",
    "adjungerad": "adjungerad",
    "ersättare": "ersättare",
    "gäst": "gäst",
    "inbjuden": "gäst",
}
_UPPER = "A-ZÅÄÖÆØÉÈÜÁÍÓÚÑ"
_NAME_TOKEN = re.compile(rf"^(?:[{_UPPER}][\w'’\-]*\.?)$")
_PARTICLES = {"von", "van", "af", "de", "der", "la", "le", "di", "da", "du", "bin", "al", "el"}


def _is_name(text: str, *, max_tokens: int = 5) -> bool:
    tokens = text.split()
    if not 1 <= len(tokens) <= max_tokens or not _NAME_TOKEN.match(tokens[0]):
        return False
    if not all(_NAME_TOKEN.match(token) or token in _PARTICLES for token in tokens):
        return False
    return any(len(token.strip(".")) >= 2 for token in tokens)


def _is_initial(token: str) -> bool:
    return re.fullmatch(rf"[{_UPPER}]\.", token) is not None


def _split_capitalised(text: str) -> tuple[str, str]:
    """Split "Gösta Strand arbetsmarknadsförvaltningen" into the capitalised name and the rest."""
    tokens = text.split()
    i = 0
    while i < len(tokens) and (
        _NAME_TOKEN.match(tokens[i])
        or (tokens[i] in _PARTICLES and 0 < i < len(tokens) - 1 and _NAME_TOKEN.match(tokens[i + 1]))
    ):
        i += 1
    return " ".join(tokens[:i]), " ".join(tokens[i:])


def _split_top_level(text: str, separators: str) -> list[str]:
    """Split on separators that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char in separators and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _parse_person(text: str, notes: _Notes) -> Attendee:
    original = text
    text = text.strip().strip(",;").strip()
    if text.endswith(".") and not _is_initial(text.split()[-1]):
        text = text[:-1].rstrip()
    name, extras = text, []
    bracketed = re.fullmatch(r"(?P<head>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*(?P<tail>.*)", text)
    if bracketed:
        name = bracketed["head"]
        extras.append(bracketed["inner"])
        extras.extend(_split_top_level(bracketed["tail"], ",;"))
    if "," in name:
        name, *more = (part.strip() for part in name.split(","))
        extras = more + extras
    elif re.search(r"\s[-–—]\s", name):
        name, more_text = re.split(r"\s[-–—]\s", name, maxsplit=1)
        extras = [more_text, *extras]
    name = name.strip()

    if not extras and not _is_name(name):
        head, rest = _split_capitalised(name)
        if head and rest[:1].islower():
            name, extras = head, [rest]
    elif not extras:
        tokens = name.split()
        if len(tokens) >= 3 and not any(_is_initial(token) or token in _PARTICLES for token in tokens):
            notes.add(
                f'"{original.strip()}" has no comma between name and organisation; kept it all as the name. '
                "Check the attendance list."
            )
    if not _is_name(name):
        notes.add(
            f'"{original.strip()}" in the attendance list does not look like a name; kept it as written.'
        )

    roles = [_ROLES[part.casefold().rstrip(".")] for part in extras if part.casefold().rstrip(".") in _ROLES]
    organisations = [
        part.strip() for part in extras if part.casefold().rstrip(".") not in _ROLES and part.strip()
    ]
    return Attendee(
        name=name,
        organisation=", ".join(organisations) or None,
        role=", ".join(dict.fromkeys(roles)) or None,
    )


def _parse_inline_people(text: str, notes: _Notes) -> list[Attendee]:
    """Read "Närvarande: Anna Svensson (SOF), Bo Pettersson, Ria/G7, Catrin" style lists."""
    if ";" in text:
        return [_parse_person(part, notes) for part in _split_top_level(text, ";")]
    parts = [
        piece.strip()
        for part in _split_top_level(text, ",")
        for piece in re.split(r"\s+(?:och|&)\s+", part)
        if piece.strip()
    ]
    people: list[Attendee] = []
    for part in parts:
        looks_like_organisation = part[:1].islower() or "/" in part or (part.isupper() and " " not in part)
        if people and people[-1].organisation is None and looks_like_organisation:
            people[-1] = replace(people[-1], organisation=part)
            continue
        if (
            people
            and len(people[-1].name.split()) >= 2
            and people[-1].organisation is None
            and " " not in part
        ):
            notes.add(
                f'Could not tell names from organisations in "{text}" ("{part}" could be either); '
                "check the attendance list."
            )
        people.append(_parse_person(part, notes))
    return people


def _looks_like_prose(row: _Row) -> bool:
    words = row.text.split()
    return (
        len(words) >= 8 or len(row.text) > 70 or (bool(_ENDS_SENTENCE.search(row.text)) and len(words) >= 4)
    )


def _person_like(row: _Row) -> bool:
    """A line that on its own reads as a person: "Anna Berg", "Anna Berg, Bryggan", "Anna (SOF)"."""
    text = row.text.strip().rstrip(",;")
    head = re.split(r"[,(]|\s[-–—]\s", text, maxsplit=1)[0].strip()
    if head != text:
        return _is_name(head, max_tokens=4)
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and _is_name(text, max_tokens=4)


def _is_any_label(text: str) -> bool:
    return any(label.match(text) for label in (_PRESENT_LABEL, _ABSENT_LABEL, _MINUTE_TAKER_LABEL))


def _read_people(rows: list[_Row], start: int, used: set[int], notes: _Notes) -> list[Attendee]:
    label_row = rows[start]
    label = _PRESENT_LABEL.match(label_row.text) or _ABSENT_LABEL.match(label_row.text)
    assert label is not None
    used.add(start)
    inline = (label["rest"] or "").strip()
    people = _parse_inline_people(inline, notes) if inline else []

    j = start + 1
    while j < len(rows) and j not in used:
        row = rows[j]
        first = j == start + 1
        if _is_any_label(row.text):
            break
        if row.blank_before and (inline or not first):
            # After a blank line the list goes on only with lines that clearly are people.
            following = rows[j + 1] if j + 1 < len(rows) else None
            if not _person_like(row) or (
                following is not None and following.blank_before == 0 and not _person_like(following)
            ):
                break
        if _looks_like_prose(row):
            break
        following = rows[j + 1] if j + 1 < len(rows) else None
        if (
            following is not None
            and following.blank_before == 0
            and not following.continued
            and (_looks_like_prose(following) or (following.is_bullet and not _person_like(following)))
        ):
            notes.add(
                f'"{row.text}" follows the attendance list without a blank line and is followed by text; '
                "read it as a heading, not as a person. Check the attendance list."
            )
            break
        people.append(_parse_person(row.text, notes))
        used.add(j)
        j += 1

    if not people:
        notes.add(f'Found "{label_row.text}" but no names after it.')
    return people


def _take_attendance(
    rows: list[_Row], used: set[int], notes: _Notes
) -> tuple[list[Attendee], list[Attendee]]:
    attendees: list[Attendee] = []
    absent: list[Attendee] = []
    found_present = False
    for i, row in enumerate(rows):
        if i in used or row.is_bullet:
            continue
        if _PRESENT_LABEL.match(row.text):
            if found_present:
                notes.add(
                    f'Found a second attendance list ("{row.text}"); added its names too. Check for doubles.'
                )
            found_present = True
            attendees.extend(_read_people(rows, i, used, notes))
        elif _ABSENT_LABEL.match(row.text):
            absent.extend(_read_people(rows, i, used, notes))
    if not found_present:
        notes.add('Found no attendance list ("Närvarande" or "Deltagare").')
    return attendees, absent


def _signature_name(row: _Row) -> str | None:
    text = row.line.strip().lstrip("/").strip().rstrip(",;")
    if not text or _looks_like_prose(row):
        return None
    name = re.split(r"[,(]|\s[-–—]\s", text, maxsplit=1)[0].strip().rstrip(".")
    return name if _is_name(name) else None


def _same_person(a: str, b: str) -> bool:
    short, long = sorted((a.casefold().split(), b.casefold().split()), key=len)
    return long[: len(short)] == short


def _take_signatures(
    rows: list[_Row], used: set[int], attendees: list[Attendee], notes: _Notes
) -> str | None:
    candidates: list[tuple[str, str]] = []  # (name, where it was found)
    for i, row in enumerate(rows):
        if i in used or row.is_bullet:
            continue
        taker = _MINUTE_TAKER_LABEL.match(row.text)
        other = _OTHER_SIGNATURE_LABEL.match(row.text) if i >= len(rows) // 2 else None
        match = taker or other
        if match is None:
            continue
        label = row.text[: match.start("rest")].strip(" :-–")
        rest = match["rest"].strip()
        if rest:
            name = _signature_name(replace(row, line=rest, text=rest))
            if name is None:
                continue  # "Sekreterare behövs till hösten." is a sentence, not a signature
            used.add(i)
            if taker:
                candidates.append((name, label))
            continue
        names: list[int] = []
        j = i + 1
        while j < len(rows) and j not in used and rows[j].blank_before <= 3 and _signature_name(rows[j]):
            names.append(j)
            j += 1
            if taker:
                break  # one minute-taker; "Justeras" may list several people
        if not names:
            if taker:
                notes.add(f'Found "{row.text}" but no name after it; set the minute-taker by hand.')
            continue  # kept as ordinary text
        used.update([i, *names])
        if taker:
            name = _signature_name(rows[names[0]])
            assert name is not None
            candidates.append((name, label))

    for person in attendees:
        if person.role and "sekreterare" in person.role:
            candidates.append((person.name, "attendance list"))
    if not candidates:
        return None
    chosen = max((name for name, _ in candidates), key=len)
    if all(_same_person(name, chosen) for name, _ in candidates):
        return chosen
    listed = " and ".join(f'"{name}" ({where})' for name, where in candidates)
    notes.add(f"Found more than one minute-taker: {listed}; left it empty, set it by hand.")
    return None


# --------------------------------------------------------------------------------------------------
# Sections: headings, paragraphs, bullets


@dataclass(slots=True)
class _Item:
    kind: Literal["paragraph", "bullet"]
    text: str
    level: int  # 1-3 for bullets, 0 for paragraphs
    label: str
    blank_before: bool


@dataclass(slots=True)
class _Draft:
    heading: str | None
    rows: list[_Row] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)


_FIELD_LINE = re.compile(r"^[\w\-/]{1,20}(?: [\w\-/]{1,20})?:\s+\S")
_PARAGRAPH_SIGN = re.compile(r"^§\s*\d+")
_KNOWN_HEADING = re.compile(
    r"^(?:övrigt|övriga\s+frågor|nästa\s+möte|nästa\s+träff|mötets\s+öppnande|mötets\s+avslutande|dagordning|"
    r"föregående\s+(?:mötes\s+)?protokoll|information|beslut|åtgärder|att\s+göra|rapporter?|uppföljning|"
    r"avslutning|inledning)\b",
    re.IGNORECASE,
)


def _drop_trailing_contents(rows: list[_Row], body: list[int]) -> list[int]:
    """Drop a table of contents repeated at the end: two or more lines that repeat earlier lines."""
    earlier = Counter(_key(rows[i].text) for i in body)
    end = len(body)
    while end > 0:
        row = rows[body[end - 1]]
        earlier[_key(row.text)] -= 1
        entry = _contents_key(row.line)
        if row.is_bullet or not entry or earlier[entry] <= 0:
            break
        end -= 1
    return body[:end] if len(body) - end >= 2 else body


def _heading_shape(row: _Row) -> bool:
    if row.continued or (row.is_bullet and not _numbered_heading_shape(row)):
        return False
    text = row.line
    if _PARAGRAPH_SIGN.match(text):
        return len(text) <= 80
    if len(text) > 70 or len(text.split()) > 10 or _ENDS_CLAUSE.search(text):
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in "\"“”'«"):
        return False
    return not _FIELD_LINE.match(text)


def _numbered_heading_shape(row: _Row) -> bool:
    """ "1. Mötets öppnande" can be an agenda heading; it counts only when text follows directly."""
    return row.marker_class == "number." and len(row.line) <= 60 and "," not in row.line


def _sections(rows: list[_Row], body: list[int], notes: _Notes) -> list[_Draft]:
    def gap_before(n: int) -> bool:
        return n == 0 or rows[body[n]].blank_before > 0 or body[n - 1] != body[n] - 1

    def body_follows(n: int) -> bool:
        if n + 1 >= len(body) or gap_before(n + 1):
            return False
        following = rows[body[n + 1]]
        return following.is_bullet or not following.text[:1].islower()

    candidates = [n for n in range(len(body)) if gap_before(n) and _heading_shape(rows[body[n]])]
    direct = [n for n in candidates if body_follows(n)]
    numbered = [n for n in candidates if rows[body[n]].is_bullet]
    # A numbered line is a heading only with ordinary text (not another item) right under it.
    numbered_headings = {
        n
        for n in numbered
        if n in direct and not rows[body[n + 1]].is_bullet and _looks_like_prose(rows[body[n + 1]])
    }
    candidates = [n for n in candidates if n not in numbered or n in numbered_headings]
    direct = [n for n in direct if n in candidates]
    known = [
        n
        for n in candidates
        if _KNOWN_HEADING.match(rows[body[n]].text) or _PARAGRAPH_SIGN.match(rows[body[n]].text)
    ]
    if direct and 2 * len(direct) >= len(candidates):
        # These minutes put body text right under each heading; a short line with blank lines on
        # both sides is then ordinary text ("Sammankomsten börjar 9:00 (alt. 8:30)").
        headings = set(direct) | set(known)
        for n in candidates:
            row = rows[body[n]]
            if n not in headings and row.blank_before >= 2:
                notes.add(
                    f'"{row.text}" stands alone between blank lines; kept it as text, '
                    "but it may be a heading."
                )
    else:
        headings = set(candidates)
        for n in candidates:
            text = rows[body[n]].text
            if n not in known and (re.search(r"\d", text) or text.endswith(")") or len(text.split()) >= 7):
                notes.add(f'Read "{text}" as a heading; check that it is one.')
    if body and not headings:
        notes.add("Found no headings; kept all the text as one section.")

    drafts: list[_Draft] = []
    current = _Draft(None)
    for n, index in enumerate(body):
        row = rows[index]
        if n in headings:
            if current.heading is not None or current.rows:
                drafts.append(current)
            current = _Draft(row.line)
            continue
        if gap_before(n) and not row.blank_before and not row.continued:
            row = replace(row, blank_before=1)  # something was lifted out in between (attendance, signature)
        current.rows.append(row)
    if current.heading is not None or current.rows:
        drafts.append(current)

    wrap_width = max((len(rows[i].line) for i in body), default=0)
    for draft in drafts:
        draft.items = _items(draft.rows, wrap_width)
    return drafts


def _continues(last_line: str, row: _Row, wrap_width: int) -> bool:
    """Whether a line directly under another one carries on the same paragraph or bullet."""
    if row.continued or row.text[:1].islower() or row.text[:1] in "([{–-,":
        return True
    # A full line was wrapped by the export; a short one was broken on purpose.
    full = wrap_width >= 50 and len(last_line) >= 0.75 * wrap_width
    if _FIELD_LINE.match(row.text) or (_FIELD_LINE.match(last_line) and not full):
        return False  # "Tid: ...", "Plats: ...", "Åtgärd: ..." lines stand on their own
    return full or not _ENDS_CLAUSE.search(last_line)


def _bullet_level(stack: list[tuple[int, str]], row: _Row) -> int:
    """Nesting from indentation and glyph: a new glyph under a list opens a level ("•" then "o")."""
    key = (row.indent, row.marker_class or "")
    if key in stack:
        del stack[stack.index(key) + 1 :]
    elif (row.marker_class or "").startswith("number") and (not stack or row.indent <= stack[0][0]):
        # A numbered list after bullets, with nothing indented, is a new list rather than a sub-list.
        stack[:] = [key]
    elif stack and row.indent < stack[-1][0]:
        while stack and stack[-1][0] > row.indent:
            stack.pop()
        if stack and stack[-1][0] == row.indent:
            stack[-1] = key
        else:
            stack.append(key)
    else:
        stack.append(key)
    return min(len(stack), 3)


def _items(rows: list[_Row], wrap_width: int) -> list[_Item]:
    items: list[_Item] = []
    stack: list[tuple[int, str]] = []
    last_line = ""
    for row in rows:
        if row.is_bullet:
            level = _bullet_level(stack, row)
            items.append(_Item("bullet", row.text, level, row.label or "-", row.blank_before > 0))
        elif items and row.blank_before == 0 and _continues(last_line, row, wrap_width):
            items[-1].text = f"{items[-1].text} {row.text}"
        else:
            stack.clear()
            items.append(_Item("paragraph", row.text, 0, "", row.blank_before > 0))
        last_line = row.line
    return items


def _render(items: list[_Item]) -> str:
    parts: list[str] = []
    for i, item in enumerate(items):
        if i:
            in_list = item.kind == "bullet" and items[i - 1].kind == "bullet"
            parts.append("\n" if in_list or not item.blank_before else "\n\n")
        if item.kind == "bullet":
            parts.append(f"{'  ' * (item.level - 1)}{item.label} {item.text}")
        else:
            parts.append(item.text)
    return "".join(parts)


# --------------------------------------------------------------------------------------------------
# Dates

_MONTH_NUMBERS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4, "maj": 5,
    "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augusti": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAY_NUMBERS = {
    "måndag": 0,
    "tisdag": 1,
    "onsdag": 2,
    "torsdag": 3,
    "fredag": 4,
    "lördag": 5,
    "söndag": 6,
}
_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
_MONTH_ABBREVIATIONS = "jan|feb|mar|apr|jun|jul|aug|sept|sep|okt|nov|dec"
_WEEKDAYS = "måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag"
_LAST_YEAR = r"(?P<last_year>\s+i\s+fjol|\s+förra\s+året)?"

_DAY_MONTH = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAYS})(?:en)?\s+)?(?:\bden\s+)?"
    r"\b(?P<days>\d{1,2}(?::[ae])?(?:\s*(?:,|och|&|–|-)\s*\d{1,2}(?::[ae])?)*)"
    rf"\s+(?P<month>{_MONTHS}|(?:{_MONTH_ABBREVIATIONS})\.?)(?!\w)"
    rf"(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?{_LAST_YEAR}",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(
    r"\b(?P<year>(?:19|20)\d{2})-(?P<month>1[0-2]|0?[1-9])-(?P<day>3[01]|[12]\d|0?[1-9])\b"
)
_SLASH_DATE = re.compile(
    rf"(?:\b(?P<prefix>den|{_WEEKDAYS}|(?:mån|tis|ons|tors|fre|lör|sön)dag(?:en)?)\s+)?"
    r"\b(?P<day>3[01]|[12]\d|0?[1-9])/(?P<month>1[0-2]|0?[1-9])"
    r"(?:(?:\s+|/|\s*-\s*)(?P<year>(?:19|20)\d{2})\b|\s*-\s*(?P<short_year>\d{2})\b)?",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(
    r"\b(?:i|under|till|från|efter|före|innan|inför|sedan|senast\s+i|(?:i\s+)?(?:början|mitten|slutet)\s+av)"
    rf"\s+(?P<month>{_MONTHS})(?!\w)(?:\s+(?P<year>(?:19|20)\d{{2}})\b)?{_LAST_YEAR}",
    re.IGNORECASE,
)
_WEEK = re.compile(r"\b(?:vecka|v\.)\s*(?P<week>5[0-3]|[1-4]\d|[1-9])\b", re.IGNORECASE)
_DATE_FIELD = re.compile(r"^(?:datum|mötesdatum|tid\s+och\s+datum)\s*:?\s*(?P<value>.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _DateHit:
    start: int
    end: int
    phrase: str
    days: tuple[int, ...]  # empty when only a month or a week is named
    month: int | None
    year: int | None
    years_back: int  # 1 for "i fjol"
    weekday: int | None


def _date_hits(text: str) -> list[_DateHit]:
    hits: list[_DateHit] = []
    for match in _ISO_DATE.finditer(text):
        hits.append(_hit(match, (int(match["day"]),), int(match["month"]), int(match["year"]), 0, None))
    for match in _SLASH_DATE.finditer(text):
        year = (
            int(match["year"])
            if match["year"]
            else (2000 + int(match["short_year"]) if match["short_year"] else None)
        )
        if match["prefix"] or year:  # a bare "1/2" is more often a fraction than a date
            weekday = _WEEKDAY_NUMBERS.get((match["prefix"] or "").casefold().removesuffix("en"))
            hits.append(_hit(match, (int(match["day"]),), int(match["month"]), year, 0, weekday))
    for match in _DAY_MONTH.finditer(text):
        days = tuple(int(day) for day in re.findall(r"\d{1,2}", match["days"]))
        month = _MONTH_NUMBERS[match["month"].casefold().rstrip(".")]
        weekday = _WEEKDAY_NUMBERS.get((match["weekday"] or "").casefold())
        year = int(match["year"]) if match["year"] else None
        hits.append(_hit(match, days, month, year, 1 if match["last_year"] else 0, weekday))
    for match in _MONTH_ONLY.finditer(text):
        year = int(match["year"]) if match["year"] else None
        month = _MONTH_NUMBERS[match["month"].casefold()]
        hits.append(_hit(match, (), month, year, 1 if match["last_year"] else 0, None))
    for match in _WEEK.finditer(text):
        hits.append(_hit(match, (), None, None, 0, None))

    chosen: list[_DateHit] = []
    for hit in hits:  # earlier patterns are more specific and win overlaps
        if all(hit.end <= other.start or hit.start >= other.end for other in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda hit: hit.start)


def _hit(
    match: re.Match[str],
    days: tuple[int, ...],
    month: int | None,
    year: int | None,
    back: int,
    weekday: int | None,
) -> _DateHit:
    return _DateHit(match.start(), match.end(), match.group().strip(), days, month, year, back, weekday)


def _meeting_date(
    title: str | None, preamble: list[str], year: int | None, source_name: str | None, notes: _Notes
) -> tuple[dt.date | None, str | None]:
    """The meeting date from the title, else from a "Datum:" line; returns it and the phrase used."""
    hit = next((h for h in _date_hits(title or "") if h.days), None)
    where, phrase = "title", hit.phrase if hit else None
    if hit is None:
        for line in preamble:
            field_match = _DATE_FIELD.match(line)
            found = (
                next((h for h in _date_hits(field_match["value"]) if h.days), None) if field_match else None
            )
            if found:
                hit, where, phrase = found, f'line "{line}"', None
                break
    if hit is None or hit.month is None:
        notes.add("Found no meeting date in the title or a “Datum:” line; set the date by hand.")
        return None, None
    if len(hit.days) > 1:
        notes.add(
            f'The {where} names more than one day ("{hit.phrase}"); used the first as the meeting date.'
        )

    if hit.year is not None:
        meeting_year = hit.year
        if year is not None and year != hit.year:
            notes.add(f"The text dates the meeting {hit.year} but year {year} was given; kept {hit.year}.")
    elif year is not None:
        meeting_year = year
    else:
        suggestion = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", source_name or "")
        hint = f" The file name suggests {suggestion.group(1)}." if suggestion else ""
        notes.add(
            f'The {where} says "{hit.phrase}" but gives no year, so the meeting date is left empty; '
            f"give the year (--year) to set it.{hint}"
        )
        return None, phrase
    try:
        meeting = dt.date(meeting_year, hit.month, hit.days[0])
    except ValueError:
        notes.add(f'"{hit.phrase}" in the {where} is not a real date; set the date by hand.')
        return None, phrase
    if hit.weekday is not None and meeting.weekday() != hit.weekday:
        notes.add(f'"{hit.phrase}" names the wrong weekday for {meeting.isoformat()}; check the date.')
    return meeting, phrase


# --------------------------------------------------------------------------------------------------
# Decisions, action items and dates in the text

_DECISION_LABEL = re.compile(r"^(?:beslut|beslutades|beslutat)\s*:\s*(?P<rest>\S.*)$", re.IGNORECASE)
_DECISION_VERB = re.compile(
    r"\b(?:beslutar|beslutade|beslöt|beslutades|beslutats|beslutas|bestämde|bestämdes|bestämmer|bestämt|"
    r"bestämts|enades|enas|eniga?\s+om|kom\s+överens|kommer\s+överens|är\s+överens|var\s+överens|"
    r"fattade\s+(?:ett\s+)?beslut|fattades\s+(?:ett\s+)?beslut|beslut\s+fattades|beslutet\s+(?:blev|är))\b",
    re.IGNORECASE,
)
_NOT_DECIDED = re.compile(
    r"\b(?:inget|inga|inte|ej)\b[^.]*?\b(?:beslut\w*|bestäm\w*|överens|enade?s?)\b|"
    r"\b(?:ska|skall|kommer\s+att|måste|behöver|bör|kan|vill)\s+(?:\w+\s+)?"
    r"(?:besluta|beslutas|bestämma|bestämmas|fatta\s+beslut|enas|komma\s+överens)\b",
    re.IGNORECASE,
)
_SOFT_DECISION = re.compile(
    r"\b(?:kom|kommer|kommit)(?:\s+\w+){0,2}\s+fram\s+till\b|\b(?:landade|landar|landat)(?:\s+\w+){0,3}\s+i\b",
    re.IGNORECASE,
)
_DECISION_LIST_LABEL = re.compile(r"^(?:beslut|beslutspunkter|beslutades)\s*:?$", re.IGNORECASE)
_ACTION_LIST_LABEL = re.compile(
    r"^(?:åtgärder|åtgärdslista|att\s+göra|uppdrag|att\s+göra-lista)\s*:?$", re.IGNORECASE
)
_ACTION_LABEL = re.compile(r"^(?:åtgärd|att\s+göra|uppdrag|action)\s*:\s*(?P<rest>\S.*)$", re.IGNORECASE)
_RESPONSIBLE_LIST = re.compile(r"^ansvarig(?:a)?\b.*:$", re.IGNORECASE)
_RESPONSIBLE = re.compile(
    r"[(,;–-]?\s*\bansvarig(?:a)?\s*:\s*(?P<owner>[^.;()]+?)\s*\)?\s*(?=[.;]|$)", re.IGNORECASE
)

_FINITE_PROMISES = (
    r"lovar\s+att", r"lovade\s+att", r"har\s+lovat\s+att", r"åtar\s+sig", r"åtog\s+sig",
    r"har\s+åtagit\s+sig", r"tar\s+på\s+sig\s+att", r"tog\s+på\s+sig\s+att", r"ansvarar\s+för",
    r"har\s+(?:huvud)?ansvar(?:et)?\s+för",
    r"får\s+i\s+uppdrag", r"fick\s+i\s+uppdrag", r"har\s+fått\s+i\s+uppdrag", r"ges\s+i\s+uppdrag",
    r"gavs\s+i\s+uppdrag", r"tar\s+kontakt\s+med", r"kontaktar", r"tar\s+reda\s+på", r"kollar\s+upp",
    r"kollar\s+med", r"undersöker", r"utreder", r"återkommer", r"skickar", r"mejlar", r"bjuder\s+in",
    r"kallar\s+till", r"bokar", r"ordnar", r"tar\s+fram", r"sammanställer", r"förmedlar", r"tar\s+med\s+sig",
    r"ser\s+till\s+att", r"tar\s+tag\s+i", r"förbereder",
)  # fmt: skip
_INFINITIVE_PROMISES = (
    r"kontakta", r"ta\s+kontakt\s+med", r"ta\s+reda\s+på", r"kolla\s+upp", r"kolla\s+med", r"undersöka",
    r"utreda", r"återkomma", r"skicka", r"mejla", r"bjuda\s+in", r"kalla\s+till", r"boka", r"ordna",
    r"ta\s+fram", r"sammanställa", r"förmedla", r"ta\s+med\s+sig", r"se\s+till\s+att", r"ta\s+tag\s+i",
    r"förbereda", r"ansvara\s+för",
)  # fmt: skip
_PROMISE = re.compile(
    rf"\b(?:(?:ska|skall|kommer\s+att)\s+(?:{'|'.join(_INFINITIVE_PROMISES)})|{'|'.join(_FINITE_PROMISES)})(?!\w)",
    re.IGNORECASE,
)
_NAME_PHRASE = rf"[{_UPPER}][\w'’\-]*\.?(?:\s+[{_UPPER}][\w'’\-]*\.?){{0,2}}"
_NAME_LIST = re.compile(rf"{_NAME_PHRASE}(?:\s*(?:,|och|&|samt)\s*{_NAME_PHRASE})*")
_INVERTED_PROMISE = re.compile(
    r"(?<=\S)\s+(?P<verb>tar|lovar|lovade|ansvarar|kollar|återkommer|ser|ska|skall|kommer|åtar|åtog|har)\s+"
    rf"(?P<who>{_NAME_PHRASE}(?:\s*(?:,|och|&)\s*{_NAME_PHRASE})*)\s+(?P<rest>\S.*)$"
)
_GROUP_OWNER = re.compile(
    r"(?:(?:varje|respektive|resp\.|alla|båda|samtliga|hela)(?:\s+[^\W\d_][\w\-]*){0,2}|"
    r"[^\W\d_]*(?:gruppen|förvaltningen|nämnden|styrelsen|enheten|teamet|ledningen|samordnaren|sekreteraren|"
    r"ordföranden|föreningen|avdelningen))",
    re.IGNORECASE,
)
_PRONOUNS = {
    "vi", "jag", "du", "ni", "han", "hon", "hen", "de", "dom", "man", "den", "det", "detta", "någon", "ingen",
}  # fmt: skip
_NOT_OWNERS = {
    "frågan", "frågorna", "ärendet", "ärendena", "punkten", "saken", "temat", "ämnet", "diskussionen",
    "beslutet", "förslaget", "mötet", "dokumentet", "rapporten", "inbjudan", "programmet", "protokollet",
    "resultatet", "texten", "materialet", "kallelsen", "dagordningen", "detta", "sedan", "därefter", "då",
}  # fmt: skip
_CONJUNCTIONS = re.compile(r"\s+(?:och|men|så|samt|att|om|när|då|eftersom|medan|sedan)\s+", re.IGNORECASE)
_ABBREVIATIONS = frozenset(
    {
        "alt", "ang", "bl.a", "ca", "d.v.s", "dvs", "dr", "el", "enl", "etc", "ev", "ex", "exkl", "f.d",
        "fd", "forts", "fr.o.m", "inkl", "jfr", "kl", "m.fl", "m.m", "max", "mfl", "min", "mm", "nr", "o.d",
        "o.s.v", "obs", "osv", "p.g.a", "pga", "prel", "prof", "resp", "s", "sek", "st", "t.ex", "t.o.m",
        "tel", "tex", "tfn",
    }
)  # fmt: skip
_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"“”'(]?[\dA-ZÅÄÖÉ])")
_NEXT_MEETING = re.compile(r"\bnästa\s+(?:möte|träff|sammankomst)", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if text[match.start()] == ".":
            word = re.search(r"([\w.]+)$", text[start : match.start()])
            before = word.group(1).casefold() if word else ""
            if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
                continue  # "alt. 8:30", "Bent S. Nilsen"
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


@dataclass(frozen=True, slots=True)
class _Context:
    meeting_date: dt.date | None
    base_year: int | None


@dataclass(slots=True)
class _Findings:
    decisions: list[Decision] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    dates: list[MentionedDate] = field(default_factory=list)
    next_meeting: dt.date | None = None
    next_meeting_found: bool = False
    unresolved_dates: int = 0


def _as_owner(phrase: str, *, strict: bool = True) -> str | None:
    """The phrase as an owner if it names people or a group; `strict` where a sentence starts with it."""
    phrase = phrase.strip(" ,;:–-")
    if not phrase or len(phrase.split()) > 6:
        return None
    if _NAME_LIST.fullmatch(phrase):
        parts = [part for part in re.split(r"\s*(?:,|\boch\b|&|\bsamt\b)\s*", phrase) if part]
        if any(part.casefold() in _PRONOUNS for part in parts):
            return None
        # At the start of a sentence every word has a capital: "Frågan återkommer" names nobody.
        if strict and len(parts) == 1 and phrase.casefold() in _NOT_OWNERS:
            return None
        return phrase
    if _GROUP_OWNER.fullmatch(phrase):
        return phrase
    return None


def _pronoun_subject(phrase: str) -> str | None:
    words = phrase.strip(" ,;:–-").split()
    return " ".join(words) if words and len(words) <= 3 and words[0].casefold() in _PRONOUNS else None


def _last_clause(text: str) -> str:
    return re.split(r"[,;:()–]|\s-\s", text)[-1].strip()


def _subject_owner(before: str) -> tuple[str | None, str | None]:
    """The owner named just before the verb, or (None, the word used instead when it is telling)."""
    clause = _last_clause(before)
    if not clause:
        return None, None
    owner = _as_owner(clause)
    if owner:
        return owner, None
    tail = _CONJUNCTIONS.split(f" {clause} ")[-1].strip()
    if tail and tail != clause:
        owner = _as_owner(tail)
        if owner:
            return owner, None
        clause = tail
    return None, _pronoun_subject(clause) or (clause if len(clause.split()) == 1 else None)


def _promise(sentence: str) -> tuple[str | None, str | None] | None:
    """(owner, hint) when the sentence promises something, else None."""
    if sentence.rstrip().endswith("?"):
        return None
    inverted = _INVERTED_PROMISE.search(sentence)
    if inverted and _PROMISE.match(f"{inverted['verb']} {inverted['rest']}"):
        # "Till nästa möte tar Martina kontakt med ...": an adverbial first, then verb, then owner.
        before = _last_clause(sentence[: inverted.start()])
        first_word = before.split()[0].casefold() if before else ""
        if before and first_word not in _PRONOUNS and _as_owner(before) is None:
            owner = _as_owner(inverted["who"], strict=False)
            if owner:
                return owner, None
    for match in _PROMISE.finditer(sentence):
        before = sentence[: match.start()]
        if re.search(r"\bsom\s*$", before, re.IGNORECASE):
            continue  # "den som ansvarar för ..." describes someone, it promises nothing
        return _subject_owner(before)
    return None


def _owner_in(text: str) -> tuple[str | None, str | None, str]:
    """Owner of an action written as a list item or after "Åtgärd:"; returns owner, hint and the text."""
    responsible = _RESPONSIBLE.search(text)
    if responsible:
        cleaned = (text[: responsible.start()] + text[responsible.end() :]).strip(" ,;–-")
        cleaned = re.sub(r"\s+([.,;])", r"\1", cleaned)
        return responsible["owner"].strip(), None, cleaned or text
    bracketed = re.search(r"\((?P<who>[^()]*)\)\s*\.?$", text)
    if bracketed and _as_owner(bracketed["who"], strict=False):
        return bracketed["who"].strip(), None, text[: bracketed.start()].strip()
    dashed = re.search(r"\s[-–—]\s*(?P<who>[^-–—]+?)\s*\.?$", text)
    if dashed and _as_owner(dashed["who"], strict=False):
        return dashed["who"].strip(), None, text[: dashed.start()].strip()
    leading = re.match(r"^(?P<who>[^:]{1,40}):\s+(?P<rest>\S.*)$", text)
    if leading and _as_owner(leading["who"]):
        return leading["who"].strip(), None, leading["rest"]
    found = _promise(text)
    if found:
        return found[0], found[1], text
    return None, None, text


def _introduced(items: list[_Item], index: int) -> list[int]:
    """The items that an item introduces: the list under a line ending in ":", or the item after "Beslut:"."""
    item = items[index]
    if not item.text.endswith(":"):
        return []
    children: list[int] = []
    for position in range(index + 1, len(items)):
        following = items[position]
        if following.kind != "bullet" or (item.kind == "bullet" and following.level <= item.level):
            break
        children.append(position)
    is_label = _DECISION_LIST_LABEL.match(item.text) or _ACTION_LIST_LABEL.match(item.text)
    if not children and is_label and index + 1 < len(items):
        children.append(index + 1)
    return children


def _analyse(drafts: list[_Draft], context: _Context, notes: _Notes) -> _Findings:
    found = _Findings()
    for draft in drafts:
        section = draft.heading
        items = draft.items
        if section:
            _collect_dates(
                section, section, context, found, notes, next_meeting=bool(_NEXT_MEETING.search(section))
            )
        decisions_section = bool(section and _DECISION_LIST_LABEL.match(section))
        actions_section = bool(section and _ACTION_LIST_LABEL.match(section))
        handled: set[int] = set()  # items already read as part of a list introduced above them
        about_next_meeting = bool(section and _NEXT_MEETING.match(section))
        for index, item in enumerate(items):
            for sentence in _sentences(item.text):
                if section is None and _DATE_FIELD.match(sentence):
                    continue  # the meeting's own "Datum:" line, already read as the meeting date
                next_meeting = about_next_meeting or bool(_NEXT_MEETING.search(sentence))
                _collect_dates(sentence, section, context, found, notes, next_meeting=next_meeting)
            if index in handled:
                continue
            if decisions_section:
                found.decisions.append(Decision(item.text, section))
            elif actions_section:
                _add_action(item.text, section, found, notes)
            else:
                handled.update(_read_item(items, index, section, found, notes))
    return found


def _read_item(
    items: list[_Item], index: int, section: str | None, found: _Findings, notes: _Notes
) -> list[int]:
    """Record the decisions and actions in one paragraph or bullet; returns the items it used up."""
    item = items[index]
    introduced = _introduced(items, index)
    children = [items[position] for position in introduced]
    intro = item.text.rstrip(":").strip()

    if children and _DECISION_LIST_LABEL.match(item.text):
        found.decisions.extend(Decision(child.text, section) for child in children)
        return introduced
    if children and _ACTION_LIST_LABEL.match(item.text):
        for child in children:
            _add_action(child.text, section, found, notes)
        return introduced
    if children and _RESPONSIBLE_LIST.match(item.text):
        # "Ansvariga för respektive presentation (preliminärt):" over "• Sip (Åke och Lina)".
        for child in children:
            owner, _, text = _owner_in(child.text)
            unnamed = re.search(r"\((?P<who>[^()]*)\)\s*$", child.text)
            if owner is None and unnamed:
                text = child.text[: unnamed.start()].strip()
            found.actions.append(ActionItem(f"{intro}: {text}", owner, section))
            if owner is None:
                _warn_no_owner(f"{intro}: {child.text}", section, None, notes)
        return introduced

    sentences = _sentences(item.text)
    for position, sentence in enumerate(sentences):
        last = position == len(sentences) - 1
        with_list = sentence + (
            " " + "; ".join(child.text for child in children) if last and children else ""
        )
        _read_decision(sentence, with_list, section, found, notes)

    # An action written with a label or a named owner spans the whole item, not one sentence.
    action_label = _ACTION_LABEL.match(item.text)
    if action_label:
        _add_action(action_label["rest"], section, found, notes)
    elif _RESPONSIBLE.search(item.text):
        _add_action(item.text, section, found, notes)
    else:
        for sentence in sentences:
            promise = _promise(sentence)
            if promise is not None:
                owner, hint = promise
                found.actions.append(ActionItem(sentence, owner, section))
                if owner is None:
                    _warn_no_owner(sentence, section, hint, notes)
    return []


def _read_decision(
    sentence: str, with_list: str, section: str | None, found: _Findings, notes: _Notes
) -> None:
    if sentence.endswith("?"):
        return
    label = _DECISION_LABEL.match(sentence)
    if label:
        found.decisions.append(Decision(label["rest"] + with_list[len(sentence) :], section))
    elif _DECISION_VERB.search(sentence) and not _NOT_DECIDED.search(sentence):
        found.decisions.append(Decision(with_list, section))
    elif _SOFT_DECISION.search(sentence):
        where = f' (section "{section}")' if section else ""
        notes.add(
            f'"{with_list}"{where} sounds like a conclusion but does not say it was decided; '
            "not recorded as a decision."
        )


def _add_action(text: str, section: str | None, found: _Findings, notes: _Notes) -> None:
    owner, hint, cleaned = _owner_in(text)
    found.actions.append(ActionItem(cleaned, owner, section))
    if owner is None:
        _warn_no_owner(text, section, hint, notes)


def _warn_no_owner(text: str, section: str | None, hint: str | None, notes: _Notes) -> None:
    where = f' (section "{section}")' if section else ""
    said = f'; it only says "{hint}"' if hint else ""
    notes.add(f'No owner found for the action "{text}"{where}{said}. Set the owner by hand.')


def _collect_dates(
    sentence: str,
    section: str | None,
    context: _Context,
    found: _Findings,
    notes: _Notes,
    *,
    next_meeting: bool,
) -> None:
    for hit in _date_hits(sentence):
        days: tuple[int | None, ...] = hit.days or (None,)
        for day in days:
            date = _resolve(hit, day, context, found, notes)
            found.dates.append(MentionedDate(hit.phrase, sentence, date, section))
            if next_meeting and day is not None and not found.next_meeting_found:
                found.next_meeting, found.next_meeting_found = date, True


def _resolve(
    hit: _DateHit, day: int | None, context: _Context, found: _Findings, notes: _Notes
) -> dt.date | None:
    if day is None or hit.month is None:
        return None
    if hit.year is not None:
        year = hit.year
    elif context.base_year is None:
        found.unresolved_dates += 1
        return None
    else:
        year = context.base_year - hit.years_back
    shifted = False
    if hit.year is None and not hit.years_back and context.meeting_date is not None:
        # Minutes from December speak of "15 januari" next year: take the nearest such day.
        try:
            distance = (dt.date(year, hit.month, day) - context.meeting_date).days
        except ValueError:
            distance = 0
        if distance > 183:
            year, shifted = year - 1, True
        elif distance < -183:
            year, shifted = year + 1, True
    try:
        date = dt.date(year, hit.month, day)
    except ValueError:
        notes.add(f'"{hit.phrase}" is not a real date; left it empty.')
        return None
    if shifted:
        notes.add(
            f'Read "{hit.phrase}" as {date.isoformat()}, the nearest such day to the meeting; check the year.'
        )
    if hit.weekday is not None and len(hit.days) == 1 and date.weekday() != hit.weekday:
        notes.add(f'"{hit.phrase}" names the wrong weekday for {date.isoformat()}; check the date.')
    return date
