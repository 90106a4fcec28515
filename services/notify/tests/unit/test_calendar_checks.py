"""The .ics writer's check of icalendar's output holds under `python -O` too: an explicit error, not
an `assert` (which -O removes, and the stand-in DTSTAMP would then reach people's calendars)."""

from datetime import UTC, datetime

import pytest

from notify import calendar
from notify.calendar import Attendee, Entry

ENTRY = Entry(
    uid=calendar.event_uid("e-checks"),
    sequence=1,
    title="Träff",
    starts_at=datetime(2027, 3, 13, 12, 30, tzinfo=UTC),
    ends_at=None,
    location=None,
    url=None,
)


@pytest.fixture
def icalendar_writes_dtstamp_otherwise(monkeypatch):
    """As if icalendar changed how it writes DTSTAMP: the stand-in line is no longer found."""
    calendar._without_attendee.cache_clear()
    monkeypatch.setattr(calendar, "_STAMP_LINE", "\r\nDTSTAMP:never-written\r\n")
    yield
    calendar._without_attendee.cache_clear()


def test_an_unexpected_dtstamp_line_raises_an_error_that_python_o_keeps(icalendar_writes_dtstamp_otherwise):
    with pytest.raises(RuntimeError, match="DTSTAMP"):
        calendar.ics(
            ENTRY,
            method="REQUEST",
            organizer="Delaktig <noreply@x.se>",
            attendee=Attendee("Anna Berg", "anna@example.se", "ACCEPTED"),
            stamp=datetime(2027, 3, 1, tzinfo=UTC),
        )
