"""Emails render in Swedish, in the meeting's own time zone, as plain text and accessible HTML."""

from datetime import UTC, datetime

from notify.rendering import render
from notify.settings import Settings

# The default zone of the settings (Stockholm), which the times below are checked in.
STOCKHOLM = Settings(environment="test").timezone


def _meeting(**over):
    return {
        "name": "Leif Redestig",
        "title": "Gemensam utvecklingsgrupp",
        "group_name": "Gemensam utvecklingsgrupp",
        "starts_at": datetime(2026, 3, 2, 12, 30, tzinfo=UTC),  # 13:30 in Stockholm (winter time)
        "ends_at": datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        "place": "Bryggan",
        **over,
    }


def test_the_invitation_says_what_when_and_where_in_swedish_local_time():
    email = render("meeting_scheduled", _meeting(), timezone=STOCKHOLM)
    assert email.subject == "Nytt möte: Gemensam utvecklingsgrupp måndag 2 mars"
    assert "Hej Leif Redestig!" in email.text
    assert "När: måndag 2 mars 2026 kl. 13.30–15.30" in email.text
    assert "Var: Bryggan" in email.text
    assert '<html lang="sv">' in email.html
    assert "måndag 2 mars 2026 kl. 13.30–15.30" in email.html


def test_summer_time_is_respected():
    email = render(
        "meeting_scheduled",
        _meeting(
            starts_at=datetime(2026, 6, 1, 11, 30, tzinfo=UTC),
            ends_at=datetime(2026, 6, 1, 13, 0, tzinfo=UTC),
        ),
        timezone=STOCKHOLM,
    )
    assert "kl. 13.30–15.00" in email.text


def test_missing_place_and_group_leave_no_empty_lines_behind():
    email = render("meeting_scheduled", _meeting(place=None, group_name=None), timezone=STOCKHOLM)
    assert "Var:" not in email.text and "Grupp:" not in email.text
    assert "Var</th>" not in email.html


def test_html_escapes_what_people_typed():
    email = render("meeting_scheduled", _meeting(title="<script>alert(1)</script>"), timezone=STOCKHOLM)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html


def test_another_time_zone_changes_the_times_the_email_tells():
    email = render("meeting_scheduled", _meeting(), timezone="America/New_York")
    assert "När: måndag 2 mars 2026 kl. 07.30–09.30" in email.text
