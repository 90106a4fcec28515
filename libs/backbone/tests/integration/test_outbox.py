"""add_event: numbers each aggregate's events in commit order, and refuses an event too big for the bus."""

import asyncio

import asyncpg
import pytest

from backbone.outbox import MAX_EVENT_BYTES, EventTooLarge, add_event

from .conftest import Happened


async def _add(pool, owner, aggregate_id: str, n: int = 1, text: str = "") -> int:
    async with pool.acquire() as conn, conn.transaction():
        env = await add_event(conn, owner.happened, Happened(n=n, text=text), aggregate_id=aggregate_id)
    return env.aggregateseq


async def test_each_aggregate_numbers_its_events_from_one(pool, owner):
    assert [await _add(pool, owner, "a") for _ in range(3)] == [1, 2, 3]
    assert await _add(pool, owner, "b") == 1
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT aggregate, envelope FROM outbox ORDER BY id")
    assert [(r["aggregate"], r["envelope"]["aggregateseq"]) for r in rows] == [
        ("thing/a", 1),
        ("thing/a", 2),
        ("thing/a", 3),
        ("thing/b", 1),
    ]


async def test_a_second_transaction_for_the_same_aggregate_waits_for_the_first(pool, owner):
    async with pool.acquire() as first, pool.acquire() as second:
        tx = first.transaction()
        await tx.start()
        await add_event(first, owner.happened, Happened(n=1), aggregate_id="x")
        async with second.transaction():
            await second.execute("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(asyncpg.exceptions.LockNotAvailableError):
                await add_event(second, owner.happened, Happened(n=2), aggregate_id="x")
        async with second.transaction():  # another aggregate does not wait
            other = await add_event(second, owner.happened, Happened(n=3), aggregate_id="y")
        later = asyncio.create_task(_add(pool, owner, "x", 4))
        await asyncio.sleep(0.1)
        assert not later.done(), "waits while the first holds the aggregate"
        await tx.commit()
        assert await later == 2
        assert other.aggregateseq == 1


async def test_an_event_too_big_for_the_bus_is_refused_where_it_is_added(pool, owner):
    with pytest.raises(EventTooLarge, match=r"events are at most 262144 bytes"):
        await _add(pool, owner, "big", text="x" * MAX_EVENT_BYTES)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
    assert await _add(pool, owner, "big", text="x" * (MAX_EVENT_BYTES - 2000)) == 1


async def test_two_requests_adding_events_in_opposite_order_get_a_try_again_not_a_500(pool, owner):
    """Each holds its first aggregate's counter row and waits for the other's: PostgreSQL ends one."""
    from fastapi import FastAPI
    from httpx import ASGITransport, AsyncClient

    from backbone.errors import install_rule_errors

    both_hold_their_first = asyncio.Barrier(2)
    app = FastAPI()
    install_rule_errors(app)

    @app.post("/both/{first}/{second}")
    async def add_both(first: str, second: str) -> dict[str, str]:
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, owner.happened, Happened(n=1), aggregate_id=first)
            await both_hold_their_first.wait()
            await add_event(conn, owner.happened, Happened(n=2), aggregate_id=second)
        return {}

    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://t") as c:
        answers = await asyncio.gather(c.post("/both/a/b"), c.post("/both/b/a"))
    assert sorted(a.status_code for a in answers) == [200, 409]
    [refused] = [a for a in answers if a.status_code == 409]
    assert "try again" in refused.json()["detail"].lower()
