"""The rules of events and registrations, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backbone.errors import RuleError
from events import model

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Stockholm")


def window(**kw: object) -> model.Window:
    values: dict[str, object] = {
        "status": "published",
        "registration": "open",
        "starts_at": NOW + timedelta(days=5),
        "opens_at": None,
        "closes_at": None,
    } | kw
    return model.Window(**values)  # type: ignore[arg-type]


def test_an_event_that_ends_before_it_starts_is_refused_in_plain_swedish() -> None:
    with pytest.raises(RuleError, match="slutar innan det börjar"):
        model.check_times(NOW, NOW - timedelta(hours=1))
    with pytest.raises(RuleError, match="slutar innan"):
        model.check_times(NOW, NOW)
    model.check_times(NOW, NOW + timedelta(days=2))  # several days is fine


def test_a_window_that_closes_before_it_opens_is_refused() -> None:
    with pytest.raises(RuleError, match="stänger innan den öppnar"):
        model.check_window(NOW, NOW - timedelta(days=1), NOW + timedelta(days=3))


def test_capacity_below_the_places_already_held_is_refused_and_says_how_many() -> None:
    with pytest.raises(RuleError, match="minst 12"):
        model.check_capacity(10, 12)
    model.check_capacity(12, 12)
    model.check_capacity(None, 500)


def test_registration_is_refused_when_cancelled_not_yet_open_closed_or_only_announced() -> None:
    with pytest.raises(RuleError, match="inställt"):
        model.check_registration_open(window(status="cancelled"), NOW, ZONE)
    with pytest.raises(RuleError, match="inte publicerat"):
        model.check_registration_open(window(status="draft"), NOW, ZONE)
    with pytest.raises(RuleError, match="anmäler man sig inte här"):
        model.check_registration_open(window(registration="none"), NOW, ZONE)
    # The opening time is told on the service's clock: 14:00 in Stockholm is 12:00 UTC in May.
    with pytest.raises(RuleError, match="2026-05-02 14:00"):
        model.check_registration_open(window(opens_at=NOW + timedelta(days=1)), NOW, ZONE)
    with pytest.raises(RuleError, match="stängd"):
        model.check_registration_open(window(closes_at=NOW - timedelta(minutes=1)), NOW, ZONE)
    with pytest.raises(RuleError, match="stängd"):
        model.check_registration_open(window(starts_at=NOW), NOW, ZONE)
    model.check_registration_open(window(), NOW, ZONE)


def test_an_offer_holds_48_hours_far_from_the_event_and_less_close_to_it() -> None:
    def hold(until_start: timedelta) -> timedelta:
        return model.offer_hold(now=NOW, starts_at=NOW + until_start, hours=48)

    assert hold(timedelta(days=10)) == timedelta(hours=48)
    assert hold(timedelta(days=2)) == timedelta(hours=12)  # a quarter of the time left
    assert hold(timedelta(hours=2)) == timedelta(hours=1)  # never less than an hour ...
    assert hold(timedelta(minutes=30)) == timedelta(minutes=30)  # ... unless the event starts sooner


def test_no_offer_once_the_event_has_started() -> None:
    assert model.may_offer(now=NOW, starts_at=NOW + timedelta(seconds=1))
    assert not model.may_offer(now=NOW, starts_at=NOW)


def test_only_time_and_place_are_changes_attendees_must_know_about() -> None:
    before = {"starts_at": NOW, "ends_at": NOW + timedelta(hours=1), "venue_name": "A", "venue_address": "x"}
    assert model.attendee_changes(before, {**before}) == []
    assert model.attendee_changes(before, {**before, "ends_at": NOW + timedelta(hours=2)}) == ["rescheduled"]
    assert model.attendee_changes(before, {**before, "venue_name": "B"}) == ["moved"]
    both = {**before, "starts_at": NOW - timedelta(hours=1), "venue_address": "y"}
    assert model.attendee_changes(before, both) == ["rescheduled", "moved"]


def test_a_published_event_whose_time_changes_is_marked_changed_a_draft_is_not() -> None:
    assert model.status_after_change("published", ["rescheduled"]) == "changed"
    assert model.status_after_change("published", []) == "published"
    assert model.status_after_change("draft", ["rescheduled"]) == "draft"


def test_a_copy_keeps_the_length_and_moves_the_registration_window_with_it() -> None:
    start = NOW + timedelta(days=30)
    times = model.copy_times(
        starts_at=NOW,
        ends_at=NOW + timedelta(days=1, hours=6),
        opens_at=NOW - timedelta(days=14),
        closes_at=NOW - timedelta(days=1),
        new_start=start,
    )
    assert times == {
        "starts_at": start,
        "ends_at": start + timedelta(days=1, hours=6),
        "registration_opens_at": start - timedelta(days=14),
        "registration_closes_at": start - timedelta(days=1),
    }


def test_the_honeypot_field_is_filled_in_only_by_robots() -> None:
    assert not model.filled_honeypot("") and not model.filled_honeypot("   ")
    assert model.filled_honeypot("http://spam.example")


def test_cancelled_events_cannot_be_changed_or_published_again() -> None:
    with pytest.raises(RuleError, match="inställt"):
        model.check_editable("cancelled")
    with pytest.raises(RuleError, match="inställt"):
        model.check_publishable("cancelled")
    with pytest.raises(RuleError, match="redan publicerat"):
        model.check_publishable("published")
    with pytest.raises(RuleError, match="redan inställt"):
        model.check_cancellable("cancelled")


def test_a_reminder_is_due_once_its_time_has_come_and_only_the_closest_when_several_are() -> None:
    start = NOW + timedelta(days=3)

    def due(now: datetime, handled: set[int] = set()) -> tuple[int | None, list[int]]:  # noqa: B006
        return model.due_reminders(minutes_before=[2880, 120], starts_at=start, now=now, handled=handled)

    assert due(NOW) == (None, [])
    assert due(start - timedelta(days=2)) == (2880, [2880])
    assert due(start - timedelta(hours=1), handled={2880}) == (120, [120])
    # Both due at once (published late): the closer one is sent, the other only marked.
    assert due(start - timedelta(hours=1)) == (120, [120, 2880])
    assert due(start, handled=set()) == (None, [])  # never once it has started


def test_registration_cannot_close_after_the_event_has_ended() -> None:
    with pytest.raises(RuleError, match="stänger efter att evenemanget är slut"):
        model.check_window(None, NOW + timedelta(hours=3), NOW + timedelta(hours=2))
    model.check_window(None, NOW + timedelta(hours=2), NOW + timedelta(hours=2))


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("070-111 22 33", "+46701112233"),
        ("+46 70 111 22 33", "+46701112233"),
        ("0046701112233", "+46701112233"),
    ],
)
def test_a_swedish_phone_number_is_the_same_number_however_it_is_typed(typed: str, key: str) -> None:
    assert model.phone_key(typed) == key
