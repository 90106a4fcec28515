"""When a failed webhook is tried again: Svix's schedule, with jitter, and the receiver's Retry-After.

Pure rules, no I/O: the delivery worker asks, with its own clock and its own random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

# The waits after the first attempt (which is immediate) fails, then the second, and so on: eight
# attempts over about 27 hours, the schedule of the best-known webhook service (Svix).
RETRY_SECONDS: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
JITTER = 0.2
# A receiver's Retry-After is honoured up to this: longer would let it park our messages forever.
RETRY_AFTER_MOST_SECONDS = 86400.0
# Failing this long without one success disables an endpoint.
DISABLE_AFTER_SECONDS = 5 * 86400.0


def wait_after_failure(
    failed_attempts: int,
    *,
    retry_after: float | None,
    random: Callable[[], float],
    schedule: tuple[float, ...] = RETRY_SECONDS,
) -> float | None:
    """Seconds until the next attempt after `failed_attempts` failures in a row; None: no more.

    The scheduled wait moves by up to ±20 % (`random` gives [0, 1)), so receivers that fail
    together are not all retried in the same second. A Retry-After longer than that wait is
    honoured; a shorter one does not make us hurry.
    """
    if failed_attempts > len(schedule):
        return None
    scheduled = schedule[failed_attempts - 1]
    wait = scheduled * (1 + JITTER * (2 * random() - 1))
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_MOST_SECONDS))
    return wait


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Retry-After as seconds (RFC 9110: a number of seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    if seconds < 0:
        return None
    return min(seconds, RETRY_AFTER_MOST_SECONDS)
