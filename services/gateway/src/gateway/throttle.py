"""Slows down repeated failed sign-ins per account and address, without ever locking the account.

The delay is per (e-mail, IP address): an attacker guessing from one address waits longer and
longer, while the real person signing in from their own address is not affected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from gateway.store import Q

FREE_ATTEMPTS = 3
MAX_DELAY = timedelta(minutes=15)


def delay_after(failures: int) -> timedelta:
    """How long to wait after `failures` failed attempts: none at first, then 1, 2, 4 … seconds."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    # Capped before exponentiating: a long attack must not overflow the delay.
    exponent = min(failures - FREE_ATTEMPTS, 20)
    return min(timedelta(seconds=2**exponent), MAX_DELAY)


def seconds_to_wait(failures: int, last_failure_at: datetime, now: datetime) -> int:
    remaining = last_failure_at + delay_after(failures) - now
    return max(0, int(remaining.total_seconds() + 0.999))


async def wait_needed(conn: asyncpg.Connection, *, email: str, ip: str, now: datetime) -> int:
    row = await conn.fetchrow(Q.failures_for, email, ip)
    if row is None:
        return 0
    return seconds_to_wait(row["failures"], row["last_failure_at"], now)


async def record_failure(conn: asyncpg.Connection, *, email: str, ip: str) -> int:
    return int(await conn.fetchval(Q.record_failure, email, ip))


async def clear(conn: asyncpg.Connection, *, email: str, ip: str) -> None:
    await conn.execute(Q.clear_failures, email, ip)
