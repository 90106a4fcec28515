"""The pool on real PostgreSQL: a connection given back costs no round trip, and still comes back clean."""

from backbone.db import create_pool


async def test_giving_a_connection_back_sends_nothing_to_the_server(dsn):
    pool = await create_pool(dsn, min_size=1, max_size=1)
    sent: list[str] = []
    try:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
            conn.add_query_logger(lambda record: sent.append(record.query))
        # asyncpg's default reset ran `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
        # on every release: a round trip per request, as dear as the request's own query.
        assert sent == []
    finally:
        await pool.close()


async def test_a_transaction_left_open_is_rolled_back_on_release(dsn):
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE left_open (n int)")
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO left_open VALUES (1)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM left_open") == 0
            assert not conn.is_in_transaction()
    finally:
        await pool.close()
