"""The series form: what a person fills in becomes the recurrence the service understands."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gateway.pages.series import series_body

ZONE = ZoneInfo("Europe/Helsinki")  # not the default, so the body is seen to carry the setting


def test_a_monthly_series_form_becomes_a_recurrence() -> None:
    values = {
        "title": "Gemensam utvecklingsgrupp",
        "group_id": "",
        "place": "Bryggan",
        "rhythm": "monthly-1",
        "weekday": "0",
        "start_time": "13:30",
        "duration": "120",
        "starts_on": "2026-01-01",
        "count": "6",
        "invitees": "",
    }
    body, errors = series_body(values, ZONE)
    assert not errors
    assert body["recurrence"] == {"frequency": "monthly", "weekday": 0, "week_of_month": 1}
    assert body["timezone"] == "Europe/Helsinki"
    _body, errors = series_body({**values, "title": "", "count": "sex"}, ZONE)
    assert set(errors) == {"title", "count"}


def test_how_many_meetings_a_series_may_have_is_left_to_the_service() -> None:
    values = {
        "title": "Gemensam utvecklingsgrupp",
        "group_id": "",
        "place": "",
        "rhythm": "weekly-1",
        "weekday": "2",
        "start_time": "09:00",
        "duration": "2000",
        "starts_on": "2026-01-01",
        "count": "0",
        "invitees": "",
    }
    body, errors = series_body(values, ZONE)
    assert not errors, "the page repeats a rule of the meetings service"
    assert (body["count"], body["duration_minutes"]) == (0, 2000)
