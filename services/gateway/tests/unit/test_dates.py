"""Dates and times on the pages read the way people write them: no seconds, Swedish "kl. 13.30"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway import i18n
from gateway.rendering import ENV
from gateway.settings import Settings

ZONE = Settings(environment="test").zone  # the default time zone, which every page's context carries

WINTER = datetime(2027, 2, 1, 12, 30, tzinfo=UTC)  # 13:30 in Stockholm
SUMMER = "2027-06-01T07:05:00+00:00"  # 09:05 in Stockholm


def _show(value: object, *args: str, locale: str = "sv") -> str:
    i18n.set_locale(locale)
    try:
        return ENV.from_string("{{ value | datetime(*args) }}").render(value=value, args=args, zone=ZONE)
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)


def test_swedish_pages_show_the_day_and_kl_with_a_dot_between_hours_and_minutes() -> None:
    assert _show(WINTER) == "1 feb. 2027 kl. 13.30"
    assert _show(SUMMER) == "1 juni 2027 kl. 09.05"


def test_short_swedish_times_keep_the_date_compact_and_never_show_seconds() -> None:
    assert _show(WINTER, "short") == "2027-02-01 kl. 13.30"


def test_english_pages_use_the_24_hour_clock_without_seconds() -> None:
    assert _show(WINTER, locale="en") == "1 Feb 2027, 13:30"
    assert _show(WINTER, "short", locale="en") == "2027-02-01, 13:30"


@pytest.mark.parametrize(("pattern", "shown"), [("HH:mm", "13:30"), ("yyyy-MM-dd", "2027-02-01")])
def test_form_fields_keep_their_machine_patterns(pattern: str, shown: str) -> None:
    assert _show(WINTER, pattern) == shown


def test_nothing_to_show_is_empty() -> None:
    assert _show(None) == ""
