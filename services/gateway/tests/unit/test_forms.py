"""Reading forms: invitees one per line, dates as people type them."""

from __future__ import annotations

from datetime import date

from gateway.forms import parse_date, parse_invitees


def test_invitees_are_read_one_per_line() -> None:
    invitees, bad = parse_invitees("Anna Berg, anna@example.se\nBo <bo@example.se>\n\nno address here")
    assert invitees == [
        {"name": "Anna Berg", "email": "anna@example.se"},
        {"name": "Bo", "email": "bo@example.se"},
    ]
    assert bad == [4]


def test_a_date_is_read_as_year_month_day_and_anything_else_is_none() -> None:
    assert parse_date("2026-03-07") == date(2026, 3, 7)
    assert parse_date("7/3 2026") is None
    assert parse_date("") is None
