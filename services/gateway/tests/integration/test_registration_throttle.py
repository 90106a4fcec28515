"""The public registrations' throttle on the real PostgreSQL: counting and giving back take the two
rows of an address (the event's and the day's over all events) in one order, so they never wait for
each other in a cycle (a deadlock PostgreSQL ends by failing one of them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

import asyncpg

from gateway import throttle
from gateway.settings import MIGRATIONS_DIR

IP, EVENT, TODAY = "203.0.113.7", "3f1d2c9e-0000-4000-8000-000000000001", date(2026, 12, 3)


async def _row_is_free(dsn: str, event_id: str) -> bool:
    """Whether the address's row for `event_id` can be locked now (nobody holds it)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            try:
                await conn.execute(
                    "SELECT 1 FROM registration_counts WHERE ip = $1 AND event_id = $2 AND day = $3"
                    " FOR UPDATE NOWAIT",
                    throttle.address_key(IP), event_id, TODAY,
                )  # fmt: skip
            except asyncpg.LockNotAvailableError:
                return False
        return True
    finally:
        await conn.close()


async def _give_back_waits_for_the_events_row_before_taking_the_days(dsn: str) -> tuple[bool, int]:
    first, holder, giver = [await asyncpg.connect(dsn) for _ in range(3)]
    try:
        assert await throttle.registration_attempt(first, ip=IP, event_id=EVENT, today=TODAY)
        # Someone counting a registration for the event holds its row ...
        hold = holder.transaction()
        await hold.start()
        await holder.execute(
            "SELECT 1 FROM registration_counts WHERE ip = $1 AND event_id = $2 AND day = $3 FOR UPDATE",
            throttle.address_key(IP), EVENT, TODAY,
        )  # fmt: skip
        # ... while a registration the service did not take is given back.
        give_back = throttle.registration_not_taken(giver, ip=IP, event_id=EVENT, today=TODAY)
        giving = asyncio.create_task(give_back)
        await asyncio.sleep(0.5)
        assert not giving.done(), "the give-back waits for the event's row"
        # The count takes the event's row first and the day's next: a give-back that took the day's
        # row first and now waited for the event's would close a cycle with it.
        free = await _row_is_free(dsn, throttle.ANY)
        await hold.rollback()
        await asyncio.wait_for(giving, 10)
        left = await first.fetchval(
            "SELECT attempts FROM registration_counts WHERE ip = $1 AND event_id = $2 AND day = $3",
            throttle.address_key(IP), throttle.ANY, TODAY,
        )  # fmt: skip
        return free, int(left)
    finally:
        for conn in (first, holder, giver):
            await conn.close()


def test_giving_back_a_registration_takes_the_addresss_rows_in_the_order_counting_does(
    make_database: Callable[..., str],
) -> None:
    dsn = make_database("gateway", MIGRATIONS_DIR)
    free, left = asyncio.run(_give_back_waits_for_the_events_row_before_taking_the_days(dsn))
    assert free, "the day's row was locked by a give-back still waiting for the event's row"
    assert left == 0, "and the attempt was given back once it could be"


def test_counts_and_give_backs_at_once_never_deadlock(make_database: Callable[..., str]) -> None:
    dsn = make_database("gateway", MIGRATIONS_DIR)

    async def scenario() -> None:
        conns = [await asyncpg.connect(dsn) for _ in range(8)]
        try:
            async def count(conn: asyncpg.Connection) -> None:
                await throttle.registration_attempt(conn, ip=IP, event_id=EVENT, today=TODAY)

            async def give_back(conn: asyncpg.Connection) -> None:
                await throttle.registration_not_taken(conn, ip=IP, event_id=EVENT, today=TODAY)

            for _ in range(40):
                await asyncio.gather(*(
                    (count if n % 2 else give_back)(conn) for n, conn in enumerate(conns)
                ))  # fmt: skip
        finally:
            for conn in conns:
                await conn.close()

    asyncio.run(scenario())
