"""The entry point: the steps of reading one set of minutes, in order."""

from __future__ import annotations

from meetings.importer.cleaning import clean_lines
from meetings.importer.dates import read_meeting_date
from meetings.importer.findings import Context, analyse
from meetings.importer.lines import read_rows
from meetings.importer.notes import Notes
from meetings.importer.people import take_attendance, take_signatures
from meetings.importer.result import ParsedMinutes, Section
from meetings.importer.sections import drop_trailing_contents, read_sections, render
from meetings.importer.title import group_from_title, take_title


def parse_minutes(text: str, *, year: int | None = None, source_name: str | None = None) -> ParsedMinutes:
    """Parse one set of minutes.

    `year` is used only when the text names the meeting day without a year ("7 mars"); a year in
    the text wins, with a warning if the two differ. `source_name` (usually the file name) is only
    echoed back and used to make warnings more helpful; it is never taken as evidence.
    """
    notes = Notes()
    rows = read_rows(clean_lines(text, notes))
    if not rows:
        notes.add("The text is empty; there is nothing to import.")
        return ParsedMinutes(
            title=None,
            group=None,
            date=None,
            needs_review=True,
            warnings=notes.items,
            source_name=source_name,
        )

    used: set[int] = set()
    title = take_title(rows, used, notes)
    attendees, absent = take_attendance(rows, used, notes)
    minute_taker = take_signatures(rows, used, attendees, notes)

    body = drop_trailing_contents(rows, [i for i in range(len(rows)) if i not in used])
    drafts = read_sections(rows, body, notes)

    preamble = [row.text for row in drafts[0].rows] if drafts and drafts[0].heading is None else []
    meeting_date, date_phrase = read_meeting_date(title, preamble, year, source_name, notes)
    base_year = meeting_date.year if meeting_date else year
    context = Context(meeting_date, base_year)
    findings = analyse(drafts, context, notes)
    if findings.unresolved_dates:
        count = findings.unresolved_dates
        notes.add(
            f"{count} date{'s' if count > 1 else ''} in the text {'have' if count > 1 else 'has'} no year "
            "and none was given, so they are left empty; give the year (--year) to resolve them."
        )

    return ParsedMinutes(
        title=title,
        group=group_from_title(title, date_phrase),
        date=meeting_date,
        attendees=attendees,
        absent=absent,
        minute_taker=minute_taker,
        sections=[Section(heading=draft.heading, text=render(draft.items)) for draft in drafts],
        decisions=findings.decisions,
        action_items=findings.actions,
        mentioned_dates=findings.dates,
        next_meeting=findings.next_meeting,
        warnings=notes.items,
        # Whatever the parser could not decide is a warning, and a person checks it.
        needs_review=bool(notes.items),
        source_name=source_name,
    )
