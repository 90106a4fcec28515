"""The meeting pages' own form rules: invitees one per line, agenda items moved one step."""

from __future__ import annotations

from gateway.pages.meetings import moved, parse_invitees


def test_invitees_are_read_one_per_line() -> None:
    invitees, bad = parse_invitees("Anna Berg, anna@example.se\nBo <bo@example.se>\n\nno address here")
    assert invitees == [
        {"name": "Anna Berg", "email": "anna@example.se"},
        {"name": "Bo", "email": "bo@example.se"},
    ]
    assert bad == [4]


def test_agenda_items_move_one_step_and_not_off_the_ends() -> None:
    assert moved(["a", "b", "c"], "b", "up") == ["b", "a", "c"]
    assert moved(["a", "b", "c"], "b", "down") == ["a", "c", "b"]
    assert moved(["a", "b", "c"], "a", "up") is None
    assert moved(["a", "b", "c"], "c", "down") is None
    assert moved(["a", "b"], "x", "up") is None
