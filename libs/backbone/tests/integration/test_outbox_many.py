"""add_events: many events of one type in two statements, numbered and ordered as add_event one by one."""

import pytest

from backbone.outbox import MAX_EVENT_BYTES, EventTooLarge, add_event, add_events

from .conftest import Happened


async def _outbox(pool) -> list[tuple[str, int, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT aggregate, envelope FROM outbox ORDER BY id")
    return [(r["aggregate"], r["envelope"]["aggregateseq"], r["envelope"]["data"]["n"]) for r in rows]


async def test_many_events_get_the_numbers_and_order_of_one_by_one(pool, owner):
    async with pool.acquire() as conn, conn.transaction():
        await add_event(conn, owner.happened, Happened(n=0), aggregate_id="b")
    async with pool.acquire() as conn, conn.transaction():
        made = await add_events(conn, owner.happened, [(Happened(n=n), key) for n, key in
                                                       enumerate(["c", "b", "a"], start=1)])
    assert [(e.subject, e.aggregateseq) for e in made] == [("thing/c", 1), ("thing/b", 2), ("thing/a", 1)]
    # In the order given (the publishing order), each with its own number.
    assert await _outbox(pool) == [("thing/b", 1, 0), ("thing/c", 1, 1), ("thing/b", 2, 2), ("thing/a", 1, 3)]


async def test_one_aggregate_named_twice_is_numbered_in_turn(pool, owner):
    async with pool.acquire() as conn, conn.transaction():
        await add_events(conn, owner.happened, [(Happened(n=1), "x"), (Happened(n=2), "x")])
    assert await _outbox(pool) == [("thing/x", 1, 1), ("thing/x", 2, 2)]


async def test_one_event_too_big_refuses_them_all(pool, owner):
    with pytest.raises(EventTooLarge):
        async with pool.acquire() as conn, conn.transaction():
            await add_events(conn, owner.happened, [(Happened(n=1), "ok"),
                                                     (Happened(n=2, text="x" * MAX_EVENT_BYTES), "big")])
    assert await _outbox(pool) == []


async def test_outside_a_transaction_nothing_is_added(pool, owner):
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await add_events(conn, owner.happened, [(Happened(n=1), "a")])
