"""The retry schedule: Svix's waits, ±20 % jitter, Retry-After honoured, and when to stop."""

from datetime import UTC, datetime, timedelta

import pytest

from notify.webhooks.schedule import RETRY_SECONDS, parse_retry_after, wait_after_failure

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_schedule_is_immediately_then_5s_5min_30min_2h_5h_10h_10h() -> None:
    assert RETRY_SECONDS == (5, 300, 1800, 7200, 18000, 36000, 36000)


@pytest.mark.parametrize("failed", range(1, 8))
def test_each_wait_is_the_scheduled_one_within_twenty_percent(failed: int) -> None:
    scheduled = RETRY_SECONDS[failed - 1]
    low = wait_after_failure(failed, retry_after=None, random=lambda: 0.0)
    high = wait_after_failure(failed, retry_after=None, random=lambda: 0.999999)
    middle = wait_after_failure(failed, retry_after=None, random=lambda: 0.5)
    assert low == pytest.approx(scheduled * 0.8)
    assert high == pytest.approx(scheduled * 1.2, rel=1e-5)
    assert middle == pytest.approx(scheduled)


def test_after_the_eighth_failed_attempt_there_is_no_more_wait() -> None:
    assert wait_after_failure(8, retry_after=None, random=lambda: 0.5) is None


def test_a_longer_retry_after_is_waited_and_a_shorter_one_does_not_hurry_us() -> None:
    assert wait_after_failure(1, retry_after=120, random=lambda: 0.5) == 120
    assert wait_after_failure(2, retry_after=10, random=lambda: 0.5) == 300


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("120", now=NOW) == 120
    later = NOW + timedelta(minutes=10)
    assert parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"), now=NOW) == 600
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None
    assert parse_retry_after("-5", now=NOW) is None


def test_a_retry_after_of_days_is_capped_so_a_receiver_cannot_park_its_messages() -> None:
    assert parse_retry_after(str(30 * 86400), now=NOW) == 86400
