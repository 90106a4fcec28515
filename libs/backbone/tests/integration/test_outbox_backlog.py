"""The outbox backlog: what is still to be published, the same count the relay reports."""

from backbone.outbox import add_event, backlog

from .conftest import Happened


async def test_rows_set_aside_are_no_backlog(pool, owner):
    async with pool.acquire() as conn:
        for n in range(3):
            async with conn.transaction():
                await add_event(conn, owner.happened, Happened(n=n), aggregate_id=str(n))
        assert await backlog(conn) == 3
        # One the relay could never publish, and one it published.
        await conn.execute("UPDATE outbox SET set_aside_at = now() WHERE aggregate = 'thing/0'")
        await conn.execute("UPDATE outbox SET published_at = now() WHERE aggregate = 'thing/1'")
        assert await backlog(conn) == 1
