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


async def _holding_a_read_of_t(dsn: str) -> asyncpg.Connection:
    """A service's long transaction that has read table t (and so holds a lock on it)."""
    holder = await asyncpg.connect(dsn)
    await holder.execute("BEGIN; SELECT count(*) FROM t")
    return holder


async def test_a_migration_waiting_for_a_lock_does_not_hold_up_the_services_queries(pg_server):
    dsn = pg_server.dsn("mig_lock_wait")
    await ensure_database(dsn)
    await migrate(dsn, [_m(1, "CREATE TABLE t (x int)")])
    holder = await _holding_a_read_of_t(dsn)
    steps = [_m(1, "CREATE TABLE t (x int)"), _m(2, "ALTER TABLE t ADD COLUMN y int")]
    migrating = asyncio.create_task(migrate(dsn, steps, lock_timeout=0.2))
    await asyncio.sleep(0.5)
    reader = await asyncpg.connect(dsn)
    try:
        # Queued behind the ALTER's lock, every later read of t would wait as long as the holder does.
        await reader.execute("SET statement_timeout = '1s'")
        for _ in range(5):
            assert await reader.fetchval("SELECT count(*) FROM t") == 0
            await asyncio.sleep(0.2)
        assert not migrating.done(), "it waits its turn"
        await holder.execute("COMMIT")
        assert await asyncio.wait_for(migrating, 30) == ["svc/0002_step.sql"]
        added = "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'y'"
        assert await reader.fetchval(added) == 1
    finally:
        await holder.close()
        await reader.close()


async def test_a_migration_that_cannot_get_its_lock_gives_up_saying_why_and_changes_nothing(pg_server):
    dsn = pg_server.dsn("mig_lock_give_up")
    await ensure_database(dsn)
    await migrate(dsn, [_m(1, "CREATE TABLE t (x int)")])
    holder = await _holding_a_read_of_t(dsn)
    try:
        with pytest.raises(MigrationError, match="could not get its locks") as failed:
            step = _m(2, "ALTER TABLE t ADD COLUMN y int")
            await asyncio.wait_for(migrate(dsn, [step], lock_timeout=0.1, lock_patience=1.0), 30)
        assert "svc/0002_step.sql" in str(failed.value)
    finally:
        await holder.close()
    conn = await asyncpg.connect(dsn)
    assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 1
    await conn.close()


async def test_a_migration_chosen_to_end_a_deadlock_with_a_service_is_tried_again(pg_server):
    dsn = pg_server.dsn("mig_deadlock")
    await ensure_database(dsn)
    await migrate(dsn, [_m(1, "CREATE TABLE a (x int); CREATE TABLE b (x int)")])
    service = await asyncpg.connect(dsn)
    try:
        await service.execute("BEGIN; LOCK TABLE b IN ACCESS EXCLUSIVE MODE")
        step = _m(2, "LOCK TABLE a IN ACCESS EXCLUSIVE MODE; LOCK TABLE b IN ACCESS EXCLUSIVE MODE")
        migrating = asyncio.create_task(migrate(dsn, [step], lock_timeout=5.0))
        await asyncio.sleep(0.5)  # the migration holds a and waits for b
        # The service now wants a: a cycle. PostgreSQL ends it by failing the one that waited first.
        await service.execute("LOCK TABLE a IN ACCESS EXCLUSIVE MODE")
        await service.execute("COMMIT")
        assert await asyncio.wait_for(migrating, 30) == ["svc/0002_step.sql"]
    finally:
        await service.close()
