"""Named queries called on a real PostgreSQL connection with keyword arguments."""

import pytest

from backbone.queries import Query


async def test_calls_take_keywords_and_refuse_a_missing_one(pool):
    query = Query("add", "SELECT :a::int + :b::int AS sum, :a::int AS a")
    async with pool.acquire() as conn:
        assert await query.fetchval(conn, b=2, a=1) == 3
        row = await query.fetchrow(conn, a=5, b=1)
        assert (row["sum"], row["a"]) == (6, 5)
        assert [r["sum"] for r in await query.fetch(conn, a=0, b=0)] == [0]
        with pytest.raises(TypeError, match="'add': no value for b"):
            await query.fetchval(conn, a=1)
        await conn.execute("CREATE TEMP TABLE pairs (a int, b text)")
        insert = Query("insert_pair", "INSERT INTO pairs (a, b) VALUES (:a, :b)")
        await insert.executemany(conn, [{"a": 1, "b": "x"}, {"b": "y", "a": 2}])
        assert await insert.execute(conn, a=3, b="z") == "INSERT 0 1"
        assert [tuple(r) for r in await conn.fetch("SELECT a, b FROM pairs ORDER BY a")] == [
            (1, "x"), (2, "y"), (3, "z")
        ]
