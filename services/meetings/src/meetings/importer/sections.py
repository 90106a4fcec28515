"""Sections: headings, paragraphs and bullets of the body."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

from meetings.importer.lines import ENDS_CLAUSE, Row, contents_key, line_key, looks_like_prose
from meetings.importer.notes import Notes


@dataclass(slots=True)
class Item:
    kind: Literal["paragraph", "bullet"]
    text: str
    level: int  # 1-3 for bullets, 0 for paragraphs
    label: str
    blank_before: bool


@dataclass(slots=True)
class Draft:
    heading: str | None
    rows: list[Row] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


_FIELD_LINE = re.compile(r"^[\w\-/]{1,20}(?: [\w\-/]{1,20})?:\s+\S")
_PARAGRAPH_SIGN = re.compile(r"^§\s*\d+")
KNOWN_HEADING = re.compile(
    r"^(?:övrigt|övriga\s+frågor|nästa\s+möte|nästa\s+träff|mötets\s+öppnande|mötets\s+avslutande|dagordning|"
    r"föregående\s+(?:mötes\s+)?protokoll|information|beslut|åtgärder|att\s+göra|rapporter?|uppföljning|"
    r"avslutning|inledning)\b",
    re.IGNORECASE,
)


def drop_trailing_contents(rows: list[Row], body: list[int]) -> list[int]:
    """Drop a table of contents repeated at the end: two or more lines that repeat earlier lines."""
    earlier = Counter(line_key(rows[i].text) for i in body)
    end = len(body)
    while end > 0:
        row = rows[body[end - 1]]
        earlier[line_key(row.text)] -= 1
        entry = contents_key(row.line)
        if row.is_bullet or not entry or earlier[entry] <= 0:
            break
        end -= 1
    return body[:end] if len(body) - end >= 2 else body


def heading_shape(row: Row) -> bool:
    if row.continued or (row.is_bullet and not _numbered_heading_shape(row)):
        return False
    text = row.line
    if _PARAGRAPH_SIGN.match(text):
        return len(text) <= 80
    # A heading may ask a question ("Vilka ska vara med?"); any other end of a clause is a sentence.
    if len(text) > 70 or len(text.split()) > 10 or ENDS_CLAUSE.search(text.removesuffix("?")):
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in "\"“”'«"):
        return False
    return not _FIELD_LINE.match(text)


def _numbered_heading_shape(row: Row) -> bool:
    """ "1. Mötets öppnande" can be an agenda heading; it counts only when text follows directly."""
    return row.marker_class == "number." and len(row.line) <= 60 and "," not in row.line


def read_sections(rows: list[Row], body: list[int], notes: Notes) -> list[Draft]:
    def gap_before(n: int) -> bool:
        return n == 0 or rows[body[n]].blank_before > 0 or body[n - 1] != body[n] - 1

    def body_follows(n: int) -> bool:
        if n + 1 >= len(body) or gap_before(n + 1):
            return False
        following = rows[body[n + 1]]
        return following.is_bullet or not following.text[:1].islower()

    candidates = [n for n in range(len(body)) if gap_before(n) and heading_shape(rows[body[n]])]
    direct = [n for n in candidates if body_follows(n)]
    numbered = {n for n in candidates if rows[body[n]].is_bullet}
    direct_set = set(direct)
    # A numbered line is a heading only with ordinary text (not another item) right under it.
    numbered_headings = {
        n
        for n in numbered
        if n in direct_set and not rows[body[n + 1]].is_bullet and looks_like_prose(rows[body[n + 1]])
    }
    candidates = [n for n in candidates if n not in numbered or n in numbered_headings]
    candidate_set = set(candidates)
    direct = [n for n in direct if n in candidate_set]
    known = [
        n
        for n in candidates
        if KNOWN_HEADING.match(rows[body[n]].text) or _PARAGRAPH_SIGN.match(rows[body[n]].text)
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

    drafts: list[Draft] = []
    current = Draft(None)
    for n, index in enumerate(body):
        row = rows[index]
        if n in headings:
            if current.heading is not None or current.rows:
                drafts.append(current)
            current = Draft(row.line)
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


def _continues(last_line: str, row: Row, wrap_width: int) -> bool:
    """Whether a line directly under another one carries on the same paragraph or bullet."""
    if row.continued or row.text[:1].islower() or row.text[:1] in "([{–-,":
        return True
    # A full line was wrapped by the export; a short one was broken on purpose.
    full = wrap_width >= 50 and len(last_line) >= 0.75 * wrap_width
    if _FIELD_LINE.match(row.text) or (_FIELD_LINE.match(last_line) and not full):
        return False  # "Tid: ...", "Plats: ...", "Åtgärd: ..." lines stand on their own
    return full or not ENDS_CLAUSE.search(last_line)


def _bullet_level(stack: list[tuple[int, str]], row: Row) -> int:
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


def _items(rows: list[Row], wrap_width: int) -> list[Item]:
    items: list[Item] = []
    stack: list[tuple[int, str]] = []
    last_line = ""
    for row in rows:
        if row.is_bullet:
            level = _bullet_level(stack, row)
            items.append(Item("bullet", row.text, level, row.label or "-", row.blank_before > 0))
        elif items and row.blank_before == 0 and _continues(last_line, row, wrap_width):
            items[-1].text = f"{items[-1].text} {row.text}"
        else:
            stack.clear()
            items.append(Item("paragraph", row.text, 0, "", row.blank_before > 0))
        last_line = row.line
    return items


def render(items: list[Item]) -> str:
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
