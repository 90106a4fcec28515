"""Pure rules: recurrence (DST-correct), minutes lifecycle, action-item states, search words."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from meetings import model
from meetings.model import Recurrence, RuleError

FIRST_MONDAY = Recurrence(frequency="monthly", weekday=0, week_of_month=1)
EVERY_OTHER_MONDAY = Recurrence(frequency="weekly", weekday=0, interval=2)


def test_monthly_on_the_first_monday() -> None:
    days = model.occurrences(FIRST_MONDAY, starts_on=date(2016, 1, 15), count=4)
    assert days == [date(2016, 2, 1), date(2016, 3, 7), date(2016, 4, 4), date(2016, 5, 2)]
    assert all(d.weekday() == 0 and d.day <= 7 for d in days)


def test_monthly_includes_the_start_month_when_the_day_is_still_ahead() -> None:
    assert model.occurrences(FIRST_MONDAY, starts_on=date(2016, 3, 1), count=1) == [date(2016, 3, 7)]


def test_last_weekday_of_the_month() -> None:
    rule = Recurrence(frequency="monthly", weekday=4, week_of_month=-1)
    assert model.occurrences(rule, starts_on=date(2024, 1, 1), count=3) == [
        date(2024, 1, 26),
        date(2024, 2, 23),
        date(2024, 3, 29),
    ]


def test_every_other_monday_from_the_first_monday_on_or_after_the_start() -> None:
    days = model.occurrences(EVERY_OTHER_MONDAY, starts_on=date(2026, 1, 7), until=date(2026, 2, 28))
    assert days == [date(2026, 1, 12), date(2026, 1, 26), date(2026, 2, 9), date(2026, 2, 23)]


def test_until_is_inclusive_and_a_series_needs_an_end() -> None:
    assert model.occurrences(FIRST_MONDAY, starts_on=date(2016, 2, 1), until=date(2016, 3, 7))[-1] == date(
        2016, 3, 7
    )
    with pytest.raises(RuleError):
        model.occurrences(FIRST_MONDAY, starts_on=date(2016, 2, 1))


def test_runaway_series_is_capped() -> None:
    days = model.occurrences(EVERY_OTHER_MONDAY, starts_on=date(2020, 1, 1), until=date(2099, 1, 1))
    assert len(days) == model.MAX_OCCURRENCES


def test_a_monthly_rule_needs_the_week_of_the_month() -> None:
    with pytest.raises(RuleError, match="week_of_month"):
        Recurrence(frequency="monthly", weekday=0)


def test_local_time_stays_13_30_across_daylight_saving_time() -> None:
    # Sweden moved to summer time on 27 March 2016: 13:30 is 12:30 UTC before and 11:30 UTC after.
    winter_start, winter_end = model.local_slot(date(2016, 3, 7), time(13, 30), 120, "Europe/Stockholm")
    summer_start, _ = model.local_slot(date(2016, 4, 4), time(13, 30), 120, "Europe/Stockholm")
    assert winter_start.utcoffset() == timedelta(hours=1)
    assert summer_start.utcoffset() == timedelta(hours=2)
    assert (winter_start.hour, winter_start.minute) == (13, 30) == (summer_start.hour, summer_start.minute)
    assert winter_end - winter_start == timedelta(hours=2)


def test_a_meeting_across_the_autumn_change_ends_at_the_wall_clock_time() -> None:
    # 30 October 2016, 02:00–04:00 local: the clocks go back at 03:00, so it lasts three real hours.
    start, end = model.local_slot(date(2016, 10, 30), time(2, 0), 120, "Europe/Stockholm")
    assert (end.hour, end.minute) == (4, 0)
    assert end.astimezone(model.ZoneInfo("UTC")) - start.astimezone(model.ZoneInfo("UTC")) == timedelta(
        hours=3
    )


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        ("draft", "submit", "ready_for_review"),
        ("ready_for_review", "approve", "approved"),
        ("ready_for_review", "return", "draft"),
        ("approved", "return", "draft"),
        ("approved", "publish", "published"),
    ],
)
def test_minutes_lifecycle(status: str, action: str, after: str) -> None:
    assert model.next_status(status, action) == after


@pytest.mark.parametrize(
    ("status", "action"),
    [("draft", "publish"), ("draft", "approve"), ("ready_for_review", "publish"), ("published", "submit")],
)
def test_minutes_cannot_skip_a_step(status: str, action: str) -> None:
    with pytest.raises(RuleError):
        model.next_status(status, action)


def test_published_minutes_are_immutable() -> None:
    with pytest.raises(RuleError, match="correction"):
        model.edit_status("published")
    with pytest.raises(RuleError, match="correction"):
        model.next_status("published", "return")
    with pytest.raises(RuleError, match="return them to draft"):
        model.edit_status("approved")


def test_editing_minutes_under_review_sends_them_back_to_draft() -> None:
    assert model.edit_status("ready_for_review") == "draft"
    assert model.edit_status("draft") == "draft"


def test_action_items_close_once() -> None:
    assert model.close_action("open", "done") == "done"
    assert model.close_action("open", "dropped") == "dropped"
    with pytest.raises(RuleError, match="already done"):
        model.close_action("done", "dropped")
    with pytest.raises(RuleError):
        model.close_action("open", "open")


def test_due_state() -> None:
    today = date(2026, 5, 10)
    assert model.due_state(date(2026, 5, 9), "open", today) == "overdue"
    assert model.due_state(date(2026, 5, 13), "open", today) == "due_soon"
    assert model.due_state(date(2026, 5, 14), "open", today) == "none"
    assert model.due_state(date(2026, 5, 9), "done", today) == "none"
    assert model.due_state(None, "open", today) == "none"


def test_swedish_dates_and_search_words() -> None:
    assert model.swedish_date(date(2016, 2, 22)) == "22 februari 2016"
    assert model.search_terms("Möte & (klarspråk) | 'IT'!") == ["möte", "klarspråk", "it"]
    assert model.search_terms("  ") == []
