"""The meeting pages' own form rules: agenda items moved one step; times in the gateway's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gateway.pages.meetings import check_meeting_form, moved

FORM = {
    "title": "Gemensam utvecklingsgrupp",
    "group_id": "",
    "day": "2027-02-01",
    "starts": "13:30",
    "ends": "15:30",
    "place": "",
    "invitees": "",
}


def test_a_meeting_is_sent_in_the_gateways_time_zone() -> None:
    body, errors = check_meeting_form(FORM, ZoneInfo("Europe/Helsinki"))
    assert not errors
    assert body["starts_at"] == "2027-02-01T13:30:00+02:00"
    assert body["timezone"] == "Europe/Helsinki"


def test_whether_a_meeting_ends_after_it_starts_is_left_to_the_service() -> None:
    _body, errors = check_meeting_form({**FORM, "ends": "12:00"}, ZoneInfo("Europe/Helsinki"))
    assert not errors, "the page repeats a rule of the meetings service"


def test_agenda_items_move_one_step_and_not_off_the_ends() -> None:
    assert moved(["a", "b", "c"], "b", "up") == ["b", "a", "c"]
    assert moved(["a", "b", "c"], "b", "down") == ["a", "c", "b"]
    assert moved(["a", "b", "c"], "a", "up") is None
    assert moved(["a", "b", "c"], "c", "down") is None
    assert moved(["a", "b"], "x", "up") is None
