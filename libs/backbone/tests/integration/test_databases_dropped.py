"""A test's databases are dropped when it ends: the whole suite's databases, kept to the end of the
session, filled CI's disk at 64 % (some 10 MB each, well over a thousand of them)."""

import pytest

pytest_plugins = ["pytester"]

INNER = '''
import asyncpg

from backbone.testing import run_async

made = []


def test_makes_a_database(make_database):
    made.append(make_database("dropped").rsplit("/", 1)[1])


def test_finds_it_gone(pg_server):
    async def names():
        conn = await asyncpg.connect(pg_server.dsn())
        try:
            return {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        finally:
            await conn.close()

    assert made and made[0] not in run_async(names())
'''


def test_a_tests_database_is_gone_when_the_test_ends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
