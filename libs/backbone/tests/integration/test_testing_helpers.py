"""The test helpers services rely on: `where_it_remains` reads every column personal data can hide in
(bytea too: a dead letter is the message as it came), and `make_database` drops every database it made,
one that failed to migrate or one whose neighbour would not drop among them."""

import json

import pytest

from backbone.testing import where_it_remains

pytest_plugins = ["pytester"]


async def _dead_letter(conn, data: bytes) -> None:
    await conn.execute(
        "INSERT INTO dead_letters (consumer, stream, stream_seq, subject, data, reason)"
        " VALUES ('c', 'S', 1, 'x.y.v1', $1, 'test')",
        data,
    )


async def test_personal_data_in_a_dead_letter_is_found(pool) -> None:
    async with pool.acquire() as conn:
        await _dead_letter(conn, json.dumps({"name": "Åsa Lindqvist"}, ensure_ascii=False).encode())
        await _dead_letter(conn, json.dumps({"email": "bo.ek@example.se", "name": "Örjan Ådahl"}).encode())
        # Invalid UTF-8 beside the address: the rest of the message is still read.
        await _dead_letter(conn, b"\xff\xfe{" + b'"email": "kim@example.se"' + b"}\xc3")
        found = await where_it_remains(
            conn, ["åsa lindqvist", "BO.EK@example.se", "Örjan Ådahl", "kim@example.se", "nobody@else.se"]
        )
    assert found == [
        "dead_letters.data holds 'åsa lindqvist'",
        "dead_letters.data holds 'BO.EK@example.se'",
        "dead_letters.data holds 'Örjan Ådahl'",
        "dead_letters.data holds 'kim@example.se'",
    ]


async def test_a_database_without_the_needle_is_clean(pool) -> None:
    async with pool.acquire() as conn:
        await _dead_letter(conn, b'{"registration_id": "r-1"}')
        assert await where_it_remains(conn, ["Åsa Lindqvist"]) == []


INNER = """
import asyncpg
import pytest

from backbone.testing import run_async

made = {}


def names(pg_server):
    async def fetch():
        conn = await asyncpg.connect(pg_server.dsn())
        try:
            return {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()

    return run_async(fetch())


def test_a_migration_that_fails(make_database, pg_server, tmp_path):
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE broken (;")
    before = names(pg_server)
    with pytest.raises(Exception):
        make_database("brokenmig", tmp_path)
    made["broken"] = {n for n in names(pg_server) - before if n.startswith("brokenmig_")}


def test_a_database_that_will_not_drop(make_database, pg_server):
    stuck = make_database("stuck").rsplit("/", 1)[1]
    after = make_database("after").rsplit("/", 1)[1]
    made["stuck"], made["after"] = stuck, after

    async def make_template():
        conn = await asyncpg.connect(pg_server.dsn())
        try:
            await conn.execute(f'ALTER DATABASE "{stuck}" IS_TEMPLATE true')
        finally:
            await conn.close()

    run_async(make_template())


def test_every_other_database_is_gone(pg_server):
    present = names(pg_server)
    try:
        assert made["broken"] and not made["broken"] & present, "the database of a failed migration stayed"
        assert made["after"] not in present, "a database after one that would not drop stayed"
        assert made["stuck"] in present
    finally:

        stuck = made["stuck"]

        async def drop_stuck():
            conn = await asyncpg.connect(pg_server.dsn())
            try:
                await conn.execute(f'ALTER DATABASE "{stuck}" IS_TEMPLATE false')
                await conn.execute(f'DROP DATABASE "{stuck}"')
            finally:
                await conn.close()

        run_async(drop_stuck())
"""


def test_every_database_made_is_dropped_whatever_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    # The database that would not drop is the one error, at its test's teardown, and says which.
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*stuck_*"])
