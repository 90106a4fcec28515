"""The series form: what a person fills in becomes the recurrence the service understands."""

from __future__ import annotations

from gateway.pages.series import series_body


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
    body, errors = series_body(values)
    assert not errors
    assert body["recurrence"] == {"frequency": "monthly", "weekday": 0, "week_of_month": 1}
    _body, errors = series_body({**values, "title": "", "count": "0"})
    assert set(errors) == {"title", "count"}
