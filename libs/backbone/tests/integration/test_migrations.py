"""Migrations: applied once, in order, checked by checksum, safe when replicas start together."""

import asyncio

import asyncpg
import pytest

from backbone.migrations import Migration, MigrationError, ensure_database, migrate, read_migrations


def _m(n: int, sql: str) -> Migration:
    return Migration(f"svc/{n:04d}_step.sql", sql)


async def test_each_migration_is_applied_once_and_in_order(pg_server):
    dsn = pg_server.dsn("mig_once")
    await ensure_database(dsn)
    steps = [_m(1, "CREATE TABLE t (x int)"), _m(2, "INSERT INTO t VALUES (1)")]
    assert await migrate(dsn, steps) == ["svc/0001_step.sql", "svc/0002_step.sql"]
    assert await migrate(dsn, steps) == []
    conn = await asyncpg.connect(dsn)
    assert await conn.fetchval("SELECT count(*) FROM t") == 1
    await conn.close()


async def test_an_edited_migration_is_refused(pg_server):
    dsn = pg_server.dsn("mig_edit")
    await ensure_database(dsn)
    await migrate(dsn, [_m(1, "CREATE TABLE t (x int)")])
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(dsn, [_m(1, "CREATE TABLE t (x bigint)")])


async def test_a_failing_migration_leaves_nothing_half_done(pg_server):
    dsn = pg_server.dsn("mig_fail")
    await ensure_database(dsn)
    with pytest.raises(asyncpg.PostgresError):
        await migrate(dsn, [_m(1, "CREATE TABLE t (x int); SELECT no_such_function()")])
    conn = await asyncpg.connect(dsn)
    assert await conn.fetchval("SELECT to_regclass('t')") is None
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 0
    await conn.close()


async def test_replicas_starting_together_do_not_race(pg_server):
    dsn = pg_server.dsn("mig_race")
    steps = [
        _m(1, "CREATE TABLE t (x int)"),
        _m(2, "SELECT pg_sleep(0.2)"),
        _m(3, "INSERT INTO t VALUES (1)"),
    ]
    await asyncio.gather(*(ensure_database(dsn) for _ in range(4)))
    results = await asyncio.gather(*(migrate(dsn, steps) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 3]
    conn = await asyncpg.connect(dsn)
    assert await conn.fetchval("SELECT count(*) FROM t") == 1
    await conn.close()


def test_migration_files_must_be_numbered(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="0001_what_it_does.sql"):
        read_migrations("svc", tmp_path)
    (tmp_path / "create_things.sql").unlink()
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="share a number"):
        read_migrations("svc", tmp_path)
