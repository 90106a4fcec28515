"""Read old minutes of the joint development group from plain text into structured, reviewable data.

Pure parsing: text in, `ParsedMinutes` out, no database and no network. The minutes were written by
different people in Word and exported to text or PDF, so the format drifts from meeting to meeting.
The parser follows the shape of the format (title, attendance, short headings over body text, a
signature) rather than any one file, and whatever it cannot decide is reported in `warnings`, which
also makes `needs_review` true: a person checks it instead of the parser guessing.

The steps, one module each, in the order `parse.parse_minutes` runs them: `cleaning` (characters,
page furniture, tables of contents, broken URLs and words), `lines` (rows: what a line looks
like), `title`, `people` (attendance, absence, minute-taker), `sections` (headings, paragraphs,
bullets), `dates`, then `findings` (decisions via `decisions`, action items via `promises`, dates
in the text) over `sentences`; `notes` collects the warnings and `result` holds what comes out.

Every regular expression in these modules runs on text from outside, up to half a million
characters: none may let two quantifiers compete for the same characters (see the comments in
`cleaning` and `sentences`, and tests/unit/test_importer_adversarial.py).
"""

from meetings.importer.parse import parse_minutes
from meetings.importer.result import ActionItem, Attendee, Decision, MentionedDate, ParsedMinutes, Section

__all__ = [
    "ActionItem",
    "Attendee",
    "Decision",
    "MentionedDate",
    "ParsedMinutes",
    "Section",
    "parse_minutes",
]
